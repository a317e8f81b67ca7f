"""``citybrain masterdata``: (re)build the base libraries from the hub after new batches."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from citybrain.analytics.hub import default_store
from citybrain.cli.context import cli_session, console
from citybrain.datahub.masterdata import service
from citybrain.datahub.masterdata.build import BuildReport

app = typer.Typer(help="基础库 (人口库 / 法人库)")
Resources = Annotated[list[str], typer.Argument(help="资源代码, 权威来源在前")]


def _show(report: BuildReport) -> None:
    table = Table(title="人口库" if report.domain == "person" else "法人库")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    for key, value in report.summary().items():
        table.add_row(str(key), str(value))
    console.print(table)


@app.command("persons")
def rebuild_persons(resources: Resources, retrain: bool = False) -> None:
    """把各部门人员资源关联进人口库 (主键稳定, 新记录并入已有主档)."""
    with console.status("记录关联中…"), cli_session() as session:
        report = service.rebuild_persons(
            session, hub=default_store(), resource_codes=resources, retrain=retrain
        )
    _show(report)


@app.command("entities")
def rebuild_entities(resources: Resources) -> None:
    """把企业登记等资源归并进法人库."""
    with console.status("归并中…"), cli_session() as session:
        report = service.rebuild_entities(session, hub=default_store(), resource_codes=resources)
    _show(report)
