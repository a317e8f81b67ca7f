"""Warnings after runs: every current value coloured by its rule (an override for one town only),
late data, the values API answering the warnings' colours, a red streak escalated exactly once
(a message to the region's leaders, the audit record, the domain event after commit), and the
rule API refusing overlapping or gapped thresholds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from indicator_fixtures import COUNTY, World, author, create, publish, run
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.audit.models import AuditRecord
from citybrain.indicators.warnings import evaluate, service
from citybrain.indicators.warnings.models import IndicatorWarning
from citybrain.indicators.warnings.rules import RuleRefused
from citybrain.indicators.warnings.schemas import IndicatorWarningRuleSpec
from citybrain.messages.models import Message, MessageReceipt

API = "/api/v1/indicators"
# monthly counts (indicator_fixtures.rows_for): town0 1, 2, – ; town1 2, 3, 4; town2 3, 4, 5
BANDS = [
    {"colour": "red", "lower": None, "upper": 2},
    {"colour": "orange", "lower": 2, "upper": 3},
    {"colour": "yellow", "lower": 3, "upper": 4},
    {"colour": "blue", "lower": 4, "upper": 5},
    {"colour": "green", "lower": 5, "upper": None},
]


def _spec(**fields: Any) -> IndicatorWarningRuleSpec:
    return IndicatorWarningRuleSpec.model_validate({"bands": BANDS, **fields})


def _colours(session: Session, code: str) -> dict[tuple[str, str], str]:
    from citybrain.indicators.models import Indicator

    rows = session.execute(
        select(IndicatorWarning.region_code, IndicatorWarning.period, IndicatorWarning.colour)
        .join(Indicator, Indicator.id == IndicatorWarning.indicator_id)
        .where(Indicator.code == code)
    )
    return {(r, p): c for r, p, c in rows}


@pytest.fixture
def escalations() -> Iterator[list[domain_events.DomainEvent]]:
    seen: list[domain_events.DomainEvent] = []
    domain_events.subscribe(evaluate.ESCALATED_EVENT, seen.append)
    yield seen
    domain_events._handlers[evaluate.ESCALATED_EVENT].remove(seen.append)


def test_a_run_colours_every_value_by_its_rule_and_override(session: Session, world: World) -> None:
    create(session, world, "w_count")
    publish(session, "w_count")
    service.save_rule(session, code="w_count", region_code=None, spec=_spec(), scope=author())
    town0, town1, town2 = world.towns
    lenient = _spec(bands=[{"colour": "yellow", "lower": None, "upper": 3},
                           {"colour": "green", "lower": 3, "upper": None}])  # fmt: skip
    service.save_rule(session, code="w_count", region_code=town1, spec=lenient, scope=author())
    assert [o.status.value for o in run(session, world, ["w_count"], "2024-01", "2024-03")] == [
        "ok"
    ]
    colours = _colours(session, "w_count")
    assert colours[(town0, "2024-01")] == "red"
    assert colours[(town0, "2024-02")] == "orange"
    assert colours[(town0, "2024-03")] == "orange"  # no value, long past due: late
    assert [colours[(town1, p)] for p in ("2024-01", "2024-02", "2024-03")] == [
        "yellow", "green", "green",
    ]  # fmt: skip  # the override, for town1 only
    assert [colours[(town2, p)] for p in ("2024-01", "2024-02", "2024-03")] == [
        "yellow", "blue", "green",
    ]  # fmt: skip
    assert colours[(COUNTY, "2024-02")] == "green"
    late = session.execute(
        select(IndicatorWarning).where(
            IndicatorWarning.region_code == town0, IndicatorWarning.period == "2024-03"
        )
    ).scalar_one()
    assert late.reason == "数据迟报"
    assert late.status == "open"
    green = session.execute(
        select(IndicatorWarning).where(
            IndicatorWarning.region_code == COUNTY, IndicatorWarning.period == "2024-02"
        )
    ).scalar_one()
    assert green.status == "closed"
    audited = session.execute(
        select(func.count()).where(AuditRecord.action == "indicator.warning.evaluate")
    ).scalar_one()
    assert audited == 1  # the run (the rules were saved before there were values)


def test_the_values_api_answers_the_warnings_colours(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    create(session, world, "w_api")
    publish(session, "w_api")
    run(session, world, ["w_api"], "2024-01", "2024-03")
    session.flush()
    viewer = login("viewer")
    before = client.get(f"{API}/w_api/values", headers=viewer).json()["items"]
    assert {r["colour"] for r in before} == {None}  # no rule, no colour
    service.save_rule(session, code="w_api", region_code=None, spec=_spec(), scope=author())
    session.flush()
    rows = client.get(f"{API}/w_api/values", headers=viewer).json()["items"]
    stored = _colours(session, "w_api")
    assert rows
    assert all(r["colour"] == stored[(r["region_code"], r["period"])] for r in rows)
    assert {r["colour"] for r in rows} >= {"red", "green"}
    listed = client.get(f"{API}/warnings", params={"indicator": "w_api"}, headers=viewer).json()
    assert listed["total"] == sum(1 for c in stored.values() if c != "green")
    reds = client.get(f"{API}/warnings", params={"colour": "red"}, headers=viewer).json()
    assert {w["colour"] for w in reds["items"]} == {"red"}


def test_a_red_streak_escalates_once_with_a_message_and_an_event(
    session: Session,
    world: World,
    make_user: Callable[..., Any],
    escalations: list[domain_events.DomainEvent],
) -> None:
    leader = make_user("leader", COUNTY)
    create(session, world, "w_red")
    publish(session, "w_red")
    spec = _spec(
        bands=[{"colour": "red", "lower": None, "upper": 3},
               {"colour": "green", "lower": 3, "upper": None}],
        escalate_after=2, late_colour="red",
    )  # fmt: skip
    service.save_rule(session, code="w_red", region_code=None, spec=spec, scope=author())
    run(session, world, ["w_red"], "2024-01", "2024-03")
    town0 = world.towns[0]
    rows = {
        w.period: w
        for w in session.execute(
            select(IndicatorWarning).where(IndicatorWarning.region_code == town0)
        ).scalars()
    }
    assert [rows[p].consecutive_red for p in ("2024-01", "2024-02", "2024-03")] == [1, 2, 3]
    assert rows["2024-02"].escalated_at is not None
    assert rows["2024-03"].escalated_at is None  # the same streak: not again

    def sent() -> list[Message]:
        return list(
            session.execute(
                select(Message)
                .join(MessageReceipt, MessageReceipt.message_id == Message.id)
                .where(MessageReceipt.user_id == leader.user.id, Message.kind == "warning")
            ).scalars()
        )

    assert len(sent()) == 1
    assert "连续 2 期红色" in sent()[0].title
    assert [e.payload["region_code"] for e in escalations] == [town0]
    assert escalations[0].payload["period"] == "2024-02"
    # running the same periods again sends nothing more
    run(session, world, ["w_red"], "2024-01", "2024-03")
    assert len(sent()) == 1
    assert len(escalations) == 1
    audited = session.execute(
        select(func.count()).where(AuditRecord.action == "indicator.warning.escalate")
    ).scalar_one()
    assert audited == 1


def test_acknowledge_and_close_by_the_owner_department_only(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    create(session, world, "w_ack")
    publish(session, "w_ack")
    service.save_rule(session, code="w_ack", region_code=None, spec=_spec(), scope=author())
    run(session, world, ["w_ack"], "2024-01", "2024-03")
    session.flush()
    red = session.execute(
        select(IndicatorWarning).where(IndicatorWarning.colour == "red")
    ).scalars().first()  # fmt: skip
    assert red is not None
    own = login("handler", department_code=world.department)
    from citybrain.iam.departments import ensure_department

    ensure_department(session, code=f"{COUNTY}-OT", name="其他局", short_name="其他",
                      region_code=COUNTY)  # fmt: skip
    other = login("handler", department_code=f"{COUNTY}-OT")
    path = f"{API}/warnings/{red.id}"
    assert client.get(path, headers=other).status_code == 200  # read regionally
    refused = client.post(f"{path}/acknowledge", headers=other)
    assert refused.status_code == 404
    assert refused.json()["code"] == "warning_not_found"
    done = client.post(f"{path}/acknowledge", headers=own)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    again = client.post(f"{path}/acknowledge", headers=own)
    assert again.json()["code"] == "warning_not_open"
    assert client.post(f"{path}/close", json={"note": ""}, headers=own).status_code == 422
    closed = client.post(f"{path}/close", json={"note": "已核实, 数据无误"}, headers=own)
    assert closed.json()["status"] == "closed"
    assert closed.json()["close_note"] == "已核实, 数据无误"
    assert client.post(f"{path}/close", json={"note": "x"}, headers=own).json()["code"] == (
        "warning_closed"
    )


def test_the_rule_api_refuses_overlaps_and_gaps_in_chinese(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    create(session, world, "w_rule")
    publish(session, "w_rule")
    session.flush()
    analyst = login("analyst")
    path = f"{API}/warnings/rules/w_rule"
    overlap = [{"colour": "red", "lower": None, "upper": 5},
               {"colour": "green", "lower": 4, "upper": None}]  # fmt: skip
    answer = client.put(path, json={"bands": overlap}, headers=analyst)
    assert answer.status_code == 422
    assert answer.json()["code"] == "warning_thresholds_overlap"
    assert "重叠" in answer.json()["message"]
    gap = [{"colour": "red", "lower": None, "upper": 3},
           {"colour": "green", "lower": 4, "upper": None}]  # fmt: skip
    assert client.put(path, json={"bands": gap}, headers=analyst).json()["code"] == (
        "warning_thresholds_gap"
    )
    saved = client.put(path, json={"bands": BANDS, "hysteresis": 0.2}, headers=analyst)
    assert saved.status_code == 200, saved.text
    town = world.towns[0]
    override = client.put(f"{path}/regions/{town}", json={"bands": BANDS[3:]}, headers=analyst)
    assert override.json()["code"] == "warning_thresholds_gap"  # nothing below 4
    outside = client.put(f"{path}/regions/510903", json={"bands": BANDS}, headers=analyst)
    assert outside.json()["code"] == "warning_rule_region_bad"
    ok = client.put(f"{path}/regions/{town}", json={"bands": BANDS}, headers=analyst)
    assert [o["region_code"] for o in ok.json()["overrides"]] == [town]
    viewer = login("viewer")
    assert client.put(path, json={"bands": BANDS}, headers=viewer).status_code == 403
    read = client.get(path, headers=viewer).json()
    assert read["default"]["spec"]["hysteresis"] == 0.2
    assert client.delete(f"{path}/regions/{town}", headers=analyst).status_code == 204
    assert client.get(path, headers=viewer).json()["overrides"] == []


def test_the_service_refuses_a_rule_against_the_direction(session: Session, world: World) -> None:
    create(session, world, "w_dir", direction="lower")
    with pytest.raises(RuleRefused) as caught:
        service.save_rule(session, code="w_dir", region_code=None, spec=_spec(), scope=author())
    assert caught.value.code == "warning_thresholds_direction"


def test_the_values_api_keeps_the_hysteresis_state(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    create(session, world, "w_hys")
    publish(session, "w_hys")
    spec = _spec(
        bands=[{"colour": "red", "lower": None, "upper": 3.9},
               {"colour": "green", "lower": 3.9, "upper": None}],
        hysteresis=0.5, missing_colour=None, late_colour=None,
    )  # fmt: skip
    service.save_rule(session, code="w_hys", region_code=None, spec=spec, scope=author())
    run(session, world, ["w_hys"], "2024-01", "2024-03")
    session.flush()
    town2 = world.towns[2]  # 3, 4, 5: 4 is green by value but within the band of red
    rows = client.get(f"{API}/w_hys/values", headers=login("viewer")).json()["items"]
    colours = {r["period"]: r["colour"] for r in rows if r["region_code"] == town2}
    assert colours == {"2024-01": "red", "2024-02": "red", "2024-03": "green"}
    held = session.execute(
        select(IndicatorWarning.reason).where(
            IndicatorWarning.region_code == town2, IndicatorWarning.period == "2024-02"
        )
    ).scalar_one()
    assert "回差" in held
