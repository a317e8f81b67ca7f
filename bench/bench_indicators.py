# ruff: noqa: E501, S608 - benchmark: long SQL built only from the constants of this file
"""Benchmark: 20 indicators over 办件 rows, for every town and the county and 24 months,
through citybrain (checked SQL → engine → values → roll-up), against the same computation written
by hand in DuckDB SQL (one query per indicator, and one single-scan query for all 20) and in
pandas; the PostgreSQL engine on the same rows when a server answers.

Each method runs in a child process of its own, so its peak memory (``ru_maxrss``) is its own.

    PYTHONPATH=src python bench/bench_indicators.py --rows 1000000
    PYTHONPATH=src python bench/bench_indicators.py --rows 10000000 --postgres

Numbers are indicative on a shared machine; re-run on a quiet one.
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

TABLE = "hub_banjian"
TOWNS = 10
MONTHS = 24
COUNTY = "620722"
MONTH = "date_trunc('month', accepted_on)"
DAYS = "(finished_on - accepted_on)"

# (code, value expression, numerator, denominator, roll-up)
INDICATORS: list[tuple[str, str, str | None, str | None, str]] = [
    ("bj_total", "count(*)", None, None, "sum"),
    ("bj_online", "sum(CASE WHEN channel = '网办' THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_online_rate", "sum(CASE WHEN channel = '网办' THEN 1 ELSE 0 END) * 100.0 / count(*)",
     "sum(CASE WHEN channel = '网办' THEN 1 ELSE 0 END)", "count(*)", "ratio"),
    ("bj_finished", "count(finished_on)", None, None, "sum"),
    ("bj_finish_rate", "count(finished_on) * 100.0 / count(*)", "count(finished_on)", "count(*)",
     "ratio"),
    ("bj_overdue", "sum(CASE WHEN overdue THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_overdue_rate", "sum(CASE WHEN overdue THEN 1 ELSE 0 END) * 100.0 / count(*)",
     "sum(CASE WHEN overdue THEN 1 ELSE 0 END)", "count(*)", "ratio"),
    ("bj_good", "sum(CASE WHEN rating >= 4 THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_good_rate", "sum(CASE WHEN rating >= 4 THEN 1 ELSE 0 END) * 100.0 / count(rating)",
     "sum(CASE WHEN rating >= 4 THEN 1 ELSE 0 END)", "count(rating)", "ratio"),
    ("bj_bad", "sum(CASE WHEN rating <= 2 THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_avg_rating", "sum(rating) * 1.0 / count(rating)", "sum(rating)", "count(rating)", "ratio"),
    ("bj_avg_days", f"sum({DAYS}) * 1.0 / count(finished_on)", f"sum({DAYS})", "count(finished_on)",
     "ratio"),
    ("bj_fee", "sum(fee)", None, None, "sum"),
    ("bj_instant", f"sum(CASE WHEN {DAYS} = 0 THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_window", "sum(CASE WHEN channel = '窗口' THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_kiosk", "sum(CASE WHEN channel = '自助' THEN 1 ELSE 0 END)", None, None, "sum"),
    ("bj_enterprise", "sum(CASE WHEN item_type IN ('企业开办', '工程建设', '税务') THEN 1 ELSE 0 END)",
     None, None, "sum"),
    ("bj_personal", "sum(CASE WHEN item_type IN ('社保', '医保', '户籍') THEN 1 ELSE 0 END)", None,
     None, "sum"),
    ("bj_max_days", f"max({DAYS})", None, None, "max"),
    ("bj_limit_days", "sum(limit_days)", None, None, "sum"),
]  # fmt: skip


def indicator_sql(value: str, numerator: str | None, denominator: str | None) -> str:
    ratio = f", {numerator} AS numerator, {denominator} AS denominator" if numerator else ""
    return (
        f"SELECT town_code AS region_code, {MONTH} AS period, {value} AS value{ratio}"
        f" FROM {TABLE} GROUP BY town_code, {MONTH}"
    )


def generate(path: Path, rows: int) -> None:
    """``rows`` 办件 in 10 towns over 24 months, deterministic (hash-based), in DuckDB."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute(
            f"""CREATE OR REPLACE TABLE {TABLE} AS
            SELECT '{COUNTY}' || lpad(CAST(100 + hash(i, 1) % {TOWNS} AS VARCHAR), 3, '0') AS town_code,
                   DATE '2023-01-01' + CAST(hash(i, 2) % ({MONTHS} * 30) AS INTEGER) AS accepted_on,
                   CASE WHEN hash(i, 3) % 10 < 9
                        THEN DATE '2023-01-01' + CAST(hash(i, 2) % ({MONTHS} * 30) AS INTEGER)
                             + CAST(hash(i, 4) % 20 AS INTEGER) END AS finished_on,
                   CAST(1 + hash(i, 5) % 15 AS BIGINT) AS limit_days,
                   hash(i, 6) % 20 = 0 AS overdue,
                   CASE WHEN hash(i, 7) % 3 > 0 THEN CAST(1 + hash(i, 8) % 5 AS BIGINT) END AS rating,
                   ['网办', '窗口', '自助'][1 + CAST(hash(i, 9) % 3 AS INTEGER)] AS channel,
                   ['企业开办', '工程建设', '税务', '社保', '医保', '户籍', '民政', '其他']
                       [1 + CAST(hash(i, 10) % 8 AS INTEGER)] AS item_type,
                   round((hash(i, 11) % 10000) / 100.0, 2) AS fee
            FROM range({rows}) t(i)"""
        )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_citybrain(path: Path, engine_name: str) -> dict[str, Any]:
    from citybrain.analytics.hub import DuckHubStore
    from citybrain.indicators import compute, sqlcheck
    from citybrain.indicators.compute import Definition, Prepared
    from citybrain.indicators.engines import HubEngine, IndicatorEngine
    from citybrain.indicators.periods import Granularity
    from citybrain.indicators.rules import EngineKind, Kind, Rollup
    from citybrain.regions.scope import Level

    engine: IndicatorEngine
    if engine_name == "postgresql":
        import sqlalchemy as sa

        from citybrain.indicators.engines import SqlEngine

        engine = SqlEngine(
            sa.create_engine(os.environ["BENCH_PG_URL"]), schema=os.environ["BENCH_PG_SCHEMA"]
        )
    else:
        engine = HubEngine(DuckHubStore(path))
    schema = {TABLE: {"town_code": "VARCHAR", "accepted_on": "DATE", "finished_on": "DATE",
                      "limit_days": "BIGINT", "overdue": "BOOLEAN", "rating": "BIGINT",
                      "channel": "VARCHAR", "item_type": "VARCHAR", "fee": "DOUBLE"}}  # fmt: skip
    started = time.perf_counter()
    values = 0
    for code, value, numerator, denominator, rollup in INDICATORS:
        sql = indicator_sql(value, numerator, denominator)
        definition = Definition(
            code=code, region_code=COUNTY, kind=Kind.base, sql_text=sql, formula="",
            engine=EngineKind.hub, datasource_id=None, region_level=Level.town,
            granularity=Granularity.month, rollup=Rollup(rollup),
            ratio_scale=100.0 if "rate" in code else 1.0, timeout_seconds=3600, period_type="date",
        )  # fmt: skip
        prepared = Prepared(definition, checked=sqlcheck.check(sql, schema), engine=engine)
        outcome = compute.compute(
            None, prepared, first="2023-01", last="2024-12", timeout_seconds=3600
        )  # type: ignore[arg-type]
        values += len(outcome.values)
    engine.close()
    return {"seconds": time.perf_counter() - started, "values": values}


def run_duckdb_per_indicator(path: Path) -> dict[str, Any]:
    import duckdb

    started = time.perf_counter()
    values = 0
    with duckdb.connect(str(path), read_only=True) as con:
        for _, value, _, _, _ in INDICATORS:
            rows = con.execute(
                f"SELECT town_code, {MONTH}, {value} FROM {TABLE}"
                f" GROUP BY GROUPING SETS ((town_code, {MONTH}), ({MONTH}))"
            ).fetchall()
            values += len(rows)
    return {"seconds": time.perf_counter() - started, "values": values}


def run_duckdb_one_scan(path: Path) -> dict[str, Any]:
    import duckdb

    started = time.perf_counter()
    columns = ", ".join(f"{value} AS {code}" for code, value, _, _, _ in INDICATORS)
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            f"SELECT town_code, {MONTH}, {columns} FROM {TABLE}"
            f" GROUP BY GROUPING SETS ((town_code, {MONTH}), ({MONTH}))"
        ).fetchall()
    return {"seconds": time.perf_counter() - started, "values": len(rows) * len(INDICATORS)}


def run_pandas(path: Path) -> dict[str, Any]:
    import duckdb

    loaded = time.perf_counter()
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {TABLE}").df()
    started = time.perf_counter()
    frame["month"] = frame["accepted_on"].dt.to_period("M")
    days = (frame["finished_on"] - frame["accepted_on"]).dt.days
    flags = {
        "one": 1, "online": frame["channel"].eq("网办"), "window": frame["channel"].eq("窗口"),
        "kiosk": frame["channel"].eq("自助"), "finished": frame["finished_on"].notna(),
        "overdue": frame["overdue"], "good": frame["rating"].ge(4), "bad": frame["rating"].le(2),
        "rated": frame["rating"].notna(), "rating": frame["rating"], "days": days,
        "instant": days.eq(0), "fee": frame["fee"], "limit": frame["limit_days"],
        "enterprise": frame["item_type"].isin(["企业开办", "工程建设", "税务"]),
        "personal": frame["item_type"].isin(["社保", "医保", "户籍"]),
    }  # fmt: skip
    work = frame[["town_code", "month"]].assign(**{k: v for k, v in flags.items()})
    sums = [k for k in flags if k != "days"] + ["days"]
    grouped = work.groupby(["town_code", "month"])
    town = grouped[sums].sum()
    town["days_max"] = grouped["days"].max()
    county = town.groupby(level="month").agg({**{k: "sum" for k in sums}, "days_max": "max"})
    values = 0
    for table in (town, county):
        # the ratios of the 20 indicators, from the summed parts (sums and max are columns)
        rates = {
            "online_rate": table["online"] * 100 / table["one"],
            "finish_rate": table["finished"] * 100 / table["one"],
            "overdue_rate": table["overdue"] * 100 / table["one"],
            "good_rate": table["good"] * 100 / table["rated"],
            "avg_rating": table["rating"] / table["rated"],
            "avg_days": table["days"] / table["finished"],
        }
        values += len(table) * len(INDICATORS) + 0 * len(rates)
    return {"seconds": time.perf_counter() - started, "load_seconds": started - loaded,
            "values": values}  # fmt: skip


def load_postgres(path: Path, url: str, schema: str) -> float:
    import duckdb
    import sqlalchemy as sa

    started = time.perf_counter()
    engine = sa.create_engine(url)
    with duckdb.connect(str(path), read_only=True) as con, engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        conn.exec_driver_sql(
            f"CREATE TABLE {schema}.{TABLE} (town_code text, accepted_on date, finished_on date,"
            " limit_days bigint, overdue boolean, rating bigint, channel text, item_type text,"
            " fee double precision)"
        )
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {schema}.{TABLE} FROM STDIN") as copy:  # type: ignore[union-attr]
            result = con.execute(f"SELECT * FROM {TABLE}")
            while batch := result.fetchmany(50_000):
                for row in batch:
                    copy.write_row(row)
        conn.exec_driver_sql(f"ANALYZE {schema}.{TABLE}")
    engine.dispose()
    return time.perf_counter() - started


def child(method: str, path: Path) -> None:
    runners = {
        "citybrain": lambda: run_citybrain(path, "duckdb"),
        "citybrain_postgresql": lambda: run_citybrain(path, "postgresql"),
        "duckdb_per_indicator": lambda: run_duckdb_per_indicator(path),
        "duckdb_one_scan": lambda: run_duckdb_one_scan(path),
        "pandas": lambda: run_pandas(path),
    }
    result = runners[method]()
    result["peak_mb"] = round(_peak_mb(), 1)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="also the PostgreSQL engine")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        child(args.method, Path(args.path))
        return
    with tempfile.TemporaryDirectory(prefix="bench-indicators-") as folder:
        path = Path(folder) / "hub.duckdb"
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"{args.rows:,} 办件 rows generated in {time.perf_counter() - started:.1f} s")
        methods = ["citybrain", "duckdb_per_indicator", "duckdb_one_scan", "pandas"]
        env = dict(os.environ)
        schema = f"bench_ind_{os.getpid()}"
        if args.postgres:
            seconds = load_postgres(path, args.pg_url, schema)
            print(f"loaded into PostgreSQL in {seconds:.1f} s")
            env.update(BENCH_PG_URL=args.pg_url, BENCH_PG_SCHEMA=schema)
            methods.append("citybrain_postgresql")
        results = {}
        try:
            for method in methods:
                done = subprocess.run(  # noqa: S603 - this script, fixed arguments
                    [sys.executable, __file__, "--method", method, "--path", str(path)],
                    capture_output=True, text=True, env=env, check=True,
                )  # fmt: skip
                results[method] = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{method:22s} {json.dumps(results[method])}")
        finally:
            if args.postgres:
                import sqlalchemy as sa

                engine = sa.create_engine(args.pg_url)
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                engine.dispose()
        base = results["citybrain"]["seconds"]
        print(f"pandas / citybrain: {results['pandas']['seconds'] / base:.2f}×"
              f" (goal ≥ 5×; pandas load excluded: {results['pandas']['load_seconds']:.1f} s)")  # fmt: skip
        print(f"citybrain / hand DuckDB per indicator: "
              f"{base / results['duckdb_per_indicator']['seconds']:.2f}× (goal ≤ 1.25×)")  # fmt: skip
        print(
            f"citybrain / hand DuckDB single scan: {base / results['duckdb_one_scan']['seconds']:.2f}×"
        )


if __name__ == "__main__":
    main()
