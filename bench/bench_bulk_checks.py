"""Benchmark: the quality checks and the pass/fail/duplicate split of a persons CSV as one
DuckDB pass (``datahub.quality.bulk``), against DuckDB reading the same file with no checks.

Same file as ``bench_ingest.py`` (seeded persons of 民乐县, 3 % faulty: bad check digit,
impossible date, short phone, unknown region, repeated ID), same rules as the per-row pipeline
(GB 11643 with birth date and province, phone, dates, GB/T 2260 region existence, lengths,
required, unique key). Three timings in one run, each on a fresh in-memory DuckDB:

1. ``read_csv`` into a table (all columns as text, as ingest stages them): the peer;
2. the same plus ``check_batch``: every rule, the per-row problems and the pass/fail split;
3. the per-row Python steps of today's pipeline on the same rows (``--python-rows`` of them,
   scaled), for the record.

    .venv/bin/python bench/bench_bulk_checks.py                 # 1,000,000 rows
    .venv/bin/python bench/bench_bulk_checks.py --rows 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ingest import HEADER, generate

ITEMS = (
    ("name", "姓名", "string", None, "name"),
    ("id_number", "公民身份号码", "string", None, "id_number"),
    ("gender", "性别", "string", None, "none"),
    ("birth_date", "出生日期", "date", None, "none"),
    ("phone", "联系电话", "string", None, "mobile"),
    ("region_code", "行政区划代码", "string", None, "none"),
    ("address", "户籍地址", "string", 200, "address"),
    ("updated_on", "更新日期", "date", None, "none"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--faulty", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=620722)
    parser.add_argument("--python-rows", type=int, default=100_000)
    args = parser.parse_args()
    data_dir = Path(
        os.environ.get("CITYBRAIN_DATA_DIR", Path(__file__).resolve().parents[2] / "shared/data")
    )
    run(args, data_dir)


def run(args: argparse.Namespace, data_dir: Path) -> None:
    import duckdb

    from citybrain.datahub.quality.bulk import CHECKED, check_batch
    from citybrain.datahub.quality.checks import Lookups, RuleFailure, compile_rules
    from citybrain.datahub.quality.rules import ItemSpec, ResourceSpec, effective_rules
    from citybrain.regions.loader import read_divisions

    codes = {row.code for row in read_divisions(data_dir)}
    villages = sorted(c for c in codes if c.startswith("620722") and len(c) == 12) or ["620722"]
    resource = ResourceSpec(
        "620722-GA-001", "户籍人口", "620722-GA", "620722",
        tuple(ItemSpec(n, t, ty, ln, m) for n, t, ty, ln, m in ITEMS),
        key_item="id_number", version_item="updated_on",
    )  # fmt: skip
    lookups = Lookups(codes.__contains__, lambda _code: lambda _value: True)
    rules = compile_rules(resource, effective_rules(resource, []), lookups)
    mapping = {name: title for name, title, *_ in ITEMS}
    if not set(mapping.values()) <= set(HEADER):
        raise SystemExit("bench_ingest.HEADER changed: update ITEMS")

    path = Path(tempfile.mkdtemp(prefix="citybrain-bench-bulk-")) / "persons.csv"
    started = time.perf_counter()
    bad = generate(path, args.rows, args.faulty, args.seed, villages)
    print(f"generated {args.rows:,} rows ({bad:,} faulty), {path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - started:.1f} s; DuckDB {duckdb.__version__}, "
          f"{os.cpu_count()} cpu")  # fmt: skip
    read = f"read_csv('{path}', all_varchar = true)"

    con = duckdb.connect()
    started, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE staged AS SELECT * FROM {read}")  # noqa: S608 - our own file
    raw_seconds, raw_cpu = time.perf_counter() - started, time.process_time() - cpu
    con.close()

    con = duckdb.connect()
    started, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE staged AS SELECT * FROM {read}")  # noqa: S608 - our own file
    outcome = check_batch(
        con, source="staged", rules=rules, mapping=mapping, today=date(2026, 12, 7)
    )
    checked_seconds, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    sample = con.execute(
        f"SELECT count(*) FROM {CHECKED} WHERE __status = 'pass'"  # noqa: S608 - a constant
    ).fetchone()
    con.close()

    rows = _rows(path, args.python_rows)
    started = time.process_time()
    for values in rows:
        for checks in rules.fields:
            text = (values.get(mapping.get(checks.item.name, "")) or "").strip()
            if not text:
                continue
            try:
                for _kind, step in checks.steps:
                    text = step(text)
            except RuleFailure:
                continue
    python_cpu = (time.process_time() - started) * args.rows / max(len(rows), 1)

    # Wall time is what a user waits; CPU time (all threads) is steadier on a shared machine.
    print(f"read_csv only:              wall {raw_seconds:6.2f} s  cpu {raw_cpu:6.2f} s  "
          f"{args.rows / raw_seconds:12,.0f} rows/s")  # fmt: skip
    print(f"read_csv + bulk checks:     wall {checked_seconds:6.2f} s  cpu {checked_cpu:6.2f} s  "
          f"{args.rows / checked_seconds:12,.0f} rows/s  ratio wall "
          f"{checked_seconds / raw_seconds:.2f}x, cpu {checked_cpu / raw_cpu:.2f}x")  # fmt: skip
    print(f"per-row Python steps (est): cpu {python_cpu:6.2f} s  "
          f"ratio cpu {python_cpu / raw_cpu:.2f}x (checks only, no split)")  # fmt: skip
    print(
        f"outcome: {outcome.passed:,} pass, {outcome.failed:,} fail, "
        f"{outcome.duplicates:,} duplicate (table says {sample[0] if sample else 0:,} pass)"
    )
    for item, kind, reason, count in outcome.problems:
        print(f"  {item:12} {kind:12} {reason:22} {count:>8,}")  # fmt: skip


def _rows(path: Path, limit: int) -> list[dict[str, str]]:
    import csv
    import itertools

    with path.open(encoding="utf-8", newline="") as handle:
        return list(itertools.islice(csv.DictReader(handle), limit))


if __name__ == "__main__":
    main()
