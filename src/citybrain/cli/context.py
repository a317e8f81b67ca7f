"""What every CLI command needs: settings, an engine and a unit of work acting as the CLI.

Only ``init`` and ``demo`` may create a database (:func:`install_engine`); every other command
goes through :func:`cli_engine`, which refuses in one line (exit code 2) when the installation
cannot be found, instead of creating an empty database in the current directory."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citybrain.core.config import HOME_ENV, Settings, find_home, get_settings
from citybrain.core.context import set_actor
from citybrain.core.db import make_engine, make_session_factory

console = Console()
err_console = Console(stderr=True)


NO_HOME_EXIT = 2


@lru_cache(maxsize=1)
def cli_engine() -> Engine:
    """The installation's database; exits with one line when there is none (nothing cached
    then, so a later call after ``init`` finds it)."""
    require_installation()
    return make_engine(get_settings().resolved_database_url)


def install_engine() -> Engine:
    """For ``init``/``demo`` only: the database, created under home when missing. The caller
    disposes of it."""
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url)


def missing_installation(settings: Settings) -> tuple[str, str] | None:
    """Why there is no installation to work on, as (message, code), or None when there is.
    An explicit ``database_url`` is the operator's choice and is taken as it is."""
    if settings.database_url or settings.database_file.exists():
        return None
    if find_home() is None:
        return (
            f"未找到 citybrain 安装目录: 请设置 {HOME_ENV} 或先运行 citybrain init",
            "home_not_found",
        )
    return (
        f"安装目录 {settings.home.resolve()} 中没有数据库: 请先运行 citybrain init",
        "database_not_found",
    )


def require_installation() -> None:
    problem = missing_installation(get_settings())
    if problem is not None:
        message, code = problem
        typer.echo(f"{message} ({code})", err=True)
        raise typer.Exit(code=NO_HOME_EXIT)


def settings() -> Settings:
    return get_settings()


@contextmanager
def cli_session() -> Iterator[Session]:
    """One transaction for one CLI command; audit records name the operating-system user."""
    factory = make_session_factory(cli_engine())
    with factory() as session, session.begin():
        set_actor(session, actor=f"cli:{getpass.getuser()}", role="cli", source_ip="local")
        yield session
