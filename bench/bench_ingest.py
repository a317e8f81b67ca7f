"""Benchmark: ingest a persons CSV through the real pipeline with every validator on, and
compare with DuckDB reading the same file with no checks at all.

Generates ``--rows`` persons of 民乐县 (seeded; valid GB 11643 numbers with the 620722 prefix,
names, mobile numbers, birth dates, village codes, addresses), of which ``--faulty`` (default
3 %) carry one fault each: a wrong check digit, an impossible date, a short phone number, an
unknown region code, or a repeated ID number. Then, in a fresh home with a SQLite operational
database:

1. ``ingest_file`` on the persons resource: encoding detection, mapping, GB 11643 (checksum,
   birth date, province), mobile/landline, dates, GB/T 2260 region existence (cached lookups
   on the regions table), length, required and unique key; SM4 encryption and SM3-HMAC blind
   indexes of ID and phone numbers; quarantine (encrypted), report, rectification order; the
   staged Arrow → DuckDB merge with version keeping; SQLite records. Timed end to end.
2. DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` into a fresh file: no checks,
   no encryption, all cores.

    .venv/bin/python bench/bench_ingest.py                  # 1,000,000 rows
    .venv/bin/python bench/bench_ingest.py --rows 100000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

HEADER = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "联系电话",
    "行政区划代码",
    "户籍地址",
    "更新日期",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅兴福海燕文斌"
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK = "10X98765432"


def _id(region: str, born: dt.date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def generate(path: Path, rows: int, faulty: float, seed: int, villages: list[str]) -> int:
    """Write the CSV (UTF-8); return how many rows were made faulty."""
    rng = random.Random(seed)
    start = dt.date(1930, 1, 1).toordinal()
    span = dt.date(2020, 12, 31).toordinal() - start
    used: list[str] = []
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            # 1000 persons per birth date, 32 days apart: (date, sequence) and so the ID numbers
            # are unique for up to ~1,000,000 rows; faults below add the only duplicates.
            born = dt.date.fromordinal(start + (n // 1000) * 32 % span)
            id_number = _id("620722", born, n % 1000)
            row = [
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                id_number,
                "男" if int(id_number[16]) % 2 else "女",
                born.isoformat(),
                f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                rng.choice(villages),
                f"甘肃省张掖市民乐县{rng.choice('洪水六坝新天南丰')}镇{rng.randrange(1, 300)}号",
                "2024-06-30",
            ]
            if rng.random() < faulty:
                bad += 1
                fault = rng.randrange(5)
                if fault == 0:
                    row[1] = row[1][:17] + ("0" if row[1][17] != "0" else "1")
                elif fault == 1:
                    row[3] = f"{born.year}-02-30"
                elif fault == 2:
                    row[4] = row[4][:7]
                elif fault == 3:
                    row[5] = "620799"
                elif used:
                    row[1] = rng.choice(used)
            elif len(used) < 1000:
                used.append(row[1])
            writer.writerow(row)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--faulty", type=float, default=0.03, help="share of faulty rows")
    parser.add_argument("--seed", type=int, default=620722)
    parser.add_argument("--home", type=Path, default=None, help="keep files here (else a tmp dir)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="citybrain-bench-ingest-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            "CITYBRAIN_HOME": str(home),
            "CITYBRAIN_ENVIRONMENT": "testing",
            "CITYBRAIN_AUDIT_KEY": secrets.token_hex(32),
            "CITYBRAIN_FIELD_KEY": secrets.token_hex(16),
            "CITYBRAIN_BLIND_INDEX_KEY": secrets.token_hex(32),
            "CITYBRAIN_SESSION_KEY": secrets.token_hex(32),
            "CITYBRAIN_PSEUDONYM_KEY": secrets.token_hex(32),
        }
    )
    os.environ.setdefault(
        "CITYBRAIN_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared/data")
    )
    run(args, home)


def _setup(home: Path) -> tuple[object, list[str]]:
    """A SQLite operational database with every table (create_all: the bench must not depend
    on the migration being current), the regions, 民乐县公安局 and the persons resource."""
    import importlib
    import pkgutil

    from sqlalchemy import select

    import citybrain
    from citybrain.core.config import get_settings
    from citybrain.core.context import set_actor
    from citybrain.core.db import Base, make_engine, make_session_factory
    from citybrain.datahub.catalog.schemas import ResourceCreate
    from citybrain.datahub.catalog.service import register_resource
    from citybrain.iam.departments import ensure_department
    from citybrain.regions.models import Region
    from citybrain.regions.service import load_divisions

    for info in pkgutil.walk_packages(citybrain.__path__, prefix="citybrain."):
        if info.name.endswith((".models", ".departments")):
            importlib.import_module(info.name)
    settings = get_settings()
    engine = make_engine(f"sqlite:///{home / 'citybrain.db'}")
    Base.metadata.create_all(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        set_actor(session, actor="bench", role="cli")
        load_divisions(session, data_dir=settings.data_dir)
        villages = list(
            session.execute(
                select(Region.code).where(
                    Region.code.startswith("620722"), Region.level == "village"
                )
            ).scalars()
        ) or ["620722"]
        ensure_department(
            session, code="620722-GA", name="民乐县公安局", short_name="公安", region_code="620722"
        )
        items = [
            {"name": "name", "title": "姓名", "mask": "name", "sensitivity": "sensitive"},
            {
                "name": "id_number",
                "title": "公民身份号码",
                "mask": "id_number",
                "sensitivity": "core",
            },
            {"name": "gender", "title": "性别"},
            {"name": "birth_date", "title": "出生日期", "type": "date"},
            {"name": "phone", "title": "联系电话", "mask": "mobile", "sensitivity": "sensitive"},
            {"name": "region_code", "title": "行政区划代码"},
            {"name": "address", "title": "户籍地址", "mask": "address", "length": 200},
            {"name": "updated_on", "title": "更新日期", "type": "date"},
        ]
        register_resource(
            session,
            spec=ResourceCreate.model_validate(
                {
                    "code": "620722-GA-001", "name": "户籍人口", "provider_code": "620722-GA",
                    "category": "basic", "share_type": "conditional", "share_condition": "经审批",
                    "share_method": "api", "key_item": "id_number", "version_item": "updated_on",
                    "items": items,
                }
            ),
        )  # fmt: skip
    return factory, villages


def run(args: argparse.Namespace, home: Path) -> None:
    import duckdb

    from citybrain.analytics.hub import HubStore
    from citybrain.core.context import set_actor
    from citybrain.datahub.ingest import service

    print(f"home: {home}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {sys.version.split()[0]},"
          f" DuckDB {duckdb.__version__}")  # fmt: skip
    started = time.perf_counter()
    factory, villages = _setup(home)
    print(f"setup (regions, catalog): {time.perf_counter() - started:.1f} s, "
          f"{len(villages)} village codes")  # fmt: skip
    path = home / "persons.csv"
    started = time.perf_counter()
    bad = generate(path, args.rows, args.faulty, args.seed, villages)
    size = path.stat().st_size
    print(f"generated {args.rows:,} rows ({bad:,} faulty), {size / 1e6:.1f} MB in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    marks = [0.0]

    def progress(done: int, total: int | None) -> None:
        if total and done * 10 // total > marks[0]:
            marks[0] = done * 10 // total
            rate = done / (time.perf_counter() - started)
            print(f"  {done:>10,} / {total:,} rows  {rate:,.0f} rows/s", flush=True)

    store = HubStore(home / "hub.duckdb")
    started = time.perf_counter()
    with factory() as session, session.begin():  # type: ignore[attr-defined]
        set_actor(session, actor="bench", role="cli")
        result = service.ingest_file(
            session, resource_code="620722-GA-001", path=path, progress=progress, store=store
        )
    ingest_seconds = time.perf_counter() - started
    print(f"ingest: {result.row_count:,} rows, {result.loaded_rows:,} loaded, "
          f"{result.quarantined_rows:,} quarantined, score {result.score}, "
          f"order {result.order_id}, hub count {store.count('620722-GA-001'):,}")  # fmt: skip
    print(f"ingest with all validators: {ingest_seconds:.2f} s = "
          f"{result.row_count / ingest_seconds:,.0f} rows/s")  # fmt: skip

    baseline_file = home / "baseline.duckdb"
    con = duckdb.connect(str(baseline_file))
    started = time.perf_counter()
    con.execute("CREATE TABLE persons AS SELECT * FROM read_csv(?)", [str(path)])
    raw_seconds = time.perf_counter() - started
    (raw_rows,) = con.execute("SELECT count(*) FROM persons").fetchone() or (0,)
    con.close()
    print(f"duckdb read_csv, no checks: {raw_seconds:.2f} s = {raw_rows / raw_seconds:,.0f} rows/s")
    print(f"ratio (pipeline time / read_csv time): {ingest_seconds / raw_seconds:.1f}x")


if __name__ == "__main__":
    main()
