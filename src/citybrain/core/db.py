"""Database engine, the declarative base and the unit of work.

The embedded default is a SQLite file in WAL mode with foreign keys on and a busy timeout; a
PostgreSQL URL works the same. Services ``flush()``; only the unit of work commits.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from citybrain.core.clock import as_utc

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


BEGIN_OPTION = "citybrain_sqlite_begin"
"""Execution option: ``"deferred"`` starts a SQLite transaction as a reader (see
:func:`reading`); anything else, the default, takes the write lock up front."""
LOCK_WAIT_OPTION = "citybrain_sqlite_lock_wait_ms"
"""Execution option: how long a SQLite transaction may wait for the write lock (see
:func:`short_write`); the default is :data:`BUSY_TIMEOUT_MS`."""
BUSY_TIMEOUT_MS = 10_000
_DEFERRED = "citybrain.sqlite_deferred"  # connection.info: a reader that has not written yet
_WAIT = "citybrain.sqlite_busy_timeout"
_WRITER = "citybrain.sqlite_writer"  # connection.info: holds the in-process writer lock
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER")


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    # Python's sqlite3 opens transactions lazily and not before SAVEPOINT, so a savepoint's
    # RELEASE could commit for real; we take transaction control ourselves
    # (see _SqliteTransactions).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    record.info[_WAIT] = BUSY_TIMEOUT_MS


class _SqliteTransactions:
    """How one engine's SQLite connections begin, upgrade and end their transactions.

    A writer begins IMMEDIATE: it takes the write lock up front, so a read-modify-write is
    serialised and never fails late with SQLITE_BUSY_SNAPSHOT. A reader (a GET, see
    core/web.py) begins DEFERRED: in WAL mode it reads a snapshot and blocks nobody.

    Writers of this process queue on an in-process lock before they ask SQLite for its write
    lock. SQLite's own busy handler polls with growing sleeps (up to 100 ms), so under steady
    writes a waiter keeps missing the short gaps between holders and can wait out the whole
    busy timeout; the in-process lock hands over the moment it is released. The busy timeout
    still applies between processes (a CLI command beside the server).
    """

    def __init__(self) -> None:
        self.writer = threading.Lock()

    def listen(self, engine: Engine) -> None:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", self.begin)
        event.listen(engine, "before_cursor_execute", self.upgrade)
        event.listen(engine, "commit", self.end)
        event.listen(engine, "rollback", self.end)
        event.listen(engine.pool, "reset", self.reset)  # a connection returned mid-transaction

    def begin(self, connection: Any) -> None:
        options = connection.get_execution_options()
        info = connection.info  # lives as long as the DBAPI connection, across checkouts
        dbapi = connection.connection.dbapi_connection
        wait = int(options.get(LOCK_WAIT_OPTION, BUSY_TIMEOUT_MS))
        if wait != info.get(_WAIT, BUSY_TIMEOUT_MS):
            dbapi.execute(f"PRAGMA busy_timeout={wait}")
            info[_WAIT] = wait
        deferred = options.get(BEGIN_OPTION) == "deferred"
        info[_DEFERRED] = deferred
        if deferred:
            dbapi.execute("BEGIN")
        else:
            self._begin_immediate(info, dbapi, wait, "BEGIN IMMEDIATE")

    def upgrade(self, connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        """A reader about to write (the audit record of a read of personal data) first ends
        its read snapshot and then waits for the write lock like any writer.

        Upgrading in place would fail at once with SQLITE_BUSY_SNAPSHOT whenever anyone
        committed since the snapshot began, which under load is nearly always. Ending the
        snapshot first is safe because it has written nothing, and it cannot deadlock: while it
        waits for the lock it holds no lock. The price is that its reads and its writes see two
        snapshots, so a read-only request may append (audit) but must not read-modify-write:
        that is what POST, PUT, PATCH and DELETE are for, and they begin IMMEDIATE.
        """
        info = connection.info
        if not info.get(_DEFERRED) or not statement.lstrip()[:9].upper().startswith(_WRITES):
            return
        info[_DEFERRED] = False
        dbapi = connection.connection.dbapi_connection
        dbapi.execute("COMMIT")
        self._begin_immediate(info, dbapi, int(info.get(_WAIT, BUSY_TIMEOUT_MS)), statement)

    def _begin_immediate(self, info: dict[Any, Any], dbapi: Any, wait_ms: int, what: str) -> None:
        if not self.writer.acquire(timeout=wait_ms / 1000):
            raise OperationalError(what, None, sqlite3.OperationalError("database is locked"))
        info[_WRITER] = True
        try:
            dbapi.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            self._release(info)
            raise OperationalError(what, None, exc) from exc

    def _release(self, info: dict[Any, Any]) -> None:
        if info.pop(_WRITER, False):
            self.writer.release()

    def end(self, connection: Any) -> None:
        # Fired just before COMMIT/ROLLBACK: the next writer's BEGIN IMMEDIATE may spin on
        # SQLite's lock for the last millisecond, which the busy handler absorbs.
        connection.info[_DEFERRED] = False
        self._release(connection.info)

    def reset(self, dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        connection_record.info[_DEFERRED] = False
        self._release(connection_record.info)


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        engine = create_engine(url, **kwargs)
        _SqliteTransactions().listen(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_session)
    return engine


def _postgresql_session(dbapi_connection: Any, _record: Any) -> None:
    # A backstop: a transaction left open by a bug is ended by the server instead of holding
    # its locks and its pool slot for ever ("idle in transaction").
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET idle_in_transaction_session_timeout = '60s'")
    dbapi_connection.commit()


def pool_options(url: str, *, size: int, timeout: float = 5.0) -> dict[str, Any]:
    """Engine arguments for the web process: ``size`` connections (one per database slot,
    see core/web.py) and a few more for the health check, the session touch and background
    work, and a short wait for one. In-memory SQLite keeps its single-connection pool."""
    if url.startswith("sqlite") and (
        ":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite:/")
    ):
        return {}
    return {"pool_size": size, "max_overflow": 8, "pool_timeout": timeout}


def make_session_factory(bind: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")


_variants: WeakKeyDictionary[sessionmaker[Session], dict[tuple[tuple[str, Any], ...], Any]] = (
    WeakKeyDictionary()
)


def with_options(factory: sessionmaker[Session], **options: Any) -> sessionmaker[Session]:
    """The same factory on the same engine and pool, its connections carrying ``options``.
    A factory bound to a connection (the test harness) is returned as it is: that connection
    is already inside a transaction, so there is nothing to begin differently."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return factory
    cache = _variants.setdefault(factory, {})
    key = tuple(sorted(options.items()))
    if key not in cache:
        cache[key] = make_session_factory(bind.execution_options(**options))
    variant: sessionmaker[Session] = cache[key]
    return variant


def reading(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions that begin as readers: on SQLite a deferred transaction that takes no lock
    until it writes (see :func:`_sqlite_upgrade`); on PostgreSQL ordinary MVCC anyway."""
    return with_options(factory, **{BEGIN_OPTION: "deferred"})


@contextmanager
def short_write(factory: sessionmaker[Session], *, wait_ms: int = 100) -> Iterator[Session]:
    """A small write in a transaction of its own that waits at most ``wait_ms`` for SQLite's
    write lock and then fails with ``OperationalError`` (database is locked): for book-keeping
    such as the session touch, which would rather be skipped than make a request wait."""
    with with_options(factory, **{LOCK_WAIT_OPTION: wait_ms})() as session, session.begin():
        yield session


_WRITER_FACTORY = "citybrain.writer_factory"


def offer_writer(session: Session, factory: sessionmaker[Session]) -> None:
    """Let code running on a reader ``session`` write in a short transaction of its own
    through ``factory`` (a GET's session, see core/web.py; the audit of a read uses it)."""
    session.info[_WRITER_FACTORY] = factory


def writer_of(session: Session) -> sessionmaker[Session] | None:
    """The factory :func:`offer_writer` left on ``session``, if any."""
    factory = session.info.get(_WRITER_FACTORY)
    return factory if isinstance(factory, sessionmaker) else None


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, then run after-commit hooks."""
    with factory() as session, session.begin():
        yield session
