"""The stewards' review queue: pairs shown side by side (masked), 合并 and 不是同一人 decided once
and audited, a split master, and every decision remembered by the runs that follow."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from follow_helpers import GA, WJ, following, links, master_of_id, wj_file
from masterdata_fixtures import *  # noqa: F403
from masterdata_fixtures import Demo
from sqlalchemy import Connection, select, text, update
from sqlalchemy.orm import Session
from test_follow import _ingest

from citybrain.analytics.hub import HubStore
from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.scope import Scope
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.masterdata import persist, review
from citybrain.datahub.masterdata.linking import BandPair
from citybrain.datahub.masterdata.models import MasterdataPerson, MasterdataReviewPair
from citybrain.datahub.masterdata.persist import PERSON_TABLES
from citybrain.datahub.masterdata.writing import MASTER_CONTEXT

API = "/api/v1/masterdata"


def _two_masters(session: Session) -> tuple[str, str]:
    """A record of each of two masters of 户籍 (first by id)."""
    rows = session.execute(
        text(
            "select min(source_record_id) from masterdata_person_link where resource_code = :r"
            " group by master_id order by master_id limit 2"
        ),
        {"r": GA},
    ).scalars()
    first, second = sorted(str(r) for r in rows)
    return first, second


def _queue(session: Session, left: str, right: str, weight: float = 1.5) -> int:
    review.queue_pairs(
        session, pairs=[BandPair(left, right, weight, 0.74)], run_id=None, now=utcnow()
    )
    return int(
        session.execute(
            select(MasterdataReviewPair.id).where(
                MasterdataReviewPair.record_l == left, MasterdataReviewPair.record_r == right
            )
        ).scalar_one()
    )


def _audits(session: Session, action: str) -> list[AuditRecord]:
    return list(session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars())


def test_a_steward_sees_the_pair_masked_and_decides_it_once(
    demo: Demo, client: TestClient, session: Session, login: Callable[..., dict[str, str]]
) -> None:
    left, right = _two_masters(session)
    pair_id = _queue(session, left, right)
    steward = login("analyst")
    listed = client.get(f"{API}/review", headers=steward)
    assert listed.status_code == 200, listed.text
    assert pair_id in {p["id"] for p in listed.json()["items"]}
    detail = client.get(f"{API}/review/{pair_id}", headers=steward)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert {body["left"]["source_record_id"], body["right"]["source_record_id"]} == {left, right}
    for side in (body["left"], body["right"]):
        assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", side["id_number"])
        assert re.fullmatch(r".\*+", side["name"])
        assert side["phone"] is None or re.fullmatch(r"\d{3}\*{4}\d{4}", side["phone"])
    assert _audits(session, "masterdata.review.read")
    # Another county's steward cannot see it; a reader without the code cannot either.
    other = login("analyst", "620723")
    assert client.get(f"{API}/review/{pair_id}", headers=other).status_code == 404
    assert pair_id not in {
        p["id"] for p in client.get(f"{API}/review", headers=other).json()["items"]
    }
    assert client.get(f"{API}/review", headers=login("commander")).status_code == 403

    kept = client.post(f"{API}/review/{pair_id}/apart", json={"note": "父子"}, headers=steward)
    assert kept.status_code == 200, kept.text
    assert kept.json()["status"] == "apart"
    again = client.post(f"{API}/review/{pair_id}/merge", json={}, headers=steward)
    assert again.status_code == 409
    assert again.json()["code"] == "review_already_decided"
    (record,) = _audits(session, "masterdata.review.apart")
    assert json.loads(record.detail)["note"] == "父子"
    # Remembered: the masters are a kept-apart pair, and a later run does not queue it again.
    masters = sorted({links(session)[left], links(session)[right]})
    assert tuple(masters) in review.apart_masters(session)
    assert _queue(session, left, right) == pair_id
    pending = client.get(f"{API}/review", headers=steward).json()["items"]
    assert pair_id not in {p["id"] for p in pending}


def test_merge_retires_one_master_into_the_other(
    demo: Demo,
    client: TestClient,
    session: Session,
    login: Callable[..., dict[str, str]],
) -> None:
    left, right = _two_masters(session)
    before = links(session)
    survivor, retired = sorted((before[left], before[right]))
    count = sum(
        p.record_count
        for p in (session.get(MasterdataPerson, survivor), session.get(MasterdataPerson, retired))
        if p is not None
    )
    pair_id = _queue(session, left, right)
    merged = client.post(
        f"{API}/review/{pair_id}/merge", json={"note": "同一人"}, headers=login("analyst")
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["surviving_master_id"] == survivor
    after = links(session)
    assert after[left] == after[right] == survivor
    person = session.get(MasterdataPerson, survivor)
    gone = session.get(MasterdataPerson, retired)
    assert person is not None
    assert gone is not None
    assert person.record_count == count
    assert gone.retired_into == survivor
    assert _audits(session, "masterdata.review.merge")
    profile = client.get(f"{API}/persons/{retired}", headers=login("analyst")).json()
    assert profile["master_id"] == survivor


def _master_with(session: Session, present: str, absent: str) -> str:
    """A master with a record of ``present`` and of 户籍, none of ``absent``."""
    return str(
        session.execute(
            text(
                "select master_id from masterdata_person_link group by master_id"
                " having sum(case when resource_code = :p then 1 else 0 end) = 1"
                " and sum(case when resource_code = :g then 1 else 0 end) = 1"
                " and sum(case when resource_code = :a then 1 else 0 end) = 0"
                " order by master_id limit 1"
            ),
            {"p": present, "g": GA, "a": absent},
        ).scalar_one()
    )


def test_a_split_master_stays_split_when_a_new_record_matches_both_parts(
    demo: Demo,
    client: TestClient,
    connection: Connection,
    session: Session,
    hub_copy: tuple[Settings, HubStore],
    login: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    settings, hub = hub_copy
    master = _master_with(session, "620722-MZ-001", WJ)
    steward = login("analyst")
    records = client.get(f"{API}/persons/{master}/records", headers=steward)
    assert records.status_code == 200, records.text
    listed = records.json()
    assert {r["resource_code"] for r in listed} >= {GA, "620722-MZ-001"}
    assert all(re.fullmatch(r".\*+", r["name"]) for r in listed if r["name"])
    moving = [r["source_record_id"] for r in listed if r["resource_code"] == "620722-MZ-001"]
    refused = client.post(
        f"{API}/persons/{master}/split",
        json={"source_record_ids": [r["source_record_id"] for r in listed]},
        headers=steward,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "split_records_invalid"
    # The split route reads the hub of the app's settings: the demo's (not the test's copy).
    split = client.post(
        f"{API}/persons/{master}/split",
        json={"source_record_ids": moving, "note": "错误合并"},
        headers=steward,
    )
    assert split.status_code == 200, split.text
    part = split.json()["new_master_id"]

    assert part > master
    assert {links(session)[m] for m in moving} == {part}
    assert _audits(session, "masterdata.person.split")
    number = _plain_id(demo, session, master)
    person = session.get(MasterdataPerson, master)
    assert person is not None
    name = person.name

    # A 卫健 record with the same ID number matches both parts; it joins one, they stay two.
    with following(settings, connection):
        _ingest(
            connection, settings, hub, WJ, wj_file(demo, tmp_path / "a.csv", [(name, number, None)])
        )
    joined = master_of_id(demo, session, number, WJ)
    assert joined in {master, part}
    session.expire_all()  # the job wrote through sessions of its own
    alive = [session.get(MasterdataPerson, m) for m in (master, part)]
    assert all(p is not None and p.retired_into is None for p in alive)

    # The memory is what keeps them apart: forget it, and the next version merges them.
    session.execute(update(MasterdataReviewPair).values(status="superseded"))
    with following(settings, connection):
        _ingest(connection, settings, hub, WJ,
                wj_file(demo, tmp_path / "b.csv", [(name, number, "13909361234")]))  # fmt: skip
    session.expire_all()
    merged = {session.get(MasterdataPerson, m).retired_into for m in (master, part)}  # type: ignore[union-attr]
    assert merged == {None, master}


def _plain_id(demo: Demo, session: Session, master_id: str) -> str:
    token = session.get(MasterdataPerson, master_id).id_number_enc  # type: ignore[union-attr]
    assert token is not None
    return field_cipher(demo.settings).decrypt(token, context=MASTER_CONTEXT.format("id_number"))


def test_records_split_away_are_listed_for_the_new_master(demo: Demo, session: Session) -> None:
    master = _master_with(session, "620722-MZ-001", WJ)
    records = persist.records_of_masters(session, PERSON_TABLES, {master})
    moving = [s for s in records if s.startswith("620722-MZ-001:")]
    new_id = review.split_master(
        session, master_id=master, source_record_ids=moving, scope=Scope.system(),
        hub=demo.hub, cipher=field_cipher(demo.settings), note="",
    )  # fmt: skip
    old = session.get(MasterdataPerson, master)
    new = session.get(MasterdataPerson, new_id)
    assert old is not None
    assert new is not None
    assert (old.record_count, new.record_count) == (len(records) - len(moving), len(moving))
    assert new.name  # surviving values recomputed from the moved records
    assert review.apart_masters(session) == [(master, new_id)]
