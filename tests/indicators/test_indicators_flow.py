"""Define → review → run → values, through the real services."""

from __future__ import annotations

from indicator_fixtures import COUNTY, World, create, publish, run
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.indicators.models import IndicatorValue


def _current(session: Session, indicator_id: int) -> dict[tuple[str, str], float | None]:
    rows = session.execute(
        select(IndicatorValue.region_code, IndicatorValue.period, IndicatorValue.value).where(
            IndicatorValue.indicator_id == indicator_id, IndicatorValue.current.is_(True)
        )
    )
    return {(r, p): v for r, p, v in rows}


def test_a_published_count_runs_and_rolls_up(session: Session, world: World) -> None:
    row = create(session, world, "t_count")
    publish(session, "t_count")
    outcomes = run(session, world, ["t_count"], "2024-01", "2024-03")
    assert [o.status.value for o in outcomes] == ["ok"], outcomes
    values = _current(session, row.id)
    expected: dict[tuple[str, str], float] = {}
    for r in world.rows:
        key = (r[0], r[1][:7])
        expected[key] = expected.get(key, 0) + 1
    for (town, period), count in expected.items():
        assert values[(town, period)] == count
        expected_county = sum(v for (t, p), v in expected.items() if p == period)
        assert values[(COUNTY, period)] == expected_county
