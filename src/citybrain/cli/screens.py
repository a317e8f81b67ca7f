"""``citybrain screen``: register the screens of a command centre's wall and revoke their keys
(屏端管理), for the computer behind a wall that runs unattended."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from citybrain.boards import service
from citybrain.boards.catalog import BY_CODE
from citybrain.boards.schemas import ScreenCreate
from citybrain.cli.context import cli_session, console, err_console
from citybrain.core.errors import DomainError
from citybrain.core.scope import Scope

app = typer.Typer(help="屏端管理 (指挥中心大屏)")
SIZE = re.compile(r"^(\d{3,5})x(\d{3,5})$")


def _fail(message: str, code: str) -> typer.Exit:
    err_console.print(f"[red]{message}[/red] ({code})")
    return typer.Exit(code=2)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="屏端名称, 如 指挥中心主屏")],
    region: Annotated[str, typer.Option("--region", help="屏端所看的区划代码")],
    board: Annotated[
        list[str] | None,
        typer.Option("--board", help=f"轮巡的大屏, 可重复 (缺省全部: {', '.join(BY_CODE)})"),
    ] = None,
    size: Annotated[str, typer.Option("--size", help="像素尺寸, 如 5120x1280")] = "1920x1080",
    rotate: Annotated[int, typer.Option("--rotate", help="轮巡间隔 (秒)")] = 60,
) -> None:
    """登记屏端并打印屏端密钥 (只显示这一次) 与大屏地址."""
    match = SIZE.match(size)
    if match is None:
        raise _fail(f"尺寸应写作 宽x高, 如 5120x1280: {size}", "bad_screen_size")
    try:
        spec = ScreenCreate(
            name=name, region_code=region, width=int(match[1]), height=int(match[2]),
            boards=board or list(BY_CODE), rotate_seconds=rotate,
        )  # fmt: skip
    except ValidationError as exc:
        raise _fail(exc.errors()[0]["msg"], "bad_screen") from exc
    try:
        with cli_session() as session:
            created = service.create_screen(session, spec=spec, scope=Scope.system())
    except DomainError as exc:
        raise _fail(exc.message, exc.code) from exc
    console.print(f"[green]已登记屏端 {created.name} ({created.region_name})[/green]")
    console.print(f"屏端密钥 (只显示这一次): [bold]{created.key}[/bold]")
    console.print(f"大屏地址: {created.url}")


@app.command("list")
def list_screens() -> None:
    """列出屏端."""
    with cli_session() as session:
        screens = service.list_screens(session, scope=Scope.system())
    table = Table(title="屏端")
    for column in ("编号", "名称", "区划", "尺寸", "大屏", "密钥前缀", "状态"):
        table.add_column(column)
    for s in screens:
        state = "已吊销" if s.revoked_at else "使用中"
        table.add_row(
            str(s.id), s.name, s.region_name, f"{s.width}x{s.height}",
            "、".join(BY_CODE[b].name for b in s.boards), s.key_prefix, state,
        )  # fmt: skip
    console.print(table)


@app.command("revoke")
def revoke(screen_id: Annotated[int, typer.Argument(help="屏端编号")]) -> None:
    """吊销屏端密钥 (立即生效)."""
    try:
        with cli_session() as session:
            screen = service.revoke_screen(session, screen_id=screen_id, scope=Scope.system())
    except DomainError as exc:
        raise _fail(exc.message, exc.code) from exc
    console.print(f"[green]已吊销屏端 {screen.name} 的密钥[/green]")
