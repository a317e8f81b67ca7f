"""The same indicator definitions on DuckDB and on PostgreSQL, over the same data, give exactly
the same values; and every function of the allowed list is used by one of them (so the list
holds only functions whose translation is tested).

PostgreSQL: ``CITYBRAIN_TEST_DATABASE_URL`` when it names PostgreSQL, else the local test
server; the data goes into a private schema dropped at the end. Skipped when no server answers.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from citybrain.analytics.hub import DuckHubStore
from citybrain.indicators import compute, sqlcheck
from citybrain.indicators.compute import Definition, Prepared
from citybrain.indicators.engines import HubEngine, SqlEngine
from citybrain.indicators.periods import Granularity
from citybrain.indicators.rules import EngineKind, Kind, Rollup
from citybrain.regions.scope import Level

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COLUMNS = {
    "town_code": "VARCHAR",
    "signed_on": "DATE",
    "updated_at": "TIMESTAMP",
    "amount": "DOUBLE",
    "people": "BIGINT",
    "status": "VARCHAR",
}
PG_TYPES = {
    "VARCHAR": "text",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "DOUBLE": "double precision",
    "BIGINT": "bigint",
}
T = "hub_sample"
G = "GROUP BY town_code, date_trunc('month', signed_on)"
M = "date_trunc('month', signed_on) AS period"


@dataclass(frozen=True)
class Case:
    name: str
    sql: str
    granularity: Granularity = Granularity.month
    rollup: Rollup = Rollup.sum
    scale: float = 1.0


CASES = (
    Case("count", f"SELECT town_code AS region_code, {M}, count(*) AS value FROM {T} {G}"),
    Case("sum_people", f"SELECT town_code AS region_code, {M}, sum(people) AS value FROM {T} {G}"),
    Case(
        "avg_amount",
        f"SELECT town_code AS region_code, {M}, avg(amount) AS value FROM {T} {G}",
        rollup=Rollup.none,
    ),
    Case(
        "min_max",
        f"SELECT town_code AS region_code, {M}, max(amount) - min(amount) AS value FROM {T} {G}",
        rollup=Rollup.max,
    ),
    Case(
        "share",
        f"SELECT town_code AS region_code, {M},"
        " sum(CASE WHEN status = '在约' THEN 1 ELSE 0 END) * 100.0 / count(*) AS value,"
        " sum(if(status = '在约' AND people > 0 OR amount < 0, 1, 0)) AS numerator,"
        " count(*) AS denominator"
        f" FROM {T} {G}",
        rollup=Rollup.ratio,
        scale=100,
    ),
    Case(
        "per_person",
        f"SELECT town_code AS region_code, {M}, sum(amount) / sum(people) AS value,"
        f" sum(amount) AS numerator, sum(people) AS denominator FROM {T} {G}",
        rollup=Rollup.ratio,
    ),
    Case(
        "int_division",
        f"SELECT town_code AS region_code, {M}, sum(people) / count(*) AS value FROM {T} {G}",
        rollup=Rollup.none,
    ),
    Case(
        "coalesce_nullif",
        f"SELECT town_code AS region_code, {M},"
        " sum(coalesce(nullif(people, 3), 0)) AS value"
        f" FROM {T} {G}",
    ),
    Case(
        "abs_greatest_least",
        f"SELECT town_code AS region_code, {M},"
        " sum(abs(people - 3) + greatest(people, 2) - least(people, 4)) AS value"
        f" FROM {T} {G}",
    ),
    Case(
        "cast_floor_ceil",
        f"SELECT town_code AS region_code, {M},"
        " sum(CAST(floor(amount) AS BIGINT) + ceil(amount)) AS value"
        f" FROM {T} {G}",
    ),
    Case(
        "year",
        f"SELECT town_code AS region_code, year(signed_on) AS period, count(*) AS value"
        f" FROM {T} GROUP BY town_code, year(signed_on)",
        granularity=Granularity.year,
    ),
    Case(
        "extract_month",
        f"SELECT town_code AS region_code, strftime(signed_on, '%Y-%m') AS period,"
        " sum(extract(month FROM signed_on) + month(signed_on)) AS value"
        f" FROM {T} GROUP BY town_code, strftime(signed_on, '%Y-%m')",
    ),
    Case(
        "strftime_year",
        f"SELECT town_code AS region_code, strftime(updated_at, '%Y') AS period,"
        " count(*) AS value"
        f" FROM {T} GROUP BY town_code, strftime(updated_at, '%Y')",
        granularity=Granularity.year,
    ),
    Case(
        "day",
        f"SELECT town_code AS region_code, strftime(signed_on, '%Y-%m-%d') AS period,"
        " count(*) AS value"
        f" FROM {T} GROUP BY town_code, strftime(signed_on, '%Y-%m-%d')",
        granularity=Granularity.day,
    ),
    Case(
        "quarter_text",
        f"SELECT town_code AS region_code,"
        " date_trunc('quarter', updated_at) AS period,"
        " sum(length(status) + length(lower(upper(status))))"
        f" AS value FROM {T} GROUP BY town_code, date_trunc('quarter', updated_at)",
        granularity=Granularity.quarter,
    ),
    Case(
        "substring",
        f"SELECT substring(town_code, 1, 9) AS region_code, {M}, count(*) AS value"
        f" FROM {T} GROUP BY substring(town_code, 1, 9), date_trunc('month', signed_on)",
    ),
)


def _rows(n: int = 400) -> list[tuple[object, ...]]:
    rng = random.Random(620722)
    towns = ["620722100", "620722101", "620722102", "620722103"]
    rows = []
    for _ in range(n):
        day = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
        rows.append(
            (
                rng.choice(towns),
                day,
                datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60)),
                round(rng.uniform(0, 500), 2),
                rng.randrange(1, 8),
                rng.choice(["在约", "解约", "待签"]),
            )
        )
    return rows


def _pg_url() -> str:
    url = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else PG_URL


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubEngine, SqlEngine]]:
    rows = _rows()
    path = Path(tmp_path_factory.mktemp("agree")) / "hub.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE TABLE {T} ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
        con.executemany(f"INSERT INTO {T} VALUES (?, ?, ?, ?, ?, ?)", rows)
    try:
        engine = sa.create_engine(_pg_url())
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server")
    schema = f"cbind_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        defs = ", ".join(f"{c} {PG_TYPES[t]}" for c, t in COLUMNS.items())
        conn.exec_driver_sql(f"CREATE TABLE {schema}.{T} ({defs})")
        conn.execute(
            sa.text(f"INSERT INTO {schema}.{T} VALUES (:a, :b, :c, :d, :e, :f)"),
            [dict(zip("abcdef", r, strict=True)) for r in rows],
        )
    try:
        yield HubEngine(DuckHubStore(path)), SqlEngine(engine, schema=schema)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        engine.dispose()


def _prepared(case: Case, engine: HubEngine | SqlEngine) -> Prepared:
    definition = Definition(
        code=case.name,
        region_code="620722",
        kind=Kind.base,
        sql_text=case.sql,
        formula="",
        engine=EngineKind.hub,
        datasource_id=None,
        region_level=Level.town,
        granularity=case.granularity,
        rollup=case.rollup,
        ratio_scale=case.scale,
        timeout_seconds=30,
    )
    return Prepared(definition, checked=sqlcheck.check(case.sql, {T: COLUMNS}), engine=engine)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_duckdb_and_postgresql_agree_exactly(
    case: Case, engines: tuple[HubEngine, SqlEngine]
) -> None:
    duck, pg = engines
    on_duck = compute.compute(
        None, _prepared(case, duck), first=None, last=None, timeout_seconds=30
    )  # type: ignore[arg-type]
    on_pg = compute.compute(None, _prepared(case, pg), first=None, last=None, timeout_seconds=30)  # type: ignore[arg-type]
    assert len(on_duck.values) > 4
    assert sorted(on_duck.values, key=str) == sorted(on_pg.values, key=str)


def test_every_allowed_function_is_exercised() -> None:
    used: set[str] = set()
    for case in CASES:
        used |= set(sqlcheck.check(case.sql, {T: COLUMNS}).functions)
    assert set(sqlcheck.ALLOWED_NAMES) <= used, set(sqlcheck.ALLOWED_NAMES) - used
