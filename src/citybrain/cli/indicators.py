"""``citybrain indicators``: list indicators and run or backfill them from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from citybrain.analytics.hub import open_hub
from citybrain.cli.context import cli_engine, cli_session, console, err_console, settings
from citybrain.core.db import make_session_factory
from citybrain.core.errors import DomainError
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.indicators import queries, runs
from citybrain.indicators.rules import RUN_STATUS_NAMES_ZH, RunStatus
from citybrain.indicators.schemas import IndicatorFilter

app = typer.Typer(help="指标: 列表、运行与补算")
Codes = Annotated[list[str], typer.Option("--code", "-c", help="指标代码 (可重复)")]
First = Annotated[str, typer.Option("--from", help="起始期间, 如 2024-01、2024Q1、2024")]
Last = Annotated[str, typer.Option("--to", help="截止期间")]


@app.command("list")
def list_indicators(status: Annotated[str | None, typer.Option(help="按状态筛选")] = None) -> None:
    """列出指标及其状态与最近一次运行."""
    with cli_session() as session:
        filters = IndicatorFilter.model_validate({"status": status} if status else {})
        page = queries.list_indicators(
            session, filters=filters, page=PageParams(size=500), scope=Scope.system()
        )
    table = Table(title=f"指标 ({page.total})")
    for column in ("代码", "名称", "板块 › 指标集", "周期", "状态", "最近运行", "耗时 ms"):
        table.add_column(column)
    for item in page.items:
        last = item.last_run
        table.add_row(
            item.code,
            item.name,
            f"{item.board_name} › {item.set_name}",
            item.granularity,
            item.status,
            last.status if last else "",
            str(last.duration_ms or "") if last else "",
        )
    console.print(table)


@app.command("run")
def run_indicators(codes: Codes, first: First, last: Last) -> None:
    """按依赖顺序运行 (补算) 指定指标的一段期间; 失败或超时的运行不发布任何数值."""
    try:
        with cli_session() as session:
            queued = runs.queue_runs(
                session,
                codes=codes,
                period_from=first,
                period_to=last,
                trigger="cli",
                scope=Scope.system(),
            )
            batch = queued[0].batch_key
    except DomainError as exc:
        err_console.print(f"[red]{exc.message} ({exc.code})[/red]")
        raise typer.Exit(code=2) from exc
    factory = make_session_factory(cli_engine())
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("排队", total=len(queued))

        def report(code: str, done: int, total: int) -> None:
            progress.update(
                task, description=f"运行 {code}" if code else "完成", completed=done, total=total
            )

        outcomes = runs.execute_batch(
            factory,
            batch_key=batch,
            hub=open_hub(settings()),
            settings=settings(),
            progress=report,
        )
    table = Table(title=f"运行批次 {batch}")
    for column in ("指标", "状态", "行数", "耗时 ms", "错误"):
        table.add_column(column)
    for outcome in outcomes:
        colour = "green" if outcome.status is RunStatus.ok else "red"
        table.add_row(
            outcome.code,
            f"[{colour}]{RUN_STATUS_NAMES_ZH[outcome.status]}[/{colour}]",
            str(outcome.rows),
            str(outcome.duration_ms),
            outcome.error_code,
        )
    console.print(table)
    if any(o.status is not RunStatus.ok for o in outcomes):
        raise typer.Exit(code=1)
