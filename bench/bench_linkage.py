"""Benchmark: 人口库 linkage of 1,000,000 synthetic person records, end to end with the model
kept between runs, and a 10,000-record batch linked into the existing masters.

Generates ``--persons`` true persons (default 400,000, giving 1,000,000 records at 2.5 records
per person over 公安 户籍, 民政 and 卫健; about ``--batch`` of them marked as a second batch),
and replaces ID and phone numbers by their blind indexes (HMAC-SM3, as the hub stores them; each
record's GB 11643 validity computed from the number first), as the production linkage sees them.

1. **First run** (``link_person_records``, no model): trains the model (prior, u from random
   pairs, m by EM), scores, clusters. What every run cost before the model was kept.
2. **Second run** with the stored model: normalise, block and score with Splink, cluster (the
   end-to-end figure, compared with Splink's published rate), precision and recall against
   the synthetic truth.
3. **A loaded batch**, through the real job path (``service.link_batch``) in a scratch
   installation (SQLite operational database, hub file): the first batch's records are the
   linked population (links with their features, masters, the stored model; written in bulk,
   not timed), the second batch's ~10,000 records are merged into the hub as one ingest batch
   and linked: read from the hub, candidates found through the link features, scored, clustered,
   masters and links written. Timed from the call to the commit.

What is counted: "pairs scored" is the row count of Splink's ``predict()`` output with no
threshold: every distinct candidate pair of the three blocking rules (ID number; name + birth
date; phone) scored by the model. The reference is the issue's ~128,000 pairs per second per
vCPU for Splink, from Splink's published benchmark (1 billion comparisons to deduplicate 7
million records in about two minutes, robinlinacre.com/fast_deduplication). The rate per vCPU
is given two ways: pairs / (wall seconds x DuckDB threads), and pairs / CPU seconds of the
process (steadier when other jobs share the machine).

    CITYBRAIN_DATA_DIR=../shared/data .venv/bin/python bench/bench_linkage.py
    .venv/bin/python bench/bench_linkage.py --persons 40000 --batch 1000   # 100,000 records
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import resource
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

SPLINK_REFERENCE_PAIRS_PER_SECOND_PER_VCPU = 128_000
RECORDS_PER_PERSON = 2.5
RESOURCE = "620722-GA-901"
COLUMNS = ("name", "id_number", "birth_date", "phone", "address")


def _villages(console: Console) -> list[tuple[str, str]] | None:
    from citybrain.datahub.demo.synthetic import load_minle_villages

    data_dir = Path(os.environ.get("CITYBRAIN_DATA_DIR", "../shared/data"))
    path = data_dir / "admin_divisions" / "villages2021_minle_620722.csv"
    if path.exists():
        return load_minle_villages(path)
    console.print(f"[yellow]{path} not found: invented village names[/]")
    return None


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _generate(args: argparse.Namespace, console: Console, con: duckdb.DuckDBPyConnection) -> Any:
    from citybrain.datahub.demo.synthetic import generate_person_records

    total = round(args.persons * RECORDS_PER_PERSON)
    with Progress(
        TextColumn("generating records"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    ) as progress:  # fmt: skip
        task = progress.add_task("generate", total=total)
        data = generate_person_records(
            args.persons,
            seed=args.seed,
            records_per_person=RECORDS_PER_PERSON,
            villages=_villages(console),
            second_batch_fraction=args.batch / total,
            on_progress=lambda done, all_: progress.update(task, completed=done, total=all_),
        )
    data.load_into(con, records_table="plain_record", truth_table="truth")
    console.print(f"{data.n_records:,} records of {data.n_persons:,} persons; {data.fault_counts}")
    return data


def _blind(con: duckdb.DuckDBPyConnection, cipher: Any) -> None:
    """``person_record``: the records with blind indexes for ID and phone numbers."""
    import pyarrow as pa

    from citybrain.datahub.masterdata.linkage_model import gb11643_valid_sql

    rows = con.execute("select source_record_id, id_number, phone from plain_record").fetchall()
    index = cipher.blind_index
    con.register(
        "indexes",
        pa.table({
            "source_record_id": [r[0] for r in rows],
            "id_bidx": [index(r[1]) if r[1] else None for r in rows],
            "phone_bidx": [index(r[2]) if r[2] else None for r in rows],
        }),
    )  # fmt: skip
    valid = gb11643_valid_sql("p.id_number")
    con.execute(
        f"""create table person_record as
        select p.source_record_id, p.source, p.name, i.id_bidx as id_number, p.birth_date,
               i.phone_bidx as phone, p.address,
               {valid} as id_number_valid
        from plain_record p join indexes i using (source_record_id)"""  # noqa: S608 - SQL made here
    )
    con.unregister("indexes")


def _link_runs(
    args: argparse.Namespace, con: duckdb.DuckDBPyConnection
) -> tuple[Any, Any, Clock, Clock, Any]:
    from citybrain.datahub.demo.synthetic import pairwise_scores
    from citybrain.datahub.masterdata.linkage import link_person_records
    from citybrain.datahub.masterdata.linkage_model import LinkageConfig

    config = LinkageConfig(identifiers_are_blind_indexes=True)
    with Clock() as first_clock:
        first = link_person_records(
            con, records_table="person_record", output_table="cluster", config=config
        )
    reuse = dataclasses.replace(config, trained_model=first.model)
    with Clock() as second_clock:
        second = link_person_records(
            con, records_table="person_record", output_table="cluster", config=reuse
        )
    scores = pairwise_scores(
        con, assignment_table="cluster", cluster_column="cluster_id", truth_table="truth"
    )
    return first, second, first_clock, second_clock, scores


def _installation(home: Path) -> Any:
    """A scratch home: SQLite with every table, the regions, a department and a resource."""
    from citybrain.core.config import get_settings
    from citybrain.core.context import set_actor
    from citybrain.core.db import make_engine, make_session_factory
    from citybrain.core.migrate import upgrade
    from citybrain.core.scope import Scope
    from citybrain.datahub.catalog.schemas import ResourceCreate
    from citybrain.datahub.catalog.service import register_resource
    from citybrain.iam.departments import ensure_department
    from citybrain.regions.service import load_divisions

    settings = get_settings()
    engine = make_engine(f"sqlite:///{home / 'citybrain.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        set_actor(session, actor="bench", role="cli")
        load_divisions(session, data_dir=settings.data_dir)
        ensure_department(
            session, code="620722-GA", name="民乐县公安局", short_name="公安", region_code="620722"
        )
        items = [{"name": c, "title": t} for c, t in zip(
            COLUMNS, ("姓名", "公民身份号码", "出生日期", "联系电话", "户籍地址"), strict=True
        )]  # fmt: skip
        register_resource(
            session,
            spec=ResourceCreate.model_validate({
                "code": RESOURCE, "name": "人口 (基准测试)", "provider_code": "620722-GA",
                "category": "basic", "share_type": "conditional", "share_condition": "经审批",
                "share_method": "api", "key_item": "id_number", "version_item": "",
                "items": items,
            }),
            scope=Scope.system(),
        )  # fmt: skip
    return settings, factory


def _hub_batch(hub: Any, con: duckdb.DuckDBPyConnection, batch: str, batch_id: int) -> int:
    """Merge the records of synthetic batch ``batch`` into the hub as ingest batch ``batch_id``
    (plain values: the hub is read as a resource whose items are not encrypted)."""
    from citybrain.analytics.hub import HubColumn, HubTableSpec

    spec = HubTableSpec(RESOURCE, tuple(HubColumn(c, "VARCHAR") for c in COLUMNS))
    rows = con.execute(
        f"select source_record_id, {', '.join(COLUMNS)} from plain_record"  # noqa: S608
        " where split_part(source_record_id, ':', 2) = ? order by source_record_id",
        [batch],
    ).fetchall()
    columns: dict[str, list[str | None]] = {
        c: [r[i + 1] for r in rows] for i, c in enumerate(COLUMNS)
    }
    columns["_key"] = [r[0] for r in rows]
    columns["_version"] = [str(batch_id)] * len(rows)
    columns["_source_row"] = [str(i + 1) for i in range(len(rows))]
    with hub.staging(spec) as staging:
        staging.append(columns)
        staging.merge(batch_id=batch_id)
    return len(rows)


def _population(
    con: duckdb.DuckDBPyConnection, factory: Any, model: dict[str, Any], band_share: float
) -> int:
    """Link the first batch from nothing with the stored model (the first full build's linkage)
    and write its links, features and masters in bulk, the model and the registered source."""
    from sqlalchemy import insert

    from citybrain.core.clock import utcnow
    from citybrain.datahub.masterdata import persist
    from citybrain.datahub.masterdata.features import feature_values
    from citybrain.datahub.masterdata.linkage_model import LinkageConfig
    from citybrain.datahub.masterdata.masters import link_into_masters
    from citybrain.datahub.masterdata.models import MasterdataPerson, MasterdataPersonLink

    con.execute(
        f"""create or replace table b1 as select '{RESOURCE}:' || source_record_id as
        source_record_id, '{RESOURCE}' as source, name, id_number, birth_date, phone, address,
        id_number_valid from person_record
        where split_part(source_record_id, ':', 2) = 'b1'"""  # noqa: S608
    )
    con.execute("create or replace table no_links (source_record_id varchar, master_id varchar)")
    config = LinkageConfig(identifiers_are_blind_indexes=True, trained_model=model)
    link_into_masters(
        con, new_records_table="b1", existing_links_table="no_links", assignment_table="b1_links",
        config=config, keep_input_table="b1_kept",
    )  # fmt: skip
    now = utcnow()
    result = con.execute(
        """select k.*, l.master_id, p.name as master_name
        from b1_kept k join b1_links l using (source_record_id)
        join (select master_id, min(source_record_id) as first from b1_links group by master_id) f
          using (master_id)
        join b1_kept p on p.source_record_id = f.first"""
    )
    names = [d[0] for d in result.description or ()]
    links, masters = [], {}
    for values in result.fetchall():
        record = dict(zip(names, values, strict=True))
        links.append({
            "source_record_id": record["source_record_id"], "master_id": record["master_id"],
            "resource_code": RESOURCE, "batch_id": 1, "source_row": 0, "linked_at": now,
            **feature_values(record),
        })  # fmt: skip
        entry = masters.setdefault(
            record["master_id"],
            {"master_id": record["master_id"], "name": record["master_name"] or "",
             "region_code": "620722", "record_count": 0, "created_at": now, "updated_at": now,
             "retired_into": None},
        )  # fmt: skip
        entry["record_count"] += 1
    with factory() as session, session.begin():
        for part in persist.chunks(list(masters.values()), 20_000):
            session.execute(insert(MasterdataPerson), list(part))
        for part in persist.chunks(links, 20_000):
            session.execute(insert(MasterdataPersonLink), list(part))
        persist.store_model(
            session, "person", model, records=len(links), now=now, band_share=band_share
        )
        persist.register_sources(session, "person", [RESOURCE], now=now)
    return len(links)


def _incremental(
    args: argparse.Namespace, con: duckdb.DuckDBPyConnection, model: dict[str, Any],
    band_share: float, console: Console,
) -> dict[str, Any]:  # fmt: skip
    from citybrain.analytics.hub import open_hub
    from citybrain.core.context import set_actor
    from citybrain.datahub.demo.synthetic import pairwise_scores
    from citybrain.datahub.masterdata import service

    home = Path(os.environ["CITYBRAIN_HOME"])
    with Clock() as setup:
        settings, factory = _installation(home)
        hub = open_hub(settings)
        _hub_batch(hub, con, "b1", 1)
        population = _population(con, factory, model, band_share)
    console.print(f"population of {population:,} linked records written in {setup.wall:.1f} s")
    batch_rows = _hub_batch(hub, con, "b2", 2)
    with Clock() as clock, factory() as session, session.begin():
        set_actor(session, actor="bench", role="cli")
        report = service.link_batch(
            session, hub=hub, batch_id=2, resource_code=RESOURCE, settings=settings
        )
    if report is None or report.kind != "batch":
        raise RuntimeError(f"the batch was not linked as a batch: {report}")
    with factory() as session:
        from sqlalchemy import text

        rows = session.execute(
            text("select source_record_id, master_id from masterdata_person_link")
        ).all()
    import pyarrow as pa

    con.register("final_links", pa.table({
        "source_record_id": [r[0].split(":", 1)[1] for r in rows],
        "master_id": [r[1] for r in rows],
    }))  # fmt: skip
    scores = pairwise_scores(
        con, assignment_table="final_links", cluster_column="master_id", truth_table="truth"
    )
    return {"rows": batch_rows, "report": report, "clock": clock, "scores": scores,
            "population": population}  # fmt: skip


def _rate(pairs: int, seconds: float) -> float:
    return pairs / seconds if seconds else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=400_000, help="true persons")
    parser.add_argument("--batch", type=int, default=10_000, help="records of the loaded batch")
    parser.add_argument("--seed", type=int, default=20240630)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="DuckDB threads")
    parser.add_argument("--skip-batch", action="store_true", help="no loaded-batch part")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="citybrain-bench-linkage-"))
    os.environ.update({
        "CITYBRAIN_HOME": str(home), "CITYBRAIN_ENVIRONMENT": "testing",
        "CITYBRAIN_AUDIT_KEY": secrets.token_hex(32), "CITYBRAIN_FIELD_KEY": secrets.token_hex(16),
        "CITYBRAIN_BLIND_INDEX_KEY": secrets.token_hex(32),
        "CITYBRAIN_SESSION_KEY": secrets.token_hex(32),
        "CITYBRAIN_PSEUDONYM_KEY": secrets.token_hex(32),
    })  # fmt: skip
    os.environ.setdefault(
        "CITYBRAIN_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared/data")
    )
    from citybrain.core.config import get_settings
    from citybrain.datahub.ingest.resources import field_cipher

    console = Console()
    con = duckdb.connect()
    con.execute(f"set threads = {int(args.threads)}")
    with Clock() as prepared:
        _generate(args, console, con)
        _blind(con, field_cipher(get_settings()))
    console.print(f"generated and indexed in {prepared.wall:.1f} s")
    with console.status("linking twice: training the model, then with the stored model"):
        first, second, first_clock, second_clock, scores = _link_runs(args, con)
    batch = None
    if not args.skip_batch:
        with console.status("linking a loaded batch into the masters (scratch installation)"):
            batch = _incremental(args, con, first.model, first.band_share, console)
    threads = int(con.execute("select current_setting('threads')").fetchall()[0][0])
    reference = SPLINK_REFERENCE_PAIRS_PER_SECOND_PER_VCPU
    pairs = second.n_pairs_scored
    wall_rate = _rate(pairs, second_clock.wall) / threads
    cpu_rate = _rate(pairs, second_clock.cpu)
    table = Table(title="人口库 linkage benchmark", show_header=False)
    rows = [
        ("records / true persons", f"{second.n_records:,} / {args.persons:,}"),
        ("precision / recall (pairwise)", f"{scores.precision:.4f} / {scores.recall:.4f}"),
        ("true-positive / predicted / true pairs",
         f"{scores.true_positive_pairs:,} / {scores.predicted_pairs:,} / {scores.true_pairs:,}"),
        ("pairs scored (predict() rows, no threshold)", f"{pairs:,}"),
        ("pairs linked / in the review band",
         f"{second.n_pairs_matched:,} / {second.n_pairs_band:,}"),
        ("clusters", f"{second.n_clusters:,}"),
        ("first run (trains): wall / CPU", f"{first_clock.wall:.1f} s / {first_clock.cpu:.1f} s"
         f" (training {first.seconds['training']:.1f} s wall)"),
        ("stored model: wall / CPU end to end",
         f"{second_clock.wall:.1f} s / {second_clock.cpu:.1f} s"),
        ("stored model: predict / cluster (wall)",
         f"{second.seconds['predict']:.1f} s / {second.seconds['cluster']:.1f} s"),
        ("os.cpu_count() / DuckDB threads", f"{os.cpu_count()} / {threads}"),
        ("pairs/s/vCPU end to end: wall x threads; CPU", f"{wall_rate:,.0f}; {cpu_rate:,.0f}"),
        (f"ratio to Splink's ~{reference:,} pairs/s/vCPU: wall; CPU",
         f"{wall_rate / reference:.2f}; {cpu_rate / reference:.2f}"),
        ("first run, same ratio: wall; CPU",
         f"{_rate(first.n_pairs_scored, first_clock.wall) / threads / reference:.2f}; "
         f"{_rate(first.n_pairs_scored, first_clock.cpu) / reference:.2f}"),
    ]  # fmt: skip
    if batch is not None:
        report = batch["report"]
        rows += [
            ("loaded batch: records (new / changed)",
             f"{batch['rows']:,} ({report.new_records:,} / {report.changed_records:,}) into "
             f"{batch['population']:,} linked records"),
            ("loaded batch: joined masters / new masters / merges",
             f"{report.linked_to_existing:,} / {report.new_masters:,} / {len(report.merges):,}"),
            ("loaded batch: pairs scored / in the band / queued for review",
             f"{report.pairs_scored:,} / {report.pairs_band:,} / {report.review_queued:,}"),
            ("band share: at training / this batch (drift check)",
             f"{first.band_share:.3%} / "
             f"{report.pairs_band / max(report.pairs_scored, 1):.3%}"),
            ("loaded batch: wall / CPU (link_batch to commit)",
             f"{batch['clock'].wall:.1f} s / {batch['clock'].cpu:.1f} s"),
            ("after the batch: precision / recall (pairwise)",
             f"{batch['scores'].precision:.4f} / {batch['scores'].recall:.4f}"),
        ]  # fmt: skip
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows += [
        ("peak RSS", f"{peak_rss_mib:,.0f} MiB"),
        ("python / duckdb", f"{platform.python_version()} / {duckdb.__version__}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


if __name__ == "__main__":
    main()
