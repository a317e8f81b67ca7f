"""What every CLI command needs: settings, an engine and a unit of work acting as the CLI."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citybrain.core.config import Settings, get_settings
from citybrain.core.context import set_actor
from citybrain.core.db import make_engine, make_session_factory

console = Console()
err_console = Console(stderr=True)


@lru_cache(maxsize=1)
def cli_engine() -> Engine:
    settings = get_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.resolved_database_url)


def settings() -> Settings:
    return get_settings()


@contextmanager
def cli_session() -> Iterator[Session]:
    """One transaction for one CLI command; audit records name the operating-system user."""
    factory = make_session_factory(cli_engine())
    with factory() as session, session.begin():
        set_actor(session, actor=f"cli:{getpass.getuser()}", role="cli", source_ip="local")
        yield session
