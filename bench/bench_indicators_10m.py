# ruff: noqa: E501 - benchmark: long SQL built only from the constants of bench_indicators.py
"""Benchmark at 10 million 办件: the 20 indicators of ``bench_indicators.py`` for every town and
the county × 24 months, through citybrain's engine (checked SQL → one fused DuckDB scan →
values → roll-up, ``indicators/fused.py``) against the same computation written by hand in
DuckDB SQL and in pandas, on the same seeded rows, one run each.

Each method runs in a child process of its own, so its peak RSS (``ru_maxrss``) is its own;
pandas is run a second time under ``tracemalloc`` for its Python-heap peak (numpy reports its
buffers to tracemalloc). The PostgreSQL engine runs on the first ``--pg-rows`` rows (COPY of
10 million rows into PostgreSQL alone takes longer than the whole benchmark).

    PYTHONPATH=src python bench/bench_indicators_10m.py --rows 10000000 --postgres --pg-rows 1000000

Numbers are indicative: the machine is shared (2 cores, other jobs running); re-run on a quiet one.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_indicators import (
    COUNTY,
    INDICATORS,
    MONTH,
    TABLE,
    generate,
    indicator_sql,
    load_postgres,
    run_duckdb_one_scan,
    run_duckdb_per_indicator,
    run_pandas,
)

SCHEMA = {TABLE: {"town_code": "VARCHAR", "accepted_on": "DATE", "finished_on": "DATE",
                  "limit_days": "BIGINT", "overdue": "BOOLEAN", "rating": "BIGINT",
                  "channel": "VARCHAR", "item_type": "VARCHAR", "fee": "DOUBLE"}}  # fmt: skip


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepared(engine: Any) -> list[Any]:
    from citybrain.indicators import sqlcheck
    from citybrain.indicators.compute import Definition, Prepared
    from citybrain.indicators.periods import Granularity
    from citybrain.indicators.rules import EngineKind, Kind, Rollup
    from citybrain.regions.scope import Level

    out = []
    for code, value, numerator, denominator, rollup in INDICATORS:
        sql = indicator_sql(value, numerator, denominator)
        definition = Definition(
            code=code, region_code=COUNTY, kind=Kind.base, sql_text=sql, formula="",
            engine=EngineKind.hub, datasource_id=None, region_level=Level.town,
            granularity=Granularity.month, rollup=Rollup(rollup),
            ratio_scale=100.0 if "rate" in code else 1.0, timeout_seconds=3600, period_type="date",
        )  # fmt: skip
        out.append(Prepared(definition, checked=sqlcheck.check(sql, SCHEMA), engine=engine))
    return out


def _engine(path: Path, name: str) -> Any:
    from citybrain.analytics.hub import HubStore
    from citybrain.indicators.engines import HubEngine, SqlEngine

    if name == "postgresql":
        import sqlalchemy as sa

        url, schema = os.environ["BENCH_PG_URL"], os.environ["BENCH_PG_SCHEMA"]
        return SqlEngine(sa.create_engine(url), schema=schema)
    return HubEngine(HubStore(path))


def run_citybrain_fused(path: Path, engine_name: str = "duckdb") -> dict[str, Any]:
    """The whole citybrain path: checks done at save time are redone here (sqlcheck), then
    fusion, transpiling, the engine, values and roll-up."""
    from citybrain.indicators.fused import compute_fused

    started = time.perf_counter()
    engine = _engine(path, engine_name)
    prepared = _prepared(engine)
    checked = time.perf_counter()
    outcomes = compute_fused(prepared, engine=engine, first="2023-01", last="2024-12",
                             timeout_seconds=3600)  # fmt: skip
    engine.close()
    total = time.perf_counter() - started
    engine_seconds = sum({o.sql: o.elapsed_ms for o in outcomes.values()}.values()) / 1000
    return {"seconds": total, "check_seconds": checked - started, "engine_seconds": engine_seconds,
            "queries": len({o.sql for o in outcomes.values()}),
            "values": sum(len(o.values) for o in outcomes.values())}  # fmt: skip


def run_citybrain_per_indicator(path: Path) -> dict[str, Any]:
    """Before fusion: one query per indicator on one kept connection."""
    from citybrain.indicators import compute

    started = time.perf_counter()
    engine = _engine(path, "duckdb")
    values = 0
    for prepared in _prepared(engine):
        outcome = compute.compute(None, prepared, first="2023-01", last="2024-12",
                                  timeout_seconds=3600)  # type: ignore[arg-type]  # fmt: skip
        values += len(outcome.values)
    engine.close()
    return {"seconds": time.perf_counter() - started, "values": values}


def run_pandas_traced(path: Path) -> dict[str, Any]:
    import tracemalloc

    tracemalloc.start()
    result = run_pandas(path)
    result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    tracemalloc.stop()
    return result


def child(method: str, path: Path) -> None:
    runners = {
        "citybrain_fused": lambda: run_citybrain_fused(path),
        "citybrain_per_indicator": lambda: run_citybrain_per_indicator(path),
        "citybrain_postgresql": lambda: run_citybrain_fused(path, "postgresql"),
        "duckdb_one_scan": lambda: run_duckdb_one_scan(path),
        "duckdb_per_indicator": lambda: run_duckdb_per_indicator(path),
        "pandas": lambda: run_pandas(path),
        "pandas_tracemalloc": lambda: run_pandas_traced(path),
    }
    result = runners[method]()
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    print(json.dumps(result))


def _run(method: str, path: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--method", method, "--path", str(path)],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{method:24s} {json.dumps(result)}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--postgres", action="store_true", help="also the PostgreSQL engine")
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        child(args.method, Path(args.path))
        return
    with tempfile.TemporaryDirectory(prefix="bench-indicators-10m-") as folder:
        path = Path(folder) / "hub.duckdb"
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"{args.rows:,} 办件 rows generated in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        env = dict(os.environ)
        methods = ["citybrain_fused", "duckdb_one_scan", "duckdb_per_indicator",
                   "citybrain_per_indicator", "pandas", "pandas_tracemalloc"]  # fmt: skip
        results = {m: _run(m, path, env) for m in methods}
        if args.postgres:
            results.update(_postgres(args, Path(folder), env))
        _summary(results, args.rows)


def _postgres(args: argparse.Namespace, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    import duckdb
    import sqlalchemy as sa

    small = folder / "hub_pg.duckdb"
    generate(small, args.pg_rows)
    schema = f"bench_ind10m_{os.getpid()}"
    seconds = load_postgres(small, args.pg_url, schema)
    print(f"{args.pg_rows:,} rows loaded into PostgreSQL in {seconds:.1f} s", flush=True)
    env = {**env, "BENCH_PG_URL": args.pg_url, "BENCH_PG_SCHEMA": schema}
    try:
        return {
            "citybrain_postgresql": _run("citybrain_postgresql", small, env),
            "citybrain_fused_pg_rows": _run("citybrain_fused", small, env),
        }
    finally:
        engine = sa.create_engine(args.pg_url)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        engine.dispose()
        del duckdb


def _summary(results: dict[str, Any], rows: int) -> None:
    base = results["citybrain_fused"]["seconds"]
    pandas = results["pandas"]
    print(f"\n{rows:,} rows, {len(INDICATORS)} indicators, {MONTH} over 24 months:")
    print(f"pandas (groupby only) / citybrain: {pandas['seconds'] / base:.2f}× (goal ≥ 5×)")
    print(
        f"pandas (load + groupby) / citybrain: {(pandas['seconds'] + pandas['load_seconds']) / base:.2f}×"
    )
    print(
        f"citybrain / hand DuckDB one scan: {base / results['duckdb_one_scan']['seconds']:.2f}× (goal ≤ 1.25×)"
    )
    print(
        f"citybrain / hand DuckDB per indicator: {base / results['duckdb_per_indicator']['seconds']:.2f}×"
    )
    overhead = base - results["citybrain_fused"]["engine_seconds"]
    print(f"citybrain overhead outside the engine: {overhead:.3f} s")


if __name__ == "__main__":
    main()
