"""Stage and merge the same rows into the two hub stores (DuckDB file, PostgreSQL schema).

Two loads of ``--rows`` rows of a 6-column resource: the first inserts every key, the second
carries a newer version for half of the keys and the other half unchanged (replaced / skipped),
so both set-based merge paths run. Prints rows/s per store and load; the PostgreSQL schema is
dropped afterwards.

    PYTHONPATH=src .venv/bin/python bench/bench_hub_stores.py \\
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --rows 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path


def _columns(rows: int, version: int, offset: int = 0) -> dict[str, list[str | None]]:
    keys = [f"k{i:08d}" for i in range(offset, offset + rows)]
    return {
        "name": [f"姓名{i % 5000}" for i in range(rows)],
        "town_code": [f"620722{100 + i % 12:03d}000" for i in range(rows)],
        "born": [f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}" for i in range(rows)],
        "score": [f"{i % 1000 / 7:.3f}" for i in range(rows)],
        "alive": ["true" if i % 3 else "false" for i in range(rows)],
        "_key": keys,
        "_version": [str(version)] * rows,
        "_source_row": [str(i + 2) for i in range(rows)],
    }


def _load(store: object, spec: object, columns: dict[str, list[str | None]], batch: int) -> float:
    started = time.perf_counter()
    with store.staging(spec) as staging:  # type: ignore[attr-defined]
        chunk = 50_000
        total = len(columns["_key"])
        for start in range(0, total, chunk):
            staging.append({k: v[start : start + chunk] for k, v in columns.items()})
        staging.merge(batch_id=batch)
    return time.perf_counter() - started


def main() -> None:
    from citybrain.analytics.hub import DuckHubStore, HubColumn, HubTableSpec
    from citybrain.analytics.hub.pg import PgHubStore

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pg", required=True, help="postgresql+psycopg:// URL")
    args = parser.parse_args()
    spec = HubTableSpec(
        "bench-hub",
        (
            HubColumn("name", "VARCHAR"),
            HubColumn("town_code", "VARCHAR"),
            HubColumn("born", "DATE"),
            HubColumn("score", "DOUBLE"),
            HubColumn("alive", "BOOLEAN"),
        ),
    )
    half = args.rows // 2
    newer, same = _columns(half, 2), _columns(half, 1, half)
    second = {k: newer[k] + same[k] for k in newer}
    with tempfile.TemporaryDirectory() as folder:
        schema = f"bench_hub_{uuid.uuid4().hex[:8]}"
        stores = {
            "duckdb": DuckHubStore(Path(folder) / "hub.duckdb"),
            "postgresql": PgHubStore(args.pg, schema=schema),
        }
        try:
            for name, store in stores.items():
                first = _load(store, spec, _columns(args.rows, 1), 1)
                again = _load(store, spec, second, 2)
                if store.count(spec.resource_code) != args.rows:
                    raise SystemExit(f"{name}: wrong row count after the loads")
                print(
                    f"{name:10} first load {args.rows / first:>10,.0f} rows/s ({first:.2f} s);"
                    f" second (half newer) {args.rows / again:>10,.0f} rows/s ({again:.2f} s)"
                )
        finally:
            pg = stores["postgresql"]
            with pg.connect() as con, con.transaction():  # type: ignore[attr-defined]
                con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            pg.close()


if __name__ == "__main__":
    main()
