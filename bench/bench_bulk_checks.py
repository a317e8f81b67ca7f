"""Benchmark: the quality checks and the pass/fail/duplicate split of a persons CSV as the bulk
ingest does them, against DuckDB reading the same file with no checks, side by side.

Same file as ``bench_ingest.py`` (seeded persons of 民乐县, 3 % faulty: bad check digit,
impossible date, short phone, unknown region, repeated ID), same rules as the per-row pipeline
(GB 11643 with birth date and province, phone, dates, GB/T 2260 region existence, lengths,
required, unique key). ``--repeat`` rounds, alternating, each on a fresh in-memory DuckDB:

1. the peer: ``CREATE TABLE … AS SELECT * FROM read_csv(file, all_varchar = true)``;
2. the bulk path of ingest up to the split (``datahub.ingest.bulk``): the file read by Arrow
   in blocks on two threads (lines counted for the guards), the vectorised checks, staged into
   DuckDB, then ``check_batch``: every rule, the problems of every failed row and the
   pass/fail/duplicate split;
3. once, for the record: the per-row Python steps of the pipeline on ``--python-rows`` rows,
   scaled to the file.

The best round of each is compared (wall time is what a user waits; CPU time, all threads,
is steadier on a shared machine).

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
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--python-rows", type=int, default=100_000)
    args = parser.parse_args()
    data_dir = Path(
        os.environ.get("CITYBRAIN_DATA_DIR", Path(__file__).resolve().parents[2] / "shared/data")
    )
    run(args, data_dir)


def run(args: argparse.Namespace, data_dir: Path) -> None:
    import duckdb

    from citybrain.datahub.ingest import bulk
    from citybrain.datahub.ingest.connectors.csv_source import CsvConnector
    from citybrain.datahub.ingest.mapping import map_columns
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
    if not {title for _, title, *_ in ITEMS} <= set(HEADER):
        raise SystemExit("bench_ingest.HEADER changed: update ITEMS")

    path = Path(tempfile.mkdtemp(prefix="citybrain-bench-bulk-")) / "persons.csv"
    started = time.perf_counter()
    bad = generate(path, args.rows, args.faulty, args.seed, villages)
    print(f"generated {args.rows:,} rows ({bad:,} faulty), {path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - started:.1f} s; DuckDB {duckdb.__version__}, "
          f"{os.cpu_count()} cpu, {args.threads} threads; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    connector = CsvConnector(path)
    mapping = map_columns(resource, connector.columns())

    def peer() -> int:
        con = duckdb.connect(config={"threads": args.threads})
        con.execute(f"CREATE TABLE staged AS SELECT * FROM read_csv('{path}', all_varchar = true)")  # noqa: S608 - our own file
        row = con.execute("SELECT count(*) FROM staged").fetchone()
        con.close()
        return int(row[0]) if row else 0

    def bulk_checks() -> object:
        con = duckdb.connect(config={"threads": args.threads})
        staged = bulk._stage_and_check(
            con, connector, path, rules=rules, mapping=mapping, today=date(2026, 12, 7),
            workers=args.threads,
        )  # fmt: skip
        con.close()
        return staged.outcome

    best: dict[str, tuple[float, float]] = {}
    outcome: object = None
    for _ in range(args.repeat):
        for name, work in (("read_csv", peer), ("bulk", bulk_checks)):
            started, cpu = time.perf_counter(), time.process_time()
            result = work()
            wall, spent = time.perf_counter() - started, time.process_time() - cpu
            if name == "bulk":
                outcome = result
            old = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(old[0], wall), min(old[1], spent))

    rows = _rows(path, args.python_rows)
    started = time.process_time()
    titles = {name: title for name, title, *_ in ITEMS}
    for values in rows:
        for checks in rules.fields:
            text = (values.get(titles[checks.item.name]) or "").strip()
            if not text:
                continue
            try:
                for _kind, step in checks.steps:
                    text = step(text)
            except RuleFailure:
                continue
    python_cpu = (time.process_time() - started) * args.rows / max(len(rows), 1)

    raw_wall, raw_cpu = best["read_csv"]
    wall, cpu = best["bulk"]
    print(f"best of {args.repeat}:")
    print(f"read_csv only:                 wall {raw_wall:6.2f} s  cpu {raw_cpu:6.2f} s  "
          f"{args.rows / raw_wall:12,.0f} rows/s")  # fmt: skip
    print(f"bulk read + checks + split:    wall {wall:6.2f} s  cpu {cpu:6.2f} s  "
          f"{args.rows / wall:12,.0f} rows/s  ratio wall {wall / raw_wall:.2f}x, "
          f"cpu {cpu / raw_cpu:.2f}x")  # fmt: skip
    print(f"per-row Python steps (est.):   cpu {python_cpu:6.2f} s  "
          f"ratio cpu {python_cpu / raw_cpu:.2f}x (checks only: no reading, no split)")  # fmt: skip
    print(f"outcome: {outcome.passed:,} pass, {outcome.failed:,} fail, "  # type: ignore[attr-defined]
          f"{outcome.duplicates:,} duplicate")  # type: ignore[attr-defined]  # fmt: skip
    for item, kind, reason, count in outcome.problems:  # type: ignore[attr-defined]
        print(f"  {item:12} {kind:12} {reason:22} {count:>8,}")


def _rows(path: Path, limit: int) -> list[dict[str, str]]:
    import csv
    import itertools

    with path.open(encoding="utf-8", newline="") as handle:
        return list(itertools.islice(csv.DictReader(handle), limit))


if __name__ == "__main__":
    main()
