"""Where an indicator's SQL runs: the engine interface and its DuckDB and SQLAlchemy forms.

An engine takes SQL already in its dialect (``sqlcheck.to_dialect``), runs it read-only within
a time limit, and answers columns and rows. Errors come back as :class:`EngineFailure` with a
stable code; the engine's own message is kept as ``internal`` (shown to operators only).

- :func:`hub_engine` picks the engine of the hub store: :class:`HubEngine` for the DuckDB file,
  :class:`SqlEngine` on the store's engine with ``search_path`` = the hub schema when the hub is
  in PostgreSQL (the SQL is then transpiled to ``postgres`` like for a registered source).
- :class:`HubEngine` reads the hub (DuckDB). DuckDB lets a process hold a file in one
  configuration only, and ingest writes the hub in the same process, so the connection is the
  hub's ordinary one and the statement runs in a ``BEGIN TRANSACTION READ ONLY`` that is rolled
  back; the time limit interrupts the connection.
- :class:`SqlEngine` runs on a SQLAlchemy engine: a registered data source (opened only by
  ``datasources.service.open_source_engine``) or a PostgreSQL schema holding hub tables. On
  PostgreSQL the transaction is read-only with a ``statement_timeout``.
- Spark SQL: :class:`citybrain.indicators.spark.SparkEngine` (its own module, because PySpark
  is optional), chosen for hub indicators when ``CITYBRAIN_INDICATORS_SPARK_MASTER`` is set.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import sqlalchemy as sa

from citybrain.analytics.hub import DuckHubStore, HubStore


@dataclass(frozen=True, slots=True)
class ResultSet:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    elapsed_ms: int


class EngineFailure(Exception):
    """A run that the engine refused or could not finish. ``code``: ``timeout``,
    ``division_by_zero``, ``hub_table_missing``, ``engine_error``."""

    def __init__(self, code: str, message: str, *, internal: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.internal = internal[:4000]


class IndicatorEngine(Protocol):
    name: str  # shown in the run log: duckdb, postgresql, spark
    dialect: str  # sqlglot dialect the SQL must be in

    def execute(self, sql: str, *, timeout_seconds: float) -> ResultSet: ...

    def close(self) -> None: ...


def timeout_failure(seconds: float, internal: str = "") -> EngineFailure:
    return EngineFailure("timeout", f"运行超过时间限制 ({seconds:g} 秒), 已中止", internal=internal)


def division_failure(internal: str = "") -> EngineFailure:
    return EngineFailure("division_by_zero", "计算中出现除以零", internal=internal)


@contextlib.contextmanager
def statement_watchdog(seconds: float, cancel: Callable[[], object]) -> Iterator[threading.Event]:
    """Call ``cancel`` if the block is still running after ``seconds``; the event tells whether
    it fired. A watchdog, not background work: engines without a statement timeout of their own
    (DuckDB, Spark) are stopped by it, and its timer thread ends with the statement."""
    fired = threading.Event()

    def fire() -> None:
        fired.set()
        cancel()

    timer = threading.Timer(seconds, fire)
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


class HubEngine:
    """The hub (DuckDB), read in a read-only transaction. The connection is opened at the first
    statement and kept until :meth:`close` (opening the file costs tens of milliseconds), so a
    caller running several indicators closes the engine when done."""

    name = "duckdb"
    dialect = "duckdb"

    def __init__(self, store: DuckHubStore) -> None:
        self.store = store
        self._stack: contextlib.ExitStack | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()
        self._stack = self._con = None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._stack = contextlib.ExitStack()
            self._con = self._stack.enter_context(self.store.connect())
        return self._con

    def execute(self, sql: str, *, timeout_seconds: float) -> ResultSet:
        started = time.perf_counter()
        con = self._connection()
        con.execute("BEGIN TRANSACTION READ ONLY")
        try:
            # DuckDB has no statement timeout: the limit interrupts the connection
            with statement_watchdog(timeout_seconds, con.interrupt):
                cursor = con.execute(sql)
                columns = tuple(str(d[0]).lower() for d in cursor.description or ())
                rows = cursor.fetchall()
        except duckdb.InterruptException as exc:
            raise timeout_failure(timeout_seconds, str(exc)) from exc
        except duckdb.CatalogException as exc:
            if "does not exist" in str(exc) and "Table" in str(exc):
                raise EngineFailure(
                    "hub_table_missing", "所读的中枢表还没有数据 (资源尚未归集)", internal=str(exc)
                ) from exc
            raise EngineFailure("engine_error", "查询执行失败", internal=str(exc)) from exc
        except duckdb.Error as exc:
            if "Division by zero" in str(exc):
                raise division_failure(str(exc)) from exc
            raise EngineFailure("engine_error", "查询执行失败", internal=str(exc)) from exc
        finally:
            # an interrupted statement may have ended the transaction already
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
        return ResultSet(columns, rows, int((time.perf_counter() - started) * 1000))


_PG_CODES = {
    "57014": "timeout",  # query_canceled (statement_timeout)
    "22012": "division_by_zero",
    "42P01": "hub_table_missing",  # undefined_table
}


class SqlEngine:
    """A SQLAlchemy engine (PostgreSQL), in a read-only transaction with a statement limit.
    ``schema``: where the indicator's tables are (``search_path``); None keeps the default."""

    name = "postgresql"
    dialect = "postgres"

    def __init__(self, engine: sa.Engine, *, schema: str | None = None, owned: bool = True) -> None:
        if engine.dialect.name != "postgresql":
            raise EngineFailure(
                "engine_not_supported",
                f"指标暂不支持在 {engine.dialect.name} 数据源上运行 (仅 PostgreSQL)",
            )
        self.engine = engine
        self.schema = schema
        self.owned = owned  # False: the engine is someone else's (the hub store's), kept open

    def close(self) -> None:
        if self.owned:
            self.engine.dispose()

    def execute(self, sql: str, *, timeout_seconds: float) -> ResultSet:
        started = time.perf_counter()
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000)}")
                if self.schema:
                    conn.execute(
                        sa.text("SELECT set_config('search_path', :s, true)"), {"s": self.schema}
                    )
                result = conn.exec_driver_sql(sql)
                columns = tuple(str(c).lower() for c in list(result.keys()))
                rows = [tuple(row) for row in result.fetchall()]
                conn.rollback()
        except sa.exc.DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None) or ""
            code = _PG_CODES.get(state, "engine_error")
            internal = str(exc.orig or exc).strip()
            if code == "timeout":
                raise timeout_failure(timeout_seconds, internal) from exc
            if code == "division_by_zero":
                raise division_failure(internal) from exc
            if code == "hub_table_missing":
                raise EngineFailure(
                    "hub_table_missing", "所读的表不存在", internal=internal
                ) from exc
            raise EngineFailure("engine_error", "查询执行失败", internal=internal) from exc
        return ResultSet(columns, rows, int((time.perf_counter() - started) * 1000))


def hub_engine(store: HubStore) -> IndicatorEngine:
    """The engine that runs indicator SQL where ``store`` keeps the hub."""
    from citybrain.analytics.hub.pg import PgHubStore

    if isinstance(store, PgHubStore):
        return SqlEngine(store.engine, schema=store.schema, owned=False)
    if isinstance(store, DuckHubStore):
        return HubEngine(store)
    raise EngineFailure("engine_not_supported", f"不支持的中枢库: {store.backend}")
