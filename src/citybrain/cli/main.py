"""Entry point: ``citybrain init | migrate | serve | demo | regions | user | apikey | audit``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
import uvicorn
from rich.table import Table

from citybrain.cli import iam as iam_cli
from citybrain.cli import ingest as ingest_cli
from citybrain.cli import masterdata as masterdata_cli
from citybrain.cli import regions as regions_cli
from citybrain.cli.context import cli_engine, cli_session, console, err_console, settings
from citybrain.core import migrate as migrations
from citybrain.core.audit import service as audit_service
from citybrain.core.config import ensure_key_file
from citybrain.core.errors import DomainError

app = typer.Typer(help="citybrain 数字政府运营平台", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志")
app.add_typer(regions_cli.app, name="regions")
app.add_typer(iam_cli.user_app, name="user")
app.add_typer(iam_cli.apikey_app, name="apikey")
app.add_typer(audit_app, name="audit")
app.add_typer(ingest_cli.app, name="ingest")
app.add_typer(masterdata_cli.app, name="masterdata")

Host = Annotated[str, typer.Option(help="监听地址")]
Port = Annotated[int, typer.Option(help="监听端口")]


@app.command()
def migrate() -> None:
    """创建或升级数据库结构 (Alembic)."""
    migrations.upgrade(cli_engine())
    console.print("[green]数据库已是最新结构[/green]")


@app.command()
def init() -> None:
    """初始化: 迁移数据库, 创建系统/安全/审计三个管理员账号并一次性显示其初始密码."""
    _init()


def _init() -> bool:
    from citybrain.iam import service as iam_service

    if ensure_key_file(settings().key_file):
        console.print(f"已生成密钥文件 {settings().key_file} (请妥善保管)")
    migrations.upgrade(cli_engine())
    with cli_session() as session:
        created = iam_service.create_admin_accounts(session)
    if not created:
        console.print("三个管理员账号已存在, 未作改动")
        return False
    table = Table(title="管理员初始密码 (只显示这一次, 首次登录须修改并绑定 TOTP)")
    for column in ("用户名", "角色", "初始密码"):
        table.add_column(column)
    for account in created:
        table.add_row(account.username, account.role, account.password)
    console.print(table)
    return True


Workers = Annotated[
    int, typer.Option(min=1, max=64, help="工作进程数 (大于 1 时须使用 PostgreSQL)")
]


@app.command()
def serve(host: Host = "127.0.0.1", port: Port = 8000, workers: Workers = 1) -> None:
    """启动 Web 服务 (单进程时同时按计划执行增量归集)."""
    if workers == 1:
        _serve_one(host, port)
        return
    if settings().resolved_database_url.startswith("sqlite"):
        err_console.print(
            "[red]多个工作进程须使用 PostgreSQL (设置 CITYBRAIN_DATABASE_URL); "
            "SQLite 只允许一个写入者, 请去掉 --workers 或设为 1[/red]"
        )
        raise typer.Exit(code=2)
    # Each worker imports the app afresh and reads the same CITYBRAIN_* environment. The
    # in-process ingest scheduler is not started here: in every worker it would run each due
    # pull once per worker. With several workers, run `citybrain ingest due` from cron (or a
    # systemd timer) every minute instead.
    console.print(f"{workers} 个工作进程; 定时抽取请由 cron 调用 `citybrain ingest due`")
    uvicorn.run(
        "citybrain.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker imports every module before it answers the supervisor's ping; on a busy
        # machine that takes longer than uvicorn's 5 s, and it would be killed and respawned
        # over and over.
        timeout_worker_healthcheck=60,
    )


def _serve_one(host: str, port: int) -> None:
    """One process: the app and the ingest scheduler's thread beside it."""
    from citybrain.app import create_app
    from citybrain.datahub.ingest.tasks import start_scheduler

    web = create_app()
    _, stop = start_scheduler(web.state.session_factory)
    try:
        uvicorn.run(web, host=host, port=port)
    finally:
        stop.set()


@app.command()
def demo(host: Host = "127.0.0.1", port: Port = 8000) -> None:
    """演示: 需要时初始化, 载入民乐县 (620722) 演示数据, 然后启动服务."""
    from citybrain.demo import load_demo

    _init()
    with cli_session() as session:
        load_demo(session, settings(), console=console)
    _serve_one(host, port)


@app.command()
def config() -> None:
    """列出全部配置项 (环境变量 CITYBRAIN_*), 当前取值与说明; 密钥只显示是否已设置."""
    from citybrain.core.config import KEY_NAMES, Settings

    current = settings()
    table = Table(title="citybrain 配置")
    for column in ("环境变量", "当前取值", "说明"):
        table.add_column(column)
    for name, field in Settings.model_fields.items():
        value = getattr(current, name)
        if name in KEY_NAMES:
            shown = "已设置" if value else "未设置 (取自密钥文件)"
        else:
            shown = str(value)
        table.add_row(f"CITYBRAIN_{name.upper()}", shown, field.description or "")
    console.print(table)


@app.command()
def openapi() -> None:
    """把 OpenAPI 3 描述 (JSON) 打印到标准输出, 供前端生成 API 客户端."""
    import json

    from citybrain.app import create_app

    sys.stdout.write(json.dumps(create_app().openapi(), ensure_ascii=False, indent=2) + "\n")


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计链; 链完整时退出码为 0, 否则指出第一条被篡改/插入/删除的记录."""
    with cli_session() as session:
        result = audit_service.verify(session)
    if result.ok:
        console.print(f"[green]{result.message}[/green] (共 {result.checked} 条)")
        return
    err_console.print(f"[red]{result.message}[/red] (breach={result.breach}, seq={result.seq})")
    raise typer.Exit(code=1)


def main() -> None:
    try:
        app()
    except DomainError as exc:
        err_console.print(f"[red]{exc.message}[/red] ({exc.code})")
        sys.exit(2)
