"""``citybrain ingest file | pull | due``: load department data into the hub from the shell.

Batches run in short transactions (``datahub/ingest/runner.py``), so the web and other
commands keep working on the same SQLite file while a large file streams."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from citybrain.cli.context import cli_engine, cli_session, console, err_console
from citybrain.core.context import ActorContext
from citybrain.core.db import make_session_factory
from citybrain.core.errors import DomainError
from citybrain.core.scope import Scope
from citybrain.datahub.ingest import pulls, service, tasks
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.mapping import parse_mapping_options
from citybrain.datahub.ingest.pipeline import Progress as ProgressCallback
from citybrain.datahub.ingest.resources import load_resource
from citybrain.datahub.ingest.schemas import STATUS_LABELS, BatchResult
from citybrain.datahub.ingest.transactions import Transactions

app = typer.Typer(
    help="数据归集: 文件与数据库入中枢 (质量校验、隔离、整改单)", no_args_is_help=True
)

MappingOption = Annotated[
    list[str] | None,
    typer.Option("--mapping", "-m", help="列名=信息项, 可重复; 表头与目录中文名称不一致时使用"),
]


def _bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def cli_transactions() -> Transactions:
    """Short transactions on the CLI's database (the batch streams with none open), acting as
    the operating-system user, like ``cli_session``."""
    actor = ActorContext(actor=f"cli:{getpass.getuser()}", role="cli", source_ip="local")
    return Transactions.separate(make_session_factory(cli_engine()), actor=actor)


def _run(description: str, call: Callable[[ProgressCallback], BatchResult]) -> BatchResult:
    """Run ``call(progress)`` with a progress bar. A rejected or failed batch (its record
    already committed) is reported with its row and field, and exits with code 2."""
    with _bar() as bar:
        task = bar.add_task(description, total=None, rate="")

        def progress(done: int, total: int | None) -> None:
            elapsed = bar.tasks[task].elapsed or 0.0
            rate = f"{done / elapsed:,.0f} 行/秒" if elapsed > 0 else ""
            bar.update(task, completed=done, total=total, rate=rate)

        try:
            return call(progress)
        except (BatchRejected, BatchFailed) as exc:
            error = exc
    detail = error.detail if isinstance(error.detail, dict) else {}
    where = "".join(
        f" {label}{detail[key]}"
        for key, label in (("row", "行 "), ("field", "列 "))
        if detail.get(key) not in (None, "")
    )
    err_console.print(
        f"[red]批次 {error.batch_id} 未入库: {error.message}[/red] ({error.code}{where})"
    )
    raise typer.Exit(code=2)


def _summary(result: BatchResult) -> None:
    table = Table(title=f"归集批次 {result.batch_id} · {result.resource_code}")
    for column in ("状态", "行数", "入库", "新增", "更新", "跳过", "隔离", "质量得分", "整改单"):
        table.add_column(column, justify="right")
    table.add_row(
        STATUS_LABELS.get(result.status, result.status),
        str(result.row_count),
        str(result.loaded_rows),
        str(result.inserted_rows),
        str(result.updated_rows),
        str(result.skipped_rows),
        str(result.quarantined_rows),
        "-" if result.score is None else f"{result.score:.2f}",
        "-" if result.order_id is None else str(result.order_id),
    )
    console.print(table)
    if result.duplicate_of is not None:
        console.print(
            f"与批次 {result.duplicate_of} 内容相同 (SM3 {result.checksum[:16]}…), 未重复入库"
        )
    if result.unknown_columns:
        console.print(f"未入库的未知列: {'、'.join(result.unknown_columns)}")


@app.command("file")
def ingest_file(
    resource_code: Annotated[str, typer.Argument(help="信息资源代码, 如 620722-GA-001")],
    path: Annotated[
        Path, typer.Argument(help="CSV、XLSX 或 JSON 文件", exists=True, dir_okay=False)
    ],
    mapping: MappingOption = None,
    kind: Annotated[str | None, typer.Option(help="csv / xlsx / json, 默认按扩展名")] = None,
) -> None:
    """把一个文件归集到资源: 校验、隔离不合格行、原子入库, 打印质量摘要."""
    columns = parse_mapping_options(mapping or [])
    result = _run(
        f"归集 {path.name}",
        lambda progress: service.ingest_file_phased(
            cli_transactions(),
            resource_code=resource_code,
            path=path,
            kind=kind,
            mapping=columns,
            progress=progress,
        ),
    )
    _summary(result)


@app.command("pull")
def pull(
    resource_code: Annotated[str, typer.Argument(help="信息资源代码")],
    source_id: Annotated[int, typer.Option("--source", help="已登记的数据源编号 (数据源管理)")],
    watermark_column: Annotated[str, typer.Option(help="只增不减的列, 如 更新时间 或 自增 id")],
    table: Annotated[str | None, typer.Option(help="表名")] = None,
    query: Annotated[str | None, typer.Option(help="或一条 SELECT 查询")] = None,
    schema: Annotated[str | None, typer.Option(help="数据库 schema")] = None,
    mapping: MappingOption = None,
    every: Annotated[int | None, typer.Option(help="同时设为每 N 分钟定时抽取")] = None,
) -> None:
    """按水位列从已登记的数据源增量抽取 (只取上次水位之后的行).

    The shell acts for the resource's own region: the source must be usable from there."""
    options: dict[str, Any] = {"watermark_column": watermark_column}
    options.update({k: v for k, v in (("table", table), ("query", query), ("schema", schema)) if v})
    columns = parse_mapping_options(mapping or [])
    try:
        with cli_session() as session:
            region_code = load_resource(session, resource_code, scope=Scope.system()).region_code
    except DomainError as exc:
        err_console.print(f"[red]{exc.message}[/red] ({exc.code})")
        raise typer.Exit(code=2) from exc

    def call(progress: ProgressCallback) -> BatchResult:
        result = pulls.pull_incremental_phased(
            cli_transactions(),
            resource_code=resource_code,
            source_id=source_id,
            options=options,
            region_code=region_code,
            mapping=columns,
            progress=progress,
        )
        if every:
            with cli_session() as session:
                pulls.schedule_pull(
                    session,
                    resource_code=resource_code,
                    source_id=source_id,
                    options=options,
                    interval_minutes=every,
                    region_code=region_code,
                    mapping=columns,
                )
        return result

    try:
        _summary(_run(f"抽取 {table or 'query'}", call))
    except DomainError as exc:  # a refused source: nothing was read
        err_console.print(f"[red]{exc.message}[/red] ({exc.code})")
        raise typer.Exit(code=2) from exc


@app.command("due")
def run_due() -> None:
    """执行所有到期的定时抽取 (供 cron 调用; 服务进程内也会定时执行)."""
    outcomes = tasks.run_due_pulls(make_session_factory(cli_engine()))
    if not outcomes:
        console.print("没有到期的定时抽取")
    for schedule_id, outcome in outcomes.items():
        text = outcome if isinstance(outcome, str) else f"批次 {outcome.batch_id} {outcome.status}"
        console.print(f"定时抽取 {schedule_id}: {text}")
