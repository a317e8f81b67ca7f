"""``citybrain masterdata``: (re)build the base libraries from the hub, link one loaded batch
(the background job does it when a batch loads), retrain the 人口库 linkage model."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from citybrain.analytics.hub import open_hub
from citybrain.cli.context import cli_session, console, settings
from citybrain.datahub.masterdata import service, training
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
            session, hub=open_hub(settings()), resource_codes=resources, retrain=retrain
        )
    _show(report)


@app.command("entities")
def rebuild_entities(resources: Resources) -> None:
    """把企业登记等资源归并进法人库."""
    with console.status("归并中…"), cli_session() as session:
        report = service.rebuild_entities(
            session, hub=open_hub(settings()), resource_codes=resources
        )
    _show(report)


@app.command("retrain")
def retrain() -> None:
    """用人口库全部来源记录重新训练匹配模型 (已有主档不重新关联; 以后的关联使用新模型)."""
    with console.status("训练中…"), cli_session() as session:
        stored = training.retrain_person_model(session, hub=open_hub(settings()), reason="manual")
    share = "—" if stored.band_share is None else f"{stored.band_share:.4%}"
    console.print(
        f"人口库匹配模型 #{stored.id}: 训练记录 {stored.trained_records:,} 条; "
        f"审核区间记录对占比 (漂移基线) {share}"
    )


@app.command("link-batch")
def link_batch(batch_id: int, resource: str) -> None:
    """把一个已入库批次的新记录和变更记录关联进基础库 (通常由后台任务自动完成)."""
    with console.status("关联中…"), cli_session() as session:
        report = service.link_batch(
            session, hub=open_hub(settings()), batch_id=batch_id, resource_code=resource
        )
    if report is None:
        console.print(f"资源 {resource} 不是人口库或法人库的来源, 无需关联")
        return
    _show(report)
