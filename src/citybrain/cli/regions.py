"""``citybrain regions load | import-grids | synthetic-grids``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from citybrain.cli.context import cli_session, console, settings
from citybrain.core.errors import BadInput
from citybrain.regions import service
from citybrain.regions.geo import Crs
from citybrain.regions.scope import LEVEL_NAMES_ZH, Level

app = typer.Typer(help="行政区划与网格", no_args_is_help=True)

_STAGES = {"read": "读取区划文件", "regions": "写入区划", "boundaries": "写入边界"}


@app.command()
def load(
    data_dir: Annotated[
        Path | None, typer.Option(help="公共数据目录, 默认 CITYBRAIN_DATA_DIR")
    ] = None,
    synthetic_grids: Annotated[
        bool, typer.Option(help="同时为演示县 (CITYBRAIN_DEMO_REGION) 生成合成网格")
    ] = False,
) -> None:
    """载入全国省/市/县与三地乡镇、村及县界 (可重复执行, 未变化的行不会改动)."""
    folder = data_dir or settings().data_dir
    with (
        Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        ) as bar,
        cli_session() as session,
    ):
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total or 1)
            bar.update(tasks[stage], completed=done if total else 1, total=total or 1)

        report = service.load_divisions(session, data_dir=folder, progress=progress)
        grids = (
            service.create_synthetic_grids(session, county_code=settings().demo_region)
            if synthetic_grids
            else None
        )
    table = Table(title=f"区划载入结果 ({folder})")
    for column in ("级别", "行数"):
        table.add_column(column)
    for level, count in report.by_level.items():
        table.add_row(LEVEL_NAMES_ZH[Level(level)], str(count))
    console.print(table)
    console.print(
        f"新增 {report.inserted}, 更新 {report.updated}, 未变 {report.unchanged}; "
        f"边界新增 {report.boundaries_inserted}, 更新 {report.boundaries_updated}"
    )
    if grids is not None:
        console.print(
            f"合成网格 {grids.county_code}: 乡镇 {grids.towns}, "
            f"新增 {grids.grids_created}, 更新 {grids.grids_updated}"
        )


@app.command("import-grids")
def import_grids(
    code: Annotated[str, typer.Argument(help="村/社区或乡镇/街道代码")],
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection 文件", exists=True)],
    crs: Annotated[Crs, typer.Option(help="文件坐标系")] = Crs.wgs84,
    tolerance_m: Annotated[float, typer.Option(help="超出上级边界的容差 (米)")] = 50.0,
) -> None:
    """导入网格面; 任何要素不合格则整体不写入, 并列出每个问题."""
    try:
        document = json.loads(file.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"不是有效的 GeoJSON 文件: {exc}", code="invalid_grid_geojson") from exc
    try:
        with cli_session() as session:
            result = service.import_grids(
                session,
                village_or_town_code=code,
                geojson=document,
                tolerance_m=tolerance_m,
                crs=crs,
            )
            rows = [(r.code, r.name, "新增") for r in result.created]
            rows += [(r.code, r.name, "更新") for r in result.updated]
    except BadInput as exc:
        if isinstance(exc.detail, list):
            for problem in exc.detail:
                console.print(f"[red]要素 {problem['index']}[/red] {problem['reason']}")
        raise
    table = Table(title=f"已导入 {len(rows)} 个网格")
    for column in ("代码", "名称", ""):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)


@app.command("synthetic-grids")
def synthetic_grids(
    code: Annotated[str | None, typer.Argument(help="县级代码, 默认演示县")] = None,
    remove: Annotated[bool, typer.Option(help="删除合成网格 (导入真实网格前)")] = False,
) -> None:
    """为没有真实网格的县按村生成合成网格 (标记 synthetic), 或删除它们."""
    county = code or settings().demo_region
    with cli_session() as session:
        if remove:
            removed = service.remove_synthetic_grids(session, county_code=county)
            console.print(f"已删除 {county} 的合成网格 {removed} 个")
            return
        report = service.create_synthetic_grids(session, county_code=county)
    console.print(
        f"合成网格 {report.county_code}: 乡镇 {report.towns}, "
        f"新增 {report.grids_created}, 更新 {report.grids_updated}"
    )
