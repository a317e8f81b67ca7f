"""The demo's synthetic statistics (合成数据) and its indicator catalog, through the real
services: loaded and ingested, ≥ 40 indicators published by a second person and computed for
the county and every town for each period of the 24-month window; rates rolled up as Σ
numerators / Σ denominators (checked against a recomputation from the hub); a second run
changes nothing."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
import sqlglot
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub, table_name
from citybrain.core.config import Settings
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.demo.stats_catalog import STATS_RESOURCES
from citybrain.datahub.demo.stats_load import load_stats_demo
from citybrain.datahub.opendata import published
from citybrain.datahub.opendata.download import csv_bytes
from citybrain.indicators import demo_catalog
from citybrain.indicators.demo import seed_demo_indicators
from citybrain.indicators.demo_open import ITEMS, publish_board_datasets
from citybrain.indicators.models import (
    Indicator,
    IndicatorRevision,
    IndicatorRun,
    IndicatorValue,
)
from citybrain.indicators.warnings.models import IndicatorWarning
from citybrain.regions import queries as region_queries
from hub_testing import hub_settings

pytestmark = pytest.mark.slow
REGION = "620722"
MONTHS = [f"{2022 + (6 + i) // 12}-{(6 + i) % 12 + 1:02d}" for i in range(24)]
QUARTERS = (
    ["2022Q3", "2022Q4"]
    + [f"{y}Q{q}" for y in (2023,) for q in (1, 2, 3, 4)]
    + ["2024Q1", "2024Q2"]
)


def _values(session: Session, code: str) -> dict[tuple[str, str], IndicatorValue]:
    rows = session.execute(
        select(IndicatorValue)
        .join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.code == code, IndicatorValue.current.is_(True))
    ).scalars()
    return {(v.region_code, v.period): v for v in rows}


def test_demo_indicators_published_and_rolled_up(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    home = hub_settings(settings, tmp_path)
    store = open_hub(home)
    statuses = load_stats_demo(session, home, store=store)
    assert set(statuses.values()) == {"loaded"}, statuses
    for entry in STATS_RESOURCES:
        resource = session.execute(
            select(CatalogResource).where(CatalogResource.code == entry.code(REGION))
        ).scalar_one()
        assert resource.summary.startswith("合成数据")
        flags = store.query(f"SELECT DISTINCT synthetic FROM {table_name(resource.code)}")
        assert flags == [(True,)]

    created = seed_demo_indicators(session, home, hub=store)
    catalog = {c.code: c for c in demo_catalog.indicators(REGION)}
    assert set(catalog) <= set(created)
    published = (
        session.execute(
            select(Indicator).where(Indicator.code.in_(catalog), Indicator.status == "published")
        )
        .scalars()
        .all()
    )
    assert len(published) == len(catalog) >= 40
    for row in published:  # approved and published by someone other than the author
        revision = session.execute(
            select(IndicatorRevision).where(IndicatorRevision.indicator_id == row.id)
        ).scalar_one()
        assert revision.author != revision.reviewed_by
        assert revision.published_by != revision.author

    towns = [r.code for r in region_queries.children(session, REGION)]
    assert len(towns) >= 10
    beyond = 0
    for row in published:
        values = _values(session, row.code)
        periods = QUARTERS if row.granularity == "quarter" else MONTHS
        for region in [REGION, *towns]:
            for period in periods:
                assert (region, period) in values, (row.code, region, period)
                assert values[(region, period)].value is not None, (row.code, region, period)
        if row.rollup == "ratio":
            _check_ratio(row, values, towns, periods)
        hint = catalog[row.code].hint
        if hint is not None:
            worse = [
                v.value for v in values.values() if v.value is not None
                and (v.value > hint.alarm if row.direction == "lower" else v.value < hint.alarm)
            ]  # fmt: skip
            beyond += bool(worse)
    assert beyond >= 8  # warnings have red cells to colour
    colours = dict(
        session.execute(
            select(IndicatorWarning.colour, func.count()).group_by(IndicatorWarning.colour)
        ).all()
    )
    assert colours.get("red", 0) > 0  # the hints became rules and coloured the values
    assert colours.get("yellow", 0) > 0

    _check_against_hub(session, store)
    # the batch fused the indicators of one table and grouping: their runs logged one scan
    fused_sql = (
        session.execute(
            select(IndicatorRun.sql_text)
            .join(Indicator, Indicator.id == IndicatorRun.indicator_id)
            .where(Indicator.code.in_(["zw_cases", "zw_on_time_rate", "zw_avg_hours"]))
        )
        .scalars()
        .all()
    )
    assert len(fused_sql) == 3
    assert len(set(fused_sql)) == 1
    assert "value_0" in fused_sql[0]
    _check_open_datasets(session, home, store, published)
    before = session.execute(select(IndicatorValue.id)).scalars().all()
    assert set(load_stats_demo(session, home, store=store).values()) == {"duplicate"}
    assert seed_demo_indicators(session, home, hub=store) == []
    assert session.execute(select(IndicatorValue.id)).scalars().all() == before
    assert set(publish_board_datasets(session, home, store=store).values()) == {"duplicate"}


def _check_open_datasets(
    session: Session, home: Settings, store: HubStore, indicators: list[Indicator]
) -> None:
    """One open dataset per board, downloadable as CSV: aggregates by region and period."""
    statuses = publish_board_datasets(session, home, store=store)
    assert len(statuses) == 4
    assert set(statuses.values()) == {"loaded"}
    codes = {i.code for i in indicators}
    seen: set[str] = set()
    for code in statuses:
        entry = published.get(session, code)
        assert entry.is_open
        lines = csv_bytes(entry, store=store).decode("utf-8-sig").splitlines()
        rows = list(csv.reader(lines))
        assert tuple(rows[0]) == tuple(title for _, title, _, _ in ITEMS)  # no person columns
        assert len(rows) > 24 * 12
        for _, indicator, _, _, region, name, period, value, _ in rows[1:]:
            assert region.startswith(REGION)
            assert name
            assert period[:4] in ("2022", "2023", "2024")
            float(value)
            seen.add(indicator)
    assert codes <= seen


def _check_ratio(
    row: Indicator, values: dict[tuple[str, str], IndicatorValue], towns: list[str],
    periods: list[str],
) -> None:  # fmt: skip
    averaged_differs = False
    for period in periods:
        parts = [values[(town, period)] for town in towns]
        numerator = sum(p.numerator or 0 for p in parts)
        denominator = sum(p.denominator or 0 for p in parts)
        county = values[(REGION, period)]
        assert county.value == pytest.approx(numerator / denominator * row.ratio_scale), row.code
        mean = sum(p.value or 0 for p in parts) / len(parts)
        averaged_differs |= abs(mean - (county.value or 0)) > 1e-6
    assert averaged_differs, row.code  # a plain average of the towns' rates would be wrong


def _check_against_hub(session: Session, store: HubStore) -> None:
    """Three rates recomputed by hand from the hub rows, county-wide per month."""
    cases, matters, economy = (table_name(f"{REGION}-{s}") for s in ("ZW-101", "ZF-101", "TJ-101"))
    checks = {
        "zw_on_time_rate": f"SELECT strftime(received_at, '%Y-%m'), 100.0 * count(*) FILTER"
        f" (WHERE on_time) / count(on_time) FROM {cases} GROUP BY 1",
        "sy_mediation_rate": f"SELECT strftime(registered_at, '%Y-%m'), 100.0 * count(*) FILTER"
        f" (WHERE source = '诉源' AND resolved) / count(*) FILTER (WHERE source = '诉源')"
        f" FROM {matters} GROUP BY 1",
        "sy_litigation_per_10k": f"SELECT m, 10000.0 * (SELECT count(*) FROM {matters} WHERE"
        f" litigated AND strftime(registered_at, '%Y-%m') = m) / sum(resident_population)"
        f" FROM (SELECT strftime(stat_month, '%Y-%m') AS m, resident_population"
        f" FROM {economy}) AS e GROUP BY m",
    }
    for code, sql in checks.items():
        if store.backend == "postgresql":  # written by hand in DuckDB's dialect
            sql = sqlglot.transpile(sql, read="duckdb", write="postgres")[0]
        expected = dict(store.query(sql))
        values = _values(session, code)
        for month in MONTHS:
            assert values[(REGION, month)].value == pytest.approx(expected[month]), (code, month)


def test_catalog_is_data() -> None:
    items = demo_catalog.indicators(REGION)
    codes = [i.code for i in items]
    assert len(codes) == len(set(codes)) >= 40
    sets = {code for code, *_ in demo_catalog.SETS}
    assert {i.set_code for i in items} <= sets
    boards = defaultdict(int)
    board_of = {code: board for code, board, *_ in demo_catalog.SETS}
    for item in items:
        boards[board_of[item.set_code]] += 1
    assert set(boards) == {"zwfw", "jjshfz", "yjzh", "syzl"}
    seven = [i for i in items if i.set_code == "sylv" and i.fields.get("rollup") == "ratio"]
    assert len(seven) == 7
