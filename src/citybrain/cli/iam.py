"""``citybrain user ...`` and ``citybrain apikey ...``: accounts and department-system keys
from the command line. The operator is not confined to a region; every change is audited
under ``cli:<os user>``. Passwords come from stdin, never from the command line (which would
leave them in the shell history and the process list)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from citybrain.cli.context import cli_session, console, err_console
from citybrain.core.errors import DomainError
from citybrain.core.pagination import PageParams
from citybrain.iam import apikeys, queries, service
from citybrain.iam.schemas import UserFilter
from citybrain.regions.scope import normalise_code

user_app = typer.Typer(help="用户账号", no_args_is_help=True)
apikey_app = typer.Typer(help="部门系统 API 密钥", no_args_is_help=True)

Region = Annotated[str, typer.Option("--region", help="区划代码, 如 620722")]


def _fail(exc: DomainError) -> typer.Exit:
    err_console.print(f"[red]{exc.message}[/red] ({exc.code})")
    if isinstance(exc.detail, list):
        for item in exc.detail:
            if isinstance(item, dict) and "message" in item:
                err_console.print(f"  - {item['message']}")
    return typer.Exit(code=2)


@user_app.command("create")
def create_user(
    username: Annotated[str, typer.Option("--username", help="用户名")],
    role: Annotated[list[str], typer.Option("--role", help="角色 (可重复)")],
    region: Region,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读取密码 (第一行)")
    ] = False,
    display_name: Annotated[str, typer.Option("--display-name", help="姓名")] = "",
    department: Annotated[
        str | None, typer.Option("--department", help="所属部门编码 (大数据局人员不填)")
    ] = None,
) -> None:
    """创建本地账号 (首次登录须修改密码)."""
    if not password_stdin:
        err_console.print("[red]请用 --password-stdin 从标准输入提供密码[/red]")
        raise typer.Exit(code=2)
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        with cli_session() as session:
            user = service.create_user(
                session,
                username=username,
                password=password,
                region_code=region,
                roles=role,
                display_name=display_name,
                department_code=department,
            )
            summary = (user.id, user.username, user.region_code)
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(
        f"[green]已创建用户[/green] {summary[1]} (id {summary[0]}, 区划 {summary[2]},"
        f" 角色 {', '.join(role)}); 首次登录须修改密码"
    )


@user_app.command("set-department")
def set_department(
    username: Annotated[str, typer.Option("--username", help="用户名")],
    department: Annotated[
        str | None, typer.Option("--department", help="所属部门编码; 不填表示不属于任何部门")
    ] = None,
) -> None:
    """设置用户所属部门 (其会话全部注销)."""
    try:
        with cli_session() as session:
            user = queries.get_user_by_name(session, username)
            service.set_department(session, user=user, department_code=department, actor=None)
            shown = user.department_code or "无"
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(f"[green]已设置[/green] {username} 的所属部门: {shown}")


@user_app.command("list")
def list_users(
    region: Region,
    q: Annotated[str | None, typer.Option("--q", help="用户名或姓名包含")] = None,
) -> None:
    """列出某区划 (含下级) 的用户."""
    try:
        with cli_session() as session:
            scope = normalise_code(region)
            rows, total = queries.search_users(
                session, scope=scope, flt=UserFilter(q=q, page=1, size=200)
            )
            table = Table(title=f"{scope} 的用户 (共 {total} 个)")
            for column in ("id", "用户名", "姓名", "区划", "角色", "状态"):
                table.add_column(column)
            for u in rows:
                state = "启用" if u.is_active else "停用"
                roles = ",".join(r.name for r in u.roles)
                table.add_row(str(u.id), u.username, u.display_name, u.region_code, roles, state)
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(table)


@apikey_app.command("create")
def create_api_key(
    name: Annotated[str, typer.Option("--name", help="部门系统名称")],
    region: Region,
    scope: Annotated[list[str], typer.Option("--scope", help="权限代码 (可重复)")],
    days: Annotated[int, typer.Option("--days", help="有效天数 (1–730)")] = apikeys.DEFAULT_DAYS,
) -> None:
    """签发 API 密钥; 完整密钥只显示这一次, 以 X-API-Key 请求头发送."""
    try:
        with cli_session() as session:
            key, plain = apikeys.create_api_key(
                session, name=name, region_code=region, scopes=scope, days=days
            )
            expires = key.expires_at.date().isoformat()
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(f"[green]已签发 API 密钥[/green] {name} (有效期至 {expires})")
    console.print("密钥只显示这一次, 请妥善保存:")
    typer.echo(plain)


@apikey_app.command("list")
def list_api_keys(region: Region) -> None:
    """列出某区划 (含下级) 的 API 密钥 (只显示前缀)."""
    try:
        with cli_session() as session:
            rows, _ = queries.search_api_keys(
                session, scope=normalise_code(region), page=PageParams(page=1, size=500)
            )
            table = Table(title="API 密钥")
            for column in ("id", "名称", "前缀", "区划", "权限", "到期", "状态"):
                table.add_column(column)
            for k in rows:
                state = "已吊销" if k.revoked_at else "有效"
                scopes = ",".join(sorted(apikeys.scopes_of(k)))
                table.add_row(
                    str(k.id),
                    k.name,
                    k.key_prefix,
                    k.region_code,
                    scopes,
                    k.expires_at.date().isoformat(),
                    state,
                )
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(table)


@apikey_app.command("revoke")
def revoke_api_key(key_id: Annotated[int, typer.Argument(help="密钥 id")]) -> None:
    """立即吊销 API 密钥."""
    try:
        with cli_session() as session:
            key = queries.get_api_key(session, key_id)
            apikeys.revoke_api_key(session, key=key)
            name = key.name
    except DomainError as exc:
        raise _fail(exc) from None
    console.print(f"[green]已吊销[/green] {name}")
