"""Every demo indicator (``indicators/demo_catalog.py``) gives exactly the same values on DuckDB
and on PostgreSQL over the same synthetic tables: base indicators through ``compute`` on each
engine (checked SQL, transpiled, run, rolled up), derived ones by their formula over each
engine's base values. The companion of ``test_engines_agree.py`` (the allowed-function list).

PostgreSQL as there (``CITYBRAIN_TEST_DATABASE_URL`` or the local server); skipped without one.
The tables are the demo's generators at a fifth of their size (the statistics tables in full).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pandas
import pytest
import sqlalchemy as sa
from test_engines_agree import PG_TYPES, _pg_url

from citybrain.analytics.hub import DuckHubStore, table_name
from citybrain.datahub.demo.people import town_codes
from citybrain.datahub.demo.stats_common import towns_with_weights
from citybrain.datahub.demo.stats_load import DEFAULT_SEED, StatsTable, generate_tables
from citybrain.datahub.ingest.pipeline import HUB_TYPES_BY_ITEM
from citybrain.indicators import compute, sqlcheck
from citybrain.indicators.compute import Definition, Prepared
from citybrain.indicators.demo_catalog import CatalogIndicator, indicators
from citybrain.indicators.engines import HubEngine, SqlEngine
from citybrain.indicators.formula import parse_formula
from citybrain.indicators.fused import compute_fused
from citybrain.indicators.periods import Granularity
from citybrain.indicators.rules import EngineKind, Kind, Rollup, Value
from citybrain.regions.scope import Level

REGION = "620722"
CATALOG = indicators(REGION)
BASES = [c for c in CATALOG if c.fields.get("kind") != "derived"]
DERIVED = [c for c in CATALOG if c.fields.get("kind") == "derived"]
pytestmark = pytest.mark.slow  # about 20 s: the tables go into DuckDB and PostgreSQL
PG_TYPES_ALL = {**PG_TYPES, "BOOLEAN": "boolean"}


def _typed(table: StatsTable) -> tuple[dict[str, str], list[tuple[object, ...]]]:
    columns = {name: HUB_TYPES_BY_ITEM[kind] for name, _, kind, _ in table.resource.items}
    kinds = list(columns.values())
    rows = [
        tuple(
            datetime.fromisoformat(v) if k == "TIMESTAMP" and isinstance(v, str) else v
            for v, k in zip(row, kinds, strict=True)
        )
        for row in table.rows
    ]
    return columns, rows


@pytest.fixture(scope="module")
def demo_engines(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Iterator[tuple[HubEngine, SqlEngine, dict[str, dict[str, str]]]]:
    towns = towns_with_weights([(c, n) for n, c in town_codes(data_dir).items()], DEFAULT_SEED)
    tables = generate_tables(towns, DEFAULT_SEED, scale=0.2)
    try:
        engine = sa.create_engine(_pg_url())
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server")
    path = Path(tmp_path_factory.mktemp("agree_demo")) / "hub.duckdb"
    schema_name = f"cbdemo_{uuid.uuid4().hex[:10]}"
    schema: dict[str, dict[str, str]] = {}
    with duckdb.connect(str(path)) as con, engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema_name}")
        for table in tables:
            name = table_name(table.resource.code(REGION))
            columns, rows = _typed(table)
            schema[name] = columns
            con.execute(
                f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})"
            )
            frame = pandas.DataFrame(rows, columns=list(columns), dtype=object)
            con.register("frame", frame)
            con.execute(f"INSERT INTO {name} SELECT * FROM frame")
            con.unregister("frame")
            defs = ", ".join(f"{c} {PG_TYPES_ALL[t]}" for c, t in columns.items())
            conn.exec_driver_sql(f"CREATE TABLE {schema_name}.{name} ({defs})")
            raw = conn.connection.driver_connection
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {schema_name}.{name} FROM STDIN") as copy,
            ):  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
    try:
        yield HubEngine(DuckHubStore(path)), SqlEngine(engine, schema=schema_name), schema
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema_name} CASCADE")
        engine.dispose()


def _prepared(
    item: CatalogIndicator, engine: HubEngine | SqlEngine, schema: dict[str, dict[str, str]]
) -> Prepared:
    fields = item.fields
    definition = Definition(
        code=item.code, region_code=REGION, kind=Kind.base, sql_text=fields["sql_text"],
        formula="", engine=EngineKind.hub, datasource_id=None, region_level=Level.town,
        granularity=Granularity(fields.get("granularity", "month")),
        rollup=Rollup(fields.get("rollup", "sum")),
        ratio_scale=float(fields.get("ratio_scale", 1.0)), timeout_seconds=60,
    )  # fmt: skip
    return Prepared(definition, checked=sqlcheck.check(fields["sql_text"], schema), engine=engine)


def _run(
    item: CatalogIndicator, engine: HubEngine | SqlEngine, schema: dict[str, dict[str, str]]
) -> list[Value]:
    quarterly = item.fields.get("granularity") == "quarter"
    first, last = ("2022Q3", "2024Q2") if quarterly else ("2022-07", "2024-06")
    outcome = compute.compute(
        None,  # type: ignore[arg-type]  # a base indicator needs no session
        _prepared(item, engine, schema), first=first, last=last, timeout_seconds=60,
    )  # fmt: skip
    return sorted(outcome.values, key=str)


@pytest.fixture(scope="module")
def both(
    demo_engines: tuple[HubEngine, SqlEngine, dict[str, dict[str, str]]],
) -> dict[str, tuple[list[Value], list[Value]]]:
    duck, pg, schema = demo_engines
    return {item.code: (_run(item, duck, schema), _run(item, pg, schema)) for item in BASES}


@pytest.mark.parametrize("item", BASES, ids=[c.code for c in BASES])
def test_base_demo_indicator_agrees(
    item: CatalogIndicator, both: dict[str, tuple[list[Value], list[Value]]]
) -> None:
    on_duck, on_pg = both[item.code]
    assert len(on_duck) >= 8 * 12  # the county and eleven towns, 8 quarters or 24 months
    assert on_duck == on_pg


@pytest.mark.parametrize("item", DERIVED, ids=[c.code for c in DERIVED])
def test_derived_demo_indicator_agrees(
    item: CatalogIndicator, both: dict[str, tuple[list[Value], list[Value]]]
) -> None:
    formula = parse_formula(item.fields["formula"])
    results = []
    for side in (0, 1):
        known: dict[tuple[str, str], dict[str, float | None]] = defaultdict(dict)
        for code in formula.inputs:
            for value in both[code][side]:
                known[(value.region_code, value.period)][code] = value.value
        results.append({key: formula.evaluate(inputs) for key, inputs in sorted(known.items())})
    assert len(results[0]) >= 24 * 12
    assert results[0] == results[1]


def test_fused_scan_gives_the_values_of_each_indicator_alone(
    demo_engines: tuple[HubEngine, SqlEngine, dict[str, dict[str, str]]],
    both: dict[str, tuple[list[Value], list[Value]]],
) -> None:
    duck, pg, schema = demo_engines
    monthly = [c for c in BASES if c.fields.get("granularity", "month") == "month"]
    for side, engine in enumerate((duck, pg)):
        outcomes = compute_fused(
            [_prepared(item, engine, schema) for item in monthly], engine=engine,
            first="2022-07", last="2024-06", timeout_seconds=60,
        )  # fmt: skip
        assert set(outcomes) == {c.code for c in monthly}
        fused_sql = {o.sql for o in outcomes.values()}
        assert len(fused_sql) < len(monthly) / 3  # one scan per table, not per indicator
        for code, outcome in outcomes.items():
            assert sorted(outcome.values, key=str) == both[code][side], code
