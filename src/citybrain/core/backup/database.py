"""The operational database in and out of an archive, and the digests that prove a restore.

- SQLite: ``sqlite3.Connection.backup`` in ONE step (``pages=-1``): the copy is read inside one
  read transaction, so it is the database as of one commit, while writers go on (WAL). Copying
  in several steps would restart whenever another connection writes, and might never finish on
  a busy installation.
- PostgreSQL: a ``REPEATABLE READ`` transaction exports its snapshot; ``pg_dump --snapshot``
  dumps the installation's schema from exactly that snapshot while the same transaction counts
  and digests the tables, so the manifest describes the dump and nothing later.
- A table digest is the SHA-256 of its rows in primary-key order, each row as canonical JSON of
  the values the driver returns; it is compared between the same kind of database only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from citybrain.core.backup.archive import Progress
from citybrain.core.errors import BadInput, InvalidState

SQLITE_MEMBER: Final = "database/citybrain.db"
PG_MEMBER: Final = "database/citybrain.pgdump"


@dataclass(frozen=True, slots=True)
class Snapshot:
    backend: str  # "sqlite" | "postgresql"
    schema: str | None
    revision: str | None  # alembic revision of the copy
    server_version: str
    tables: dict[str, dict[str, Any]]  # name -> {"rows": n, "sha256": hex}


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BadInput(f"不支持备份该数据库: {name}", code="backup_unsupported_database")
    return name


# --- digests ----------------------------------------------------------------------------------


def table_digests(
    connection: Connection, *, schema: str | None = None, progress: Progress | None = None
) -> dict[str, dict[str, Any]]:
    """Rows and SHA-256 of every table of ``schema`` as ``connection`` sees it now.

    Rows are read through the DB-API cursor of the same connection (so inside its transaction)
    and hashed as ``repr`` of the driver's tuple, which is deterministic for the types drivers
    return; going through SQLAlchemy rows and JSON cost two to three times as much."""
    inspector = inspect(connection)
    quote = connection.dialect.identifier_preparer.quote
    names = sorted(inspector.get_table_names(schema=schema))
    prefix = f"{quote(schema)}." if schema else ""
    # PostgreSQL: a server-side cursor, or the driver would hold a whole table in memory
    server_side = connection.dialect.name == "postgresql"
    result: dict[str, dict[str, Any]] = {}
    for done, name in enumerate(names, 1):
        cursor = connection.connection.cursor(*(["citybrain_digest"] if server_side else []))
        try:
            columns = [c["name"] for c in inspector.get_columns(name, schema=schema)]
            pk = inspector.get_pk_constraint(name, schema=schema)["constrained_columns"]
            cursor.execute(
                f"SELECT {', '.join(quote(c) for c in columns)} FROM {prefix}{quote(name)}"  # noqa: S608 - quoted identifiers
                f" ORDER BY {', '.join(quote(c) for c in (pk or columns))}"
            )
            digest, rows = hashlib.sha256(), 0
            while batch := cursor.fetchmany(5000):
                digest.update("\n".join(repr(tuple(row)) for row in batch).encode())
                digest.update(b"\n")
                rows += len(batch)
        finally:
            cursor.close()
        result[name] = {"rows": rows, "sha256": digest.hexdigest()}
        if progress:
            progress("digest", done, len(names))
    return result


def _revision(connection: Connection, schema: str | None = None) -> str | None:
    table = f"{schema}.alembic_version" if schema else "alembic_version"
    if not inspect(connection).has_table("alembic_version", schema=schema):
        return None
    return connection.execute(text(f"SELECT version_num FROM {table}")).scalar()  # noqa: S608 - fixed name


# --- SQLite -----------------------------------------------------------------------------------


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BadInput("内存数据库无法备份", code="backup_unsupported_database")
    return Path(database)


def backup_sqlite(url: str, target: Path, *, progress: Progress | None = None) -> Snapshot:
    source = sqlite3.connect(sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(copy, pages=-1)  # one step = one read transaction = one commit's state
    finally:
        copy.close()
        source.close()
    os.chmod(target, 0o600)
    return describe_sqlite(target, progress=progress)


def describe_sqlite(path: Path, *, progress: Progress | None = None) -> Snapshot:
    """Digests of a SQLite file (the backup copy, or a restored database)."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return Snapshot(
                backend="sqlite",
                schema=None,
                revision=_revision(connection),
                server_version=sqlite3.sqlite_version,
                tables=table_digests(connection, progress=progress),
            )
    finally:
        engine.dispose()


def restore_sqlite(member: Path, target: Path) -> None:
    for stale in (
        target,
        target.with_name(target.name + "-wal"),
        target.with_name(target.name + "-shm"),
    ):
        stale.unlink(missing_ok=True)  # a stale WAL beside a restored file would be replayed
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(member, target)
    os.chmod(target, 0o600)


# --- PostgreSQL -------------------------------------------------------------------------------


def libpq_env(url: URL) -> dict[str, str]:
    """The connection as libpq environment variables (a password never appears in argv)."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", str(url.port) if url.port else None),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if isinstance(value, str) and value:
            env[key] = value
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    if shutil.which(args[0]) is None:
        raise InvalidState(
            f"找不到 {args[0]}, 请安装 PostgreSQL 客户端", code="backup_tool_missing"
        )
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - fixed tool, list argv
    if done.returncode != 0:
        raise InvalidState(
            f"{what}失败: {done.stderr.strip()[-500:]}", code="backup_database_tool_failed"
        )
    return done.stdout


def backup_postgres(engine: Engine, target: Path, *, progress: Progress | None = None) -> Snapshot:
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.execute(text("SET LOCAL TIME ZONE 'UTC'"))
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
            version = connection.execute(text("SHOW server_version")).scalar_one()
            args = ["pg_dump", "--format=custom", f"--snapshot={snapshot_id}"]
            args += ["--no-owner", "--no-privileges", f"--schema={schema}", f"--file={target}"]
            dump = subprocess.Popen(  # noqa: S603 - fixed tool, list argv
                args,
                env=libpq_env(engine.url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                tables = table_digests(connection, schema=schema, progress=progress)
                revision = _revision(connection, schema)
            finally:
                _, stderr = dump.communicate()
            if dump.returncode != 0:
                raise InvalidState(
                    f"pg_dump 失败: {stderr.strip()[-500:]}", code="backup_database_tool_failed"
                )
    os.chmod(target, 0o600)
    return Snapshot("postgresql", schema, revision, str(version), tables)


@contextmanager
def schema_engine(url: str, schema: str) -> Iterator[Engine]:
    """An engine whose connections work in ``schema`` (as the restored installation will)."""
    from citybrain.core.db import make_engine

    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()


def schema_tables(url: str, schema: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return len(inspect(connection).get_table_names(schema=schema))
    finally:
        engine.dispose()


def restore_postgres(member: Path, url: str, schema: str, *, replace: bool) -> None:
    """``pg_restore`` the dump into ``url`` in one transaction. The schema is created by the
    dump unless it exists already (empty, e.g. ``public`` of a new database); with
    ``replace`` an existing schema is dropped first."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            exists = connection.execute(
                text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema}
            ).scalar_one()
            if exists and replace:
                quoted = connection.dialect.identifier_preparer.quote(schema)
                connection.execute(text(f"DROP SCHEMA {quoted} CASCADE"))
                exists = 0
    finally:
        engine.dispose()
    env = libpq_env(make_url(url))
    listing = _run(["pg_restore", "--list", str(member)], env, "读取备份目录")
    if exists:  # the schema is there (and empty): restore what is in it, not the schema itself
        listing = "\n".join(
            line
            for line in listing.splitlines()
            if f" SCHEMA - {schema} " not in line and f" COMMENT - SCHEMA {schema} " not in line
        )
    list_file = member.with_name("restore.list")
    list_file.write_text(listing, "utf-8")
    args = ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction"]
    name = make_url(url).database or "postgres"
    args += ["--exit-on-error", f"--use-list={list_file}", f"--dbname={name}"]
    _run([*args, str(member)], env, "pg_restore ")


def describe_postgres(url: str, schema: str, *, progress: Progress | None = None) -> Snapshot:
    engine = create_engine(url)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SET LOCAL TIME ZONE 'UTC'"))
            version = connection.execute(text("SHOW server_version")).scalar_one()
            return Snapshot(
                "postgresql",
                schema,
                _revision(connection, schema),
                str(version),
                table_digests(connection, schema=schema, progress=progress),
            )
    finally:
        engine.dispose()
