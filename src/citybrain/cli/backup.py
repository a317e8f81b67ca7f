"""``citybrain backup`` and ``citybrain restore``: the whole installation in one archive, taken
while it serves, and back into a new home (see ``docs/operations.md``). A passphrase comes from
stdin or an interactive prompt, never from the command line."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from citybrain.analytics.hub import open_hub
from citybrain.analytics.hub.pg import PgHubStore
from citybrain.cli.context import cli_engine, cli_session, console, err_console, settings
from citybrain.core.audit import service as audit
from citybrain.core.backup import service
from citybrain.core.backup.archive import Progress as ProgressCallback
from citybrain.core.clock import utcnow

_STAGES = {
    "files": "复制密钥与审计检查点",
    "digest": "统计数据表",
    "hub": "复制中枢库",
    "pack": "写入归档",
    "verify": "校验 SHA-256",
    "restore": "写入数据",
}

PassphraseStdin = Annotated[
    bool, typer.Option("--passphrase-stdin", help="从标准输入读取口令 (第一行)")
]


@contextmanager
def _bars() -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total or 1)
            bar.update(tasks[stage], completed=done, total=total or 1)

        yield progress


def _passphrase(from_stdin: bool, *, confirm: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = typer.prompt("备份口令", hide_input=True, confirmation_prompt=confirm)
    if not value:
        err_console.print("[red]口令不能为空[/red] (backup_empty_passphrase)")
        raise typer.Exit(code=2)
    return value


def backup(
    output: Annotated[
        Path | None,
        typer.Argument(help="归档文件; 默认 citybrain-backup-<时间>.tar.gz (加密时 .sm4)"),
    ] = None,
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="用口令加密 (SM4-GCM, PBKDF2-HMAC-SM3)")
    ] = False,
    passphrase_stdin: PassphraseStdin = False,
) -> None:
    """在线备份整个安装 (数据库、中枢库、密钥文件、审计检查点), 无需停机."""
    passphrase = _passphrase(passphrase_stdin, confirm=True) if encrypt else None
    if output is None:
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        output = Path(f"citybrain-backup-{stamp}.tar.gz" + (".sm4" if encrypt else ""))
    current = settings()
    with _bars() as progress:
        result = service.create_backup(
            current,
            cli_engine(),
            hub_store=open_hub(current),
            output=output,
            passphrase=passphrase,
            progress=progress,
        )
    with cli_session() as session:
        audit.record(
            session,
            action="ops.backup.create",
            object_type="backup",
            object_id=result.path.name,
            detail={"sha256": result.sha256, "size": result.size, "encrypted": encrypt},
        )
    manifest = result.manifest
    table = Table(title=f"备份完成: {result.path}")
    for column in ("项目", "内容"):
        table.add_column(column)
    table.add_row("数据库", f"{manifest['database']['backend']} ({manifest['alembic_revision']})")
    table.add_row("数据表 / 行", _tables_rows(manifest["database"]["tables"]))
    if manifest["hub"]:
        table.add_row("中枢表 / 行", _tables_rows(manifest["hub"]["tables"]))
    table.add_row("归档成员", str(len(manifest["members"])))
    table.add_row("大小", f"{result.size:,} 字节")
    table.add_row("SHA-256", result.sha256)
    console.print(table)
    for warning in result.warnings:
        err_console.print(f"[yellow]注意: {warning}[/yellow]")


def restore(
    archive: Annotated[Path, typer.Argument(help="备份归档文件")],
    home: Annotated[Path, typer.Option("--home", help="恢复到的新目录 (CITYBRAIN_HOME)")],
    database_url: Annotated[
        str, typer.Option("--database-url", help="PostgreSQL 备份的目标数据库 URL")
    ] = "",
    hub_url: Annotated[
        str,
        typer.Option(
            "--hub-url",
            envvar="CITYBRAIN_HUB_URL",
            help="中枢库放在 PostgreSQL 时的目标 URL (postgresql+psycopg://…); 默认 DuckDB 文件",
        ),
    ] = "",
    hub_schema: Annotated[
        str, typer.Option("--hub-schema", envvar="CITYBRAIN_HUB_SCHEMA", help="中枢库模式")
    ] = "hub",
    force: Annotated[bool, typer.Option("--force", help="目标非空时仍覆盖")] = False,
    passphrase_stdin: PassphraseStdin = False,
) -> None:
    """从归档恢复到新目录; 先校验全部 SHA-256, 再写入, 必要时把数据库升级到当前版本."""
    from citybrain.core.backup.archive import is_encrypted

    passphrase = None
    if archive.is_file() and is_encrypted(archive):
        passphrase = _passphrase(passphrase_stdin, confirm=False)
    with _bars() as progress:
        result = service.restore_backup(
            archive,
            home=home,
            database_url=database_url,
            hub_store=PgHubStore(hub_url, schema=hub_schema) if hub_url else None,
            force=force,
            passphrase=passphrase,
            progress=progress,
        )
    manifest = result.manifest
    table = Table(title=f"恢复完成: {result.home}")
    for column in ("项目", "内容"):
        table.add_column(column)
    table.add_row("备份时间", manifest["created_at"])
    table.add_row("来源目录", manifest["source_home"])
    table.add_row("数据表 (已核对)", str(result.tables_checked))
    table.add_row("中枢表 (已核对)", str(result.hub_tables_checked))
    migrated = f"已从 {result.migrated_from} 升级" if result.migrated_from else "无需升级"
    table.add_row("数据库版本", f"{result.revision} ({migrated})")
    console.print(table)
    for warning in result.warnings:
        err_console.print(f"[yellow]注意: {warning}[/yellow]")
    # outside the table, so that long values are not cut and can be copied
    console.print(
        "下一步: 以如下环境变量启动, 并运行 citybrain audit verify 核对审计链", soft_wrap=True
    )
    console.print(f"  CITYBRAIN_HOME={result.home}", soft_wrap=True, markup=False)
    if result.database_url.startswith("postgresql"):
        shown = _hide_password(result.database_url)
        console.print(f"  CITYBRAIN_DATABASE_URL={shown}", soft_wrap=True, markup=False)


def _tables_rows(tables: dict[str, dict[str, int]]) -> str:
    return f"{len(tables)} / {sum(t['rows'] for t in tables.values()):,}"


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
