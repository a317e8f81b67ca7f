"""Benchmark: link synthetic 人口库 person records from three departments with known truth.

Generates ``--persons`` true persons (default 400,000, giving 1,000,000 records at 2.5
records per person over 公安 户籍, 民政 and 卫健), links them with
``citybrain.datahub.masterdata.linkage.link_person_records`` (Splink on DuckDB) and
prints pairwise precision and recall against the truth, the number of record pairs
Splink scored, wall times and comparisons per second per core.

What is counted: "pairs scored" is the row count of Splink's ``predict()`` output with
no threshold, i.e. every distinct candidate pair produced by the three blocking rules
(ID number; name + birth date; phone) and scored by the model.  Pairs compared during
training (u by random sampling, m by EM) are not counted, but training time is part of
the end-to-end rate.  The reference is the issue's ~128,000 pairs per second per vCPU
for Splink, derived from Splink's published benchmark (1 billion comparisons to
deduplicate 7 million records in about two minutes, robinlinacre.com/fast_deduplication).

    .venv/bin/python bench/bench_linkage.py                    # 1,000,000 records
    .venv/bin/python bench/bench_linkage.py --persons 40000    # 100,000 records
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citybrain.datahub.masterdata.linkage import LinkageConfig, link_person_records
from citybrain.datahub.masterdata.synthetic import (
    generate_person_records,
    load_minle_villages,
    pairwise_scores,
)

SPLINK_REFERENCE_PAIRS_PER_SECOND_PER_VCPU = 128_000
RECORDS_PER_PERSON = 2.5


def _villages(console: Console) -> list[tuple[str, str]] | None:
    data_dir = Path(os.environ.get("CITYBRAIN_DATA_DIR", "../shared/data"))
    path = data_dir / "admin_divisions" / "villages2021_minle_620722.csv"
    if path.exists():
        return load_minle_villages(path)
    console.print(f"[yellow]{path} not found: invented village names[/]")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=400_000, help="true persons")
    parser.add_argument("--seed", type=int, default=20240630)
    parser.add_argument("--threshold", type=float, default=0.9, help="match probability")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="DuckDB threads")
    parser.add_argument(
        "--database", default=":memory:", help="DuckDB database (a file lets DuckDB spill)"
    )
    parser.add_argument("--u-max-pairs", type=float, default=2e6)
    parser.add_argument("--em-max-pairs", type=float, default=1e6)
    args = parser.parse_args()
    console = Console()

    started = time.perf_counter()
    with Progress(
        TextColumn("generating records"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("generate", total=round(args.persons * RECORDS_PER_PERSON))
        data = generate_person_records(
            args.persons,
            seed=args.seed,
            records_per_person=RECORDS_PER_PERSON,
            villages=_villages(console),
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    seconds_generate = time.perf_counter() - started
    console.print(
        f"generated {data.n_records:,} records of {data.n_persons:,} persons "
        f"in {seconds_generate:.1f} s; faults: {data.fault_counts}"
    )

    con = duckdb.connect(args.database)
    con.execute(f"set threads = {int(args.threads)}")
    started = time.perf_counter()
    data.load_into(con, records_table="person_record", truth_table="truth")
    console.print(f"loaded into DuckDB in {time.perf_counter() - started:.1f} s")
    del data

    config = LinkageConfig(
        threshold_match_probability=args.threshold,
        u_max_pairs=args.u_max_pairs,
        em_max_pairs=args.em_max_pairs,
    )
    started = time.perf_counter()
    with console.status("linking (Splink on DuckDB: train, predict, cluster)"):
        result = link_person_records(
            con, records_table="person_record", output_table="cluster", config=config
        )
    seconds_link = time.perf_counter() - started
    scores = pairwise_scores(
        con, assignment_table="cluster", cluster_column="cluster_id", truth_table="truth"
    )
    threads = int(con.execute("select current_setting('threads')").fetchall()[0][0])
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    predict_rate = result.n_pairs_scored / result.seconds["predict"]
    end_to_end_rate = result.n_pairs_scored / seconds_link
    reference = SPLINK_REFERENCE_PAIRS_PER_SECOND_PER_VCPU
    table = Table(title="人口库 linkage benchmark", show_header=False)
    rows = [
        ("records / true persons", f"{result.n_records:,} / {args.persons:,}"),
        ("precision (pairwise)", f"{scores.precision:.4f}"),
        ("recall (pairwise)", f"{scores.recall:.4f}"),
        (
            "true-positive / predicted / true pairs",
            f"{scores.true_positive_pairs:,} / {scores.predicted_pairs:,} / {scores.true_pairs:,}",
        ),
        ("pairs scored (predict() rows, no threshold)", f"{result.n_pairs_scored:,}"),
        (f"pairs at match probability >= {args.threshold}", f"{result.n_pairs_matched:,}"),
        ("clusters", f"{result.n_clusters:,}"),
        ("wall time: training (prior, u, 2x EM)", f"{result.seconds['training']:.1f} s"),
        ("wall time: predict (blocking + scoring)", f"{result.seconds['predict']:.1f} s"),
        ("wall time: clustering", f"{result.seconds['cluster']:.1f} s"),
        ("wall time: linkage end to end", f"{seconds_link:.1f} s"),
        ("os.cpu_count() / DuckDB threads", f"{os.cpu_count()} / {threads}"),
        ("comparisons/s, predict()", f"{predict_rate:,.0f}"),
        ("comparisons/s/core, predict()", f"{predict_rate / threads:,.0f}"),
        ("comparisons/s/core, end to end", f"{end_to_end_rate / threads:,.0f}"),
        (
            f"ratio to Splink's ~{reference:,} pairs/s/vCPU (predict; end to end)",
            f"{predict_rate / threads / reference:.2f}; "
            f"{end_to_end_rate / threads / reference:.2f}",
        ),
        ("peak RSS", f"{peak_rss_mib:,.0f} MiB"),
        ("python / duckdb", f"{platform.python_version()} / {duckdb.__version__}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


if __name__ == "__main__":
    main()
