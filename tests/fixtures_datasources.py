"""Department databases for the tests: a table on the local PostgreSQL and MariaDB, and the
settings that open 127.0.0.1 to data sources (nothing else in the suite reaches loopback).

Not a test module: ingest and datasources tests import these builders."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from citybrain.core.config import Settings
from citybrain.datahub.datasources import service
from citybrain.datahub.datasources.models import Datasource
from citybrain.datahub.datasources.schemas import DatasourceCreate

LOOPBACK = "127.0.0.1/32"
SERVERS: Mapping[str, dict[str, Any]] = {
    "postgresql": {"host": "127.0.0.1", "port": 5432, "database": "test", "username": "postgres"},
    "mysql": {"host": "127.0.0.1", "port": 3306, "database": "test", "username": "root"},
}
_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/test",
}
COLUMNS = ("xm", "sfzh", "xb", "csrq", "lxdh", "xzqh", "dz", "gxrq")


def local_settings(settings: Settings) -> Settings:
    """``settings`` with loopback opened, as an administrator opens a 政务外网 segment."""
    return settings.model_copy(update={"outbound_allowed_networks": LOOPBACK})


@dataclass
class SourceTable:
    """A department table ``rk`` (pinyin columns, ``seq`` grows) on a real server."""

    driver: str
    engine: sa.Engine
    table: sa.Table

    @property
    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"table": self.table.name, "watermark_column": "seq"}
        if self.table.schema:
            options["schema"] = self.table.schema
        return options

    def add(self, rows: list[dict[str, str]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                self.table.insert(), [dict(zip(COLUMNS, r.values(), strict=True)) for r in rows]
            )


def server_engine(driver: str) -> sa.Engine:
    engine = sa.create_engine(_URLS[driver], poolclass=NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.skip(f"{driver} at 127.0.0.1 is unreachable: {exc.orig}")
    return engine


def source_table(driver: str) -> Iterator[SourceTable]:
    """A fresh table (PostgreSQL: in a schema of its own) dropped afterwards."""
    engine = server_engine(driver)
    suffix = uuid.uuid4().hex[:10]
    schema = f"cbsrc_{suffix}" if driver == "postgresql" else None
    name = "rk" if schema else f"cbsrc_rk_{suffix}"
    table = sa.Table(
        name,
        sa.MetaData(schema=schema),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        *(sa.Column(column, sa.String(100)) for column in COLUMNS),
    )
    with engine.begin() as conn:
        if schema:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        table.create(conn)
    try:
        yield SourceTable(driver, engine, table)
    finally:
        with engine.begin() as conn:
            if schema:
                conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
            else:
                table.drop(conn)
        engine.dispose()


def register(
    session: Session,
    settings: Settings,
    driver: str = "postgresql",
    *,
    region_code: str = "620722",
    name: str | None = None,
    **changes: Any,
) -> Datasource:
    """Register the local ``driver`` server through the real service (loopback opened)."""
    fields = {
        "name": name or f"{driver}-{uuid.uuid4().hex[:8]}",
        "driver": driver,
        **SERVERS[driver],
        **changes,
    }
    spec = DatasourceCreate.model_validate(fields)
    source = service.create_source(
        session, spec=spec, region_code=region_code, settings=local_settings(settings)
    )
    session.flush()
    return source
