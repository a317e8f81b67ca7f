"""Runs: dependency order, rates rolled up right, failures publish nothing, values keep their
history and trace to the run and its SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from indicator_fixtures import COUNTY, World, author, create, publish, run
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.errors import DomainError
from citybrain.core.pagination import PageParams
from citybrain.indicators import queries, run_queries
from citybrain.indicators.engines import hub_engine, timeout_failure
from citybrain.indicators.models import IndicatorRun, IndicatorValue
from citybrain.indicators.schemas import RunFilter


def _current(session: Session, indicator_id: int) -> dict[tuple[str, str], float | None]:
    rows = session.execute(
        select(IndicatorValue.region_code, IndicatorValue.period, IndicatorValue.value).where(
            IndicatorValue.indicator_id == indicator_id, IndicatorValue.current.is_(True)
        )
    )
    return {(r, p): v for r, p, v in rows}


def _rate_sql(world: World) -> str:
    return (
        "SELECT town_code AS region_code, strftime(signed_on, '%Y-%m') AS period,"
        " sum(CASE WHEN status = '在约' THEN 1 ELSE 0 END) * 100.0 / count(*) AS value,"
        " sum(CASE WHEN status = '在约' THEN 1 ELSE 0 END) AS numerator, count(*) AS denominator"
        f" FROM {world.table} GROUP BY town_code, strftime(signed_on, '%Y-%m')"
    )


def test_a_rate_rolls_up_as_numerator_over_denominator(session: Session, world: World) -> None:
    row = create(
        session,
        world,
        "t_rate",
        sql_text=_rate_sql(world),
        rollup="ratio",
        ratio_scale=100,
        unit="%",
    )
    publish(session, "t_rate")
    assert [o.status.value for o in run(session, world, ["t_rate"], "2024-01", "2024-03")] == ["ok"]
    values = _current(session, row.id)
    month = [r for r in world.rows if r[1].startswith("2024-03")]
    active = sum(1 for r in month if r[4] == "在约")
    assert values[(COUNTY, "2024-03")] == pytest.approx(active * 100 / len(month))
    towns = [v for (c, p), v in values.items() if p == "2024-03" and c != COUNTY]
    assert values[(COUNTY, "2024-03")] != pytest.approx(sum(towns) / len(towns))


def test_derived_runs_after_its_inputs_and_is_skipped_when_they_fail(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = create(session, world, "t_in")
    derived = create(session, world, "t_twice", kind="derived", formula="t_in * 2 + 1")
    publish(session, "t_in")
    publish(session, "t_twice")
    outcomes = run(session, world, ["t_twice", "t_in"], "2024-01", "2024-03")
    assert [(o.code, o.status.value) for o in outcomes] == [("t_in", "ok"), ("t_twice", "ok")]
    base_values, twice = _current(session, base.id), _current(session, derived.id)
    assert twice
    assert all(twice[key] == base_values[key] * 2 + 1 for key in twice)
    assert twice[(COUNTY, "2024-01")] == base_values[(COUNTY, "2024-01")] * 2 + 1

    def too_slow(self: object, sql: str, *, timeout_seconds: float) -> object:
        raise timeout_failure(timeout_seconds, "INTERRUPT Error: Interrupted!")

    engine = hub_engine(world.hub)  # HubEngine, or SqlEngine when the hub is in PostgreSQL
    monkeypatch.setattr(type(engine), "execute", too_slow)
    outcomes = run(session, world, ["t_in", "t_twice"], "2024-01", "2024-03")
    assert [(o.code, o.status.value, o.error_code) for o in outcomes] == [
        ("t_in", "timeout", "timeout"),
        ("t_twice", "skipped", "upstream_failed"),
    ]
    # nothing partial: the previous values stay current
    assert _current(session, base.id) == base_values
    assert _current(session, derived.id) == twice
    failed = session.get(IndicatorRun, outcomes[0].run_id)
    assert failed is not None
    assert failed.error_detail.startswith("INTERRUPT")


def test_a_rerun_adds_a_version_traced_to_its_run_and_sql(session: Session, world: World) -> None:
    row = create(session, world, "t_ver")
    publish(session, "t_ver")
    first = run(session, world, ["t_ver"], "2024-01", "2024-02")[0]
    second = run(session, world, ["t_ver"], "2024-02", "2024-03")[0]
    town = world.towns[1]
    history = queries.value_history(session, "t_ver", scope=author(), region=town, period="2024-02")
    assert [(h.version, h.current, h.run_id) for h in history] == [
        (2, True, second.run_id),
        (1, False, first.run_id),
    ]
    assert history[0].sql_text
    assert world.table in history[0].sql_text
    assert "2024-03-31" in history[0].sql_text  # the range pushed into the engine's SQL
    reader = author().__class__(
        region_code=COUNTY,
        all_departments=True,
        actor="viewer",
        permissions=frozenset({"indicators:read"}),
    )
    hidden = queries.value_history(session, "t_ver", scope=reader, region=town, period="2024-02")
    assert hidden[0].sql_text is None  # internals only for operators
    listed = run_queries.list_runs(
        session,
        filters=RunFilter(indicator="t_ver", period="2024-01"),
        page=PageParams(),
        scope=reader,
    )
    assert [r.id for r in listed.items] == [first.run_id]
    assert listed.items[0].sql_text is None
    assert listed.items[0].periods["2024-01"] > 0
    assert _current(session, row.id)[(town, "2024-01")] is not None  # not in the re-run: kept
    points = run_queries.durations(session, "t_ver", scope=reader)
    assert [p.run_id for p in points] == [first.run_id, second.run_id]
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    days = run_queries.calendar(session, first=today - timedelta(days=2), last=today, scope=reader)
    assert [d.day for d in days] == [today - timedelta(days=n) for n in (2, 1, 0)]
    assert days[-1].ok >= 2
    assert days[-1].total == days[-1].ok + days[-1].failed + (days[-1].skipped + days[-1].pending)
    elsewhere = reader.__class__(
        region_code="510903",
        all_departments=True,
        actor="viewer",
        permissions=frozenset({"indicators:read"}),
    )
    assert run_queries.calendar(session, first=today, last=today, scope=elsewhere)[0].total == 0
    with pytest.raises(DomainError) as caught:
        run_queries.calendar(session, first=today, last=today - timedelta(days=1), scope=reader)
    assert caught.value.code == "bad_calendar_range"


def test_only_published_indicators_run_and_periods_must_fit(session: Session, world: World) -> None:
    create(session, world, "t_draft")
    with pytest.raises(DomainError) as caught:
        run(session, world, ["t_draft"], "2024-01", "2024-02")
    assert caught.value.code == "indicator_not_published"
    publish(session, "t_draft")
    with pytest.raises(DomainError) as caught:
        run(session, world, ["t_draft"], "2024Q1", "2024Q2")
    assert caught.value.code == "bad_period"


def test_a_schedule_slot_recomputes_recent_periods_and_catches_up(
    session: Session, world: World
) -> None:
    from datetime import UTC, datetime

    from citybrain.core.db import make_session_factory
    from citybrain.core.jobs.registry import JobContext, Registry
    from citybrain.indicators import tasks
    from citybrain.indicators.rules import Frequency

    create(session, world, "t_sched", update_frequency="monthly")
    create(session, world, "t_daily", update_frequency="daily")
    publish(session, "t_sched")
    publish(session, "t_daily")
    session.flush()
    factory = make_session_factory(session.connection())
    ctx = JobContext(factory=factory, settings=world.settings, run_id=0, attempt=1)
    slot = datetime(2024, 3, 1, 18, 30, tzinfo=UTC)  # 2 March, 02:30 in Shanghai
    batches = tasks.scheduled_batches(ctx, Frequency.monthly, now=slot, missed=1)
    queued = (
        session.execute(select(IndicatorRun).where(IndicatorRun.batch_key.in_(batches)))
        .scalars()
        .all()
    )
    assert [(r.trigger, r.period_from, r.period_to) for r in queued] == [
        ("schedule", "2024-01", "2024-03")  # two recent periods and one missed
    ]
    from citybrain.indicators import runs as indicator_runs

    done = indicator_runs.execute_batch(
        factory, batch_key=batches[0], hub=world.hub, settings=world.settings
    )
    assert [o.code for o in done] == ["t_sched"]
    registry = Registry()
    tasks.register_jobs(registry)
    assert set(registry.schedules) == {f"indicators.scheduled_{f.value}" for f in Frequency}
