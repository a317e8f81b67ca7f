"""Benchmark: ingest a persons CSV through the real service with every validator on, next to
DuckDB reading the same file with no checks at all, in one run.

Generates ``--rows`` persons of 民乐县 (seeded; valid GB 11643 numbers with the 620722 prefix,
names, mobile numbers, birth dates, village codes, addresses), of which ``--faulty`` (default
3 %) carry one fault each: a wrong check digit, an impossible date, a short phone number, an
unknown region code, or a repeated ID number. Then, in a fresh home with a SQLite operational
database, one persons resource per variant:

1. DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` into a fresh file (no checks, no
   encryption, all cores): the peer, timed before and after the ingests;
2. ``ingest_file`` on the persons resource for each ``--variants``: ``bulk`` (the default path:
   Arrow, DuckDB checks, batch encryption in ``CITYBRAIN_INGEST_CRYPTO_WORKERS`` processes),
   ``bulk-w0`` (the same, encrypting in the ingesting process), ``per-row`` (the per-row
   pipeline, ``CITYBRAIN_INGEST_BULK=false``). Each is timed end to end: SM3 manifest, GB 11643
   (checksum, birth date, province), mobile/landline, dates, GB/T 2260 region existence,
   length, required and unique key; SM4 encryption and HMAC-SM3 blind indexes of ID and phone
   numbers; quarantine (encrypted), report, rectification order; the staged Arrow → DuckDB
   merge with version keeping; SQLite records. Where the time goes is printed for each.

    .venv/bin/python bench/bench_ingest.py                       # 1,000,000 rows
    .venv/bin/python bench/bench_ingest.py --rows 100000 --variants bulk,per-row
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


VARIANTS = ("bulk", "bulk-w0", "per-row")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--faulty", type=float, default=0.03, help="share of faulty rows")
    parser.add_argument("--seed", type=int, default=620722)
    parser.add_argument("--home", type=Path, default=None, help="keep files here (else a tmp dir)")
    parser.add_argument("--variants", default="bulk,bulk-w0", help=",".join(VARIANTS))
    args = parser.parse_args()
    args.variants = [v for v in args.variants.split(",") if v]
    if not set(args.variants) <= set(VARIANTS):
        parser.error(f"variants: {', '.join(VARIANTS)}")
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


def _setup(home: Path, resources: int) -> tuple[object, list[str]]:
    """A SQLite operational database with every table (create_all: the bench must not depend
    on the migration being current), the regions, 民乐县公安局 and the persons resource."""
    import importlib
    import pkgutil

    from sqlalchemy import select

    import citybrain
    from citybrain.core.config import get_settings
    from citybrain.core.context import set_actor
    from citybrain.core.db import Base, make_engine, make_session_factory
    from citybrain.core.scope import Scope
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
        for n in range(1, resources + 1):
            register_resource(
                session,
                spec=ResourceCreate.model_validate(
                    {
                        "code": f"620722-GA-{n:03d}", "name": f"户籍人口{n}",
                        "provider_code": "620722-GA", "category": "basic",
                        "share_type": "conditional", "share_condition": "经审批",
                        "share_method": "api", "key_item": "id_number",
                        "version_item": "updated_on", "items": items,
                    }
                ),
                scope=Scope.system(),
            )  # fmt: skip
    return factory, villages


class Phases:
    """Wall time spent inside chosen functions (module or class attributes), by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)

        def timed(*args: object, **kwargs: object) -> object:
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        self._undo.append((owner, name, real))
        setattr(owner, name, timed)

    def undo(self) -> None:
        for owner, name, real in reversed(self._undo):
            setattr(owner, name, real)


def _phases() -> Phases:
    from citybrain.analytics import hub
    from citybrain.datahub.ingest import bulk, crypto_pool, runner, service
    from citybrain.datahub.quality import bulk as quality_bulk

    phases = Phases()
    phases.wrap(service, "file_manifest", "SM3 manifest and line count of the file")
    phases.wrap(runner, "_prepare", "phase A: rules, region codes, batch row")
    phases.wrap(quality_bulk, "stage_batch", "bulk: read (Arrow blocks) + kernels → DuckDB")
    phases.wrap(quality_bulk, "check_batch", "bulk: set-based checks, pass/fail/duplicate")
    phases.wrap(bulk, "_quarantine", "bulk: failed rows → tally + encrypted quarantine")
    phases.wrap(bulk, "_stage_passing", "bulk: passing rows → encryption → hub staging")
    phases.wrap(crypto_pool.ColumnEncryptor, "submit", "  of which encrypting here / handing over")
    phases.wrap(crypto_pool.ColumnEncryptor, "result", "  of which waiting for the workers")
    phases.wrap(hub.Staging, "append", "  of which hub staging inserts")
    phases.wrap(runner, "run_pipeline", "per-row: read, check, encrypt, stage")
    phases.wrap(hub.Staging, "merge", "hub merge (one DuckDB transaction)")
    phases.wrap(runner, "_settle", "phase C: quarantine rows, report, order, audit")
    return phases


def _read_csv(path: Path, folder: Path) -> tuple[float, int]:
    import duckdb

    target = folder / f"baseline-{time.monotonic_ns()}.duckdb"
    con = duckdb.connect(str(target))
    started = time.perf_counter()
    con.execute("CREATE TABLE persons AS SELECT * FROM read_csv(?)", [str(path)])
    seconds = time.perf_counter() - started
    (rows,) = con.execute("SELECT count(*) FROM persons").fetchone() or (0,)
    con.close()
    target.unlink()
    return seconds, int(rows)


def run(args: argparse.Namespace, home: Path) -> None:
    import duckdb

    from citybrain.analytics.hub import DuckHubStore
    from citybrain.core.context import set_actor
    from citybrain.datahub.ingest import config, service

    print(f"home: {home}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpu, Python {sys.version.split()[0]},"
          f" DuckDB {duckdb.__version__}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    started = time.perf_counter()
    factory, villages = _setup(home, len(args.variants))
    print(f"setup (regions, catalog): {time.perf_counter() - started:.1f} s, "
          f"{len(villages)} village codes")  # fmt: skip
    path = home / "persons.csv"
    started = time.perf_counter()
    bad = generate(path, args.rows, args.faulty, args.seed, villages)
    size = path.stat().st_size
    print(f"generated {args.rows:,} rows ({bad:,} faulty), {size / 1e6:.1f} MB in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    peer = [_read_csv(path, home)]
    print(f"duckdb read_csv, no checks: {peer[0][0]:.2f} s = {peer[0][1] / peer[0][0]:,.0f} rows/s")
    store = DuckHubStore(home / "hub.duckdb")
    timings: dict[str, tuple[float, dict[str, float]]] = {}
    for n, variant in enumerate(args.variants, start=1):
        os.environ["CITYBRAIN_INGEST_BULK"] = "false" if variant == "per-row" else "true"
        if variant == "bulk-w0":
            os.environ["CITYBRAIN_INGEST_CRYPTO_WORKERS"] = "0"
        else:
            os.environ.pop("CITYBRAIN_INGEST_CRYPTO_WORKERS", None)
        config.get_ingest_settings.cache_clear()
        code = f"620722-GA-{n:03d}"
        phases = _phases()
        started = time.perf_counter()
        try:
            with factory() as session, session.begin():  # type: ignore[attr-defined]
                set_actor(session, actor="bench", role="cli")
                result = service.ingest_file(session, resource_code=code, path=path, store=store)
        finally:
            phases.undo()
        seconds = time.perf_counter() - started
        timings[variant] = (seconds, phases.seconds)
        print(f"\ningest [{variant}]: {result.row_count:,} rows, {result.loaded_rows:,} loaded, "
              f"{result.quarantined_rows:,} quarantined, score {result.score}, "
              f"hub count {store.count(code):,}")  # fmt: skip
        print(f"  {seconds:.2f} s = {result.row_count / seconds:,.0f} rows/s")
        for label, spent in phases.seconds.items():
            print(f"  {spent:7.2f} s  {label}")
    peer.append(_read_csv(path, home))
    reference = min(s for s, _ in peer)
    print(f"\nduckdb read_csv again: {peer[1][0]:.2f} s; the faster of the two is the peer")
    for variant, (seconds, _) in timings.items():
        print(f"ratio [{variant}] (ingest time / read_csv time): {seconds / reference:.1f}x")


if __name__ == "__main__":
    main()
