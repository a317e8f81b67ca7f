"""Pure rules of data sources: which drivers, which field values, and how a connection is
spelled (URL, driver arguments, time limits, read-only). No session, no I/O.

The fields end up in a libpq conninfo or a MySQL handshake, where a value that carries ``=``,
``/``, ``?`` or spaces can turn into extra options (``host=/socket``, ``sslkey=<file>``,
``passfile=``, ``service=``; libpq even expands a ``dbname`` holding ``=`` into a whole
connection string). So host, database and user take plain names only, and the URL is built
here with :meth:`sqlalchemy.engine.URL.create`, never parsed from text a client sent.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from sqlalchemy.engine import URL

from citybrain.core.errors import PermissionDenied
from citybrain.core.outbound import IPAddress


class Driver(StrEnum):
    """Network database servers only: never a file-backed engine (SQLite, DuckDB), which would
    turn a source into a way to read or create files on our own server."""

    postgresql = "postgresql"
    mysql = "mysql"  # MySQL and MariaDB


DRIVER_LABELS: Final = {Driver.postgresql: "PostgreSQL", Driver.mysql: "MySQL / MariaDB"}
DEFAULT_PORTS: Final = {Driver.postgresql: 5432, Driver.mysql: 3306}
_SQLALCHEMY_DRIVERS: Final = {
    Driver.postgresql: "postgresql+psycopg",
    Driver.mysql: "mysql+pymysql",
}

_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*\.?$")
_NAME = re.compile(r"^[\w$-]{1,64}$")  # \w is Unicode: 人口库 is a fine database name
_USER = re.compile(r"^[\w.$-]{1,64}$")
MAX_SECRET = 256


SOCKET_MARGIN_SECONDS = 5
"""How much longer the MySQL client waits on its socket than the server's statement limit."""


class SourceRefused(PermissionDenied):
    """A source definition the platform will not connect to. A 403, so the attempt is
    recorded by the refusal audit (``core/audit/denials.py``)."""


def check_driver(value: str) -> Driver:
    """The driver named ``value``. Raises SourceRefused ``driver_not_allowed``."""
    try:
        return Driver(value)
    except ValueError:
        allowed = "、".join(DRIVER_LABELS.values())
        raise SourceRefused(
            f"不支持的数据库类型“{value}”：只能登记网络数据库（{allowed}），不能使用文件型数据库",
            code="driver_not_allowed",
            detail=value,
        ) from None


def check_host(value: str) -> str:
    """A DNS name or an IP literal, nothing that could carry a socket path, a port, a list of
    hosts or options. Raises SourceRefused ``field_not_allowed``."""
    host = value.strip()
    if "%" in host:  # an IPv6 zone id names one of our own interfaces
        raise _field_refused("host", "主机", value)
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if len(host) <= 253 and _HOSTNAME.match(host) and not host.replace(".", "").isdigit():
        return host.rstrip(".").lower()
    raise _field_refused("host", "主机", value)


def check_database(value: str) -> str:
    """Raises SourceRefused ``field_not_allowed``."""
    if _NAME.match(value):
        return value
    raise _field_refused("database", "数据库名", value)


def check_username(value: str) -> str:
    """Raises SourceRefused ``field_not_allowed``."""
    if _USER.match(value):
        return value
    raise _field_refused("username", "用户名", value)


def check_secret(value: str, driver: Driver) -> str:
    """Any text up to :data:`MAX_SECRET` characters except NUL (which would end a C string
    early); for MySQL only Latin-1 text, which is all its client can send. Raises
    SourceRefused ``field_not_allowed``."""
    if len(value) > MAX_SECRET or "\x00" in value:
        raise SourceRefused(
            f"密码不能超过 {MAX_SECRET} 个字符，也不能含空字符",
            code="field_not_allowed",
            detail="secret",
        )
    if driver is Driver.mysql and not _latin1(value):
        raise SourceRefused(
            "MySQL / MariaDB 的密码只能包含西文字符（不能有汉字）",
            code="field_not_allowed",
            detail="secret",
        )
    return value


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _field_refused(name: str, label: str, value: str) -> SourceRefused:
    return SourceRefused(
        f"{label}“{value[:80]}”不合规：只能是字母、数字、下划线等组成的名称，不能带路径、端口、"
        "参数或多个地址",
        code="field_not_allowed",
        detail=name,
    )


@dataclass(frozen=True, slots=True)
class Limits:
    """How long a source may take: to connect, and per statement."""

    connect_seconds: int = 10
    statement_seconds: int = 600


@dataclass(frozen=True, slots=True)
class ConnectSpec:
    """Everything ``create_engine`` needs, and the statements each new connection runs first."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)
    session_statements: tuple[str, ...] = ()
    mariadb_statements: tuple[str, ...] = ()  # instead of the MySQL-only ones, on MariaDB


def connect_spec(
    *,
    driver: Driver,
    host: str,
    address: IPAddress,
    port: int,
    database: str,
    username: str,
    secret: str,
    limits: Limits,
) -> ConnectSpec:
    """The connection to ``address`` (the checked result of resolving ``host``), read-only and
    time-limited. The name is kept where the protocol wants it (PostgreSQL's TLS and password
    lookup) while the socket goes to ``address``: a second DNS answer cannot redirect it."""
    url = URL.create(
        _SQLALCHEMY_DRIVERS[driver],
        username=username,
        password=secret or None,
        host=host if driver is Driver.postgresql else str(address),
        port=port,
        database=database,
    )
    statement_ms = limits.statement_seconds * 1000
    if driver is Driver.postgresql:
        options = (
            f"-c statement_timeout={statement_ms} -c default_transaction_read_only=on"
            f" -c idle_in_transaction_session_timeout={statement_ms}"
        )
        return ConnectSpec(
            url,
            {
                "hostaddr": str(address),
                "connect_timeout": max(limits.connect_seconds, 2),  # libpq's floor
                "options": options,
                "application_name": "citybrain",
                # Never the server account's ~/.pgpass: a path that cannot exist (libpq
                # warns about /dev/null itself, which is not a plain file).
                "passfile": os.path.join(os.devnull, "none"),
            },
        )
    return ConnectSpec(
        url,
        {
            "connect_timeout": limits.connect_seconds,
            # The server's own statement limit (below) answers first, with a clear error; the
            # socket timeouts are only the backstop for a server that stops answering, so they
            # are longer (equal ones raced it and sometimes won with "Lost connection").
            "read_timeout": limits.statement_seconds + SOCKET_MARGIN_SECONDS,
            "write_timeout": limits.statement_seconds + SOCKET_MARGIN_SECONDS,
            "local_infile": False,  # a hostile server could otherwise ask for our files
            "charset": "utf8mb4",
        },
        session_statements=(
            "SET SESSION TRANSACTION READ ONLY",
            f"SET SESSION max_execution_time = {statement_ms}",
        ),
        mariadb_statements=(
            "SET SESSION TRANSACTION READ ONLY",
            f"SET SESSION max_statement_time = {limits.statement_seconds}",
        ),
    )
