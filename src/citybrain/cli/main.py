"""Entry point: ``citybrain init | migrate | serve | worker | demo | backup | restore | regions |
user | apikey | audit | search | indicators``."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
import uvicorn
from rich.table import Table
from sqlalchemy.exc import OperationalError

from citybrain import domains
from citybrain.cli import backup as backup_cli
from citybrain.cli import iam as iam_cli
from citybrain.cli import indicators as indicators_cli
from citybrain.cli import ingest as ingest_cli
from citybrain.cli import masterdata as masterdata_cli
from citybrain.cli import regions as regions_cli
from citybrain.cli import screens as screens_cli
from citybrain.cli import search as search_cli
from citybrain.cli.context import (
    cli_engine,
    cli_session,
    console,
    err_console,
    install_engine,
    require_installation,
    settings,
)
from citybrain.core import migrate as migrations
from citybrain.core.audit import service as audit_service
from citybrain.core.config import ensure_key_file, record_home
from citybrain.core.errors import DomainError

domains.load()
app = typer.Typer(help="citybrain 数字政府运营平台", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志")
app.add_typer(regions_cli.app, name="regions")
app.add_typer(iam_cli.user_app, name="user")
app.add_typer(iam_cli.apikey_app, name="apikey")
app.add_typer(audit_app, name="audit")
app.add_typer(ingest_cli.app, name="ingest")
app.add_typer(masterdata_cli.app, name="masterdata")
app.add_typer(search_cli.app, name="search")
app.add_typer(indicators_cli.app, name="indicators")
app.add_typer(screens_cli.app, name="screen")
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)

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
    engine = install_engine()
    try:
        migrations.upgrade(engine)
    finally:
        engine.dispose()
    remembered = record_home(settings().home)
    console.print(f"安装目录 {settings().home.resolve()} (已记录于 {remembered})", soft_wrap=True)
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


AccessLog = Annotated[
    bool,
    typer.Option(
        "--access-log/--no-access-log",
        help="逐条输出访问日志 (每个请求一行); 前面有反向代理记录访问日志时可关闭以节省开销",
    ),
]


@app.command()
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    workers: Workers = 1,
    access_log: AccessLog = True,
) -> None:
    """启动 Web 服务 (单进程且未配置 Redis 时, 后台任务与定时任务也在本进程内执行)."""
    if workers == 1:
        _serve_one(host, port, access_log=access_log)
        return
    if settings().resolved_database_url.startswith("sqlite"):
        err_console.print(
            "[red]多个工作进程须使用 PostgreSQL (设置 CITYBRAIN_DATABASE_URL); "
            "SQLite 只允许一个写入者, 请去掉 --workers 或设为 1[/red]"
        )
        raise typer.Exit(code=2)
    # Each worker imports the app afresh and reads the same CITYBRAIN_* environment. No job
    # consumer starts inside the web workers: background and scheduled jobs run in
    # `citybrain worker` processes (on Redis when CITYBRAIN_REDIS_URL is set).
    console.print(f"{workers} 个工作进程; 后台任务与定时任务请运行 `citybrain worker`")
    uvicorn.run(
        "citybrain.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        # A worker imports every module before it answers the supervisor's ping; on a busy
        # machine that takes longer than uvicorn's 5 s, and it would be killed and respawned
        # over and over.
        timeout_worker_healthcheck=60,
    )


def _serve_one(host: str, port: int, *, access_log: bool = True) -> None:
    """One process: the app, and the embedded job consumer when no Redis is configured."""
    from citybrain.app import create_app
    from citybrain.core.audit import anchor

    require_installation()
    web = create_app()
    consumer = web.state.jobs.start_embedded()  # None on Redis: `citybrain worker` runs jobs
    try:
        uvicorn.run(web, host=host, port=port, access_log=access_log)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        anchor.checkpoint_committed(cli_engine())  # a clean shutdown anchors the last head


@app.command()
def worker(
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="并发执行的任务数")] = 2,
) -> None:
    """运行后台任务与定时任务 (配置 CITYBRAIN_REDIS_URL 后可在多台机器上各运行一个)."""
    from citybrain.app import follow_domain_events, register_jobs
    from citybrain.core.db import make_session_factory
    from citybrain.core.jobs.system import JobSystem

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    register_jobs()
    jobs = JobSystem(settings(), make_session_factory(cli_engine()))
    follow_domain_events(jobs)  # batches the worker's ingest jobs load are linked too
    where = "Redis" if jobs.uses_redis else f"{settings().home / 'jobs.db'}"
    console.print(f"任务队列: {where}; 并发 {workers}")
    jobs.run_worker(workers=workers)


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
    from citybrain.core.audit.config import AuditSettings, get_audit_settings
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
    audit = get_audit_settings()
    for name, field in AuditSettings.model_fields.items():
        table.add_row(
            f"CITYBRAIN_AUDIT_{name.upper()}", str(getattr(audit, name)), field.description or ""
        )
    console.print(table)


@app.command()
def openapi() -> None:
    """把 OpenAPI 3 描述 (JSON) 打印到标准输出, 供前端生成 API 客户端."""
    import json

    from citybrain.app import create_app

    sys.stdout.write(json.dumps(create_app().openapi(), ensure_ascii=False, indent=2) + "\n")


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计链与链外检查点; 完整时退出码 0 并记检查点, 否则指出篡改/插入/删除/截断之处."""
    from citybrain.core.audit import anchor

    with cli_session() as session:
        result = audit_service.verify(session)
    if not result.ok:
        err_console.print(f"[red]{result.message}[/red] (breach={result.breach}, seq={result.seq})")
        raise typer.Exit(code=1)
    anchored = f", 检查点至第 {result.checkpoint_seq} 条" if result.checkpoint_seq else ""
    console.print(f"[green]{result.message}[/green] (共 {result.checked} 条{anchored})")
    for warning in result.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
    if anchor.checkpoint_committed(cli_engine()):
        console.print(f"已写入检查点: {anchor.checkpoint_path()}")


@audit_app.command("pubkey")
def audit_pubkey() -> None:
    """打印签署审计检查点的 SM2 公钥 (十六进制 x||y), 供 syslog/HTTP 接收方验签."""
    from citybrain.core.audit import anchor

    console.print(anchor.signing_keys()[1].hex())


def main() -> None:
    try:
        app()
    except DomainError as exc:
        err_console.print(f"[red]{exc.message}[/red] ({exc.code})")
        sys.exit(2)
    except OperationalError as exc:  # unreachable or unmigrated database: one line, no trace
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        typer.echo(
            f"数据库无法使用: {reason}; 请检查 CITYBRAIN_DATABASE_URL 或运行 citybrain migrate"
            " (database_unavailable)", err=True,
        )  # fmt: skip
        sys.exit(2)
