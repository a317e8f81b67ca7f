"""Spark SQL as an indicator engine, for a province that outgrows one machine.

The same checked definition, translated by sqlglot to the ``spark`` dialect, runs through
``SparkSession.sql``. Spark does not read the hub itself, so the tables an indicator reads are
handed to it as Parquet: :func:`export_hub_tables` copies them out of the hub (one ``COPY … TO``
each), and :class:`SparkEngine` registers each file as a temporary view under the table's name.
On a cluster the Parquet directory must be one the executors can read (a shared mount or an
object store path), which is why it is a parameter and not a temporary directory of our own.

Time limits: every statement runs under its own job group, and ``engines.statement_watchdog``
cancels that group (``SparkContext.cancelJobGroup``) when the limit passes, as it interrupts the
DuckDB engine's connection. Spark 4 runs with ANSI mode on, so a division by zero is an error as on
PostgreSQL, and it is reported with the same ``division_by_zero`` code.

PySpark is an optional dependency (``pip install 'citybrain[spark]'``, Java 17); importing this
module without it fails only when a session is asked for.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from citybrain.analytics.hub import DuckHubStore, HubStore, quote
from citybrain.indicators.engines import (
    EngineFailure,
    ResultSet,
    division_failure,
    statement_watchdog,
    timeout_failure,
)

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark is optional
    from pyspark.sql import SparkSession

_LOCAL_CONFIG: Mapping[str, str] = {
    "spark.ui.enabled": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.ansi.enabled": "true",
}


def spark_session(master: str = "local[2]", *, app_name: str = "citybrain-indicators") -> Any:
    """The process's Spark session (Spark keeps one per JVM; ``getOrCreate`` returns it).
    ``master``: ``local[N]`` or a cluster URL such as ``spark://host:7077``. Raises
    EngineFailure ``engine_not_installed`` when PySpark is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise EngineFailure(
            "engine_not_installed", "未安装 Spark 引擎 (pyspark)", internal=str(exc)
        ) from exc
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in _LOCAL_CONFIG.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def export_hub_tables(store: HubStore, tables: Iterable[str], directory: Path) -> dict[str, str]:
    """Copy each hub table in ``tables`` to ``directory/<table>.parquet``; answers name → path.
    Raises EngineFailure ``hub_table_missing`` for a table the hub does not hold."""
    if not isinstance(store, DuckHubStore):  # the PostgreSQL hub has no COPY … TO parquet
        raise EngineFailure(
            "engine_not_supported", "Spark 指标暂只支持 DuckDB 中枢库", internal=store.describe()
        )
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, str] = {}
    with store.connect() as con:
        for table in sorted(set(tables)):
            target = directory / f"{table}.parquet"
            try:
                con.execute(f"COPY {quote(table)} TO '{target}' (FORMAT parquet)")
            except Exception as exc:  # duckdb.CatalogException: the table is not in the hub
                raise EngineFailure(
                    "hub_table_missing", "所读的中枢表还没有数据 (资源尚未归集)", internal=str(exc)
                ) from exc
            paths[table] = str(target)
    return paths


def _failure(exc: Exception) -> EngineFailure:
    text = str(exc)
    if "DIVIDE_BY_ZERO" in text or "Division by zero" in text:
        return division_failure(text)
    if "TABLE_OR_VIEW_NOT_FOUND" in text:
        return EngineFailure("hub_table_missing", "所读的表不存在", internal=text)
    return EngineFailure("engine_error", "查询执行失败", internal=text)


class SparkEngine:
    """Spark SQL over Parquet views. The views are registered at the first statement; the
    session is the process's and is not stopped by :meth:`close` (starting one costs seconds)."""

    name = "spark"
    dialect = "spark"

    def __init__(self, spark: SparkSession, *, views: Mapping[str, str]) -> None:
        self.spark = spark
        self.views = dict(views)
        self._registered = False

    def close(self) -> None:
        for name in self.views:
            self.spark.catalog.dropTempView(name)
        self._registered = False

    def _register(self) -> None:
        if not self._registered:
            for name, path in self.views.items():
                self.spark.read.parquet(path).createOrReplaceTempView(name)
            self._registered = True

    def execute(self, sql: str, *, timeout_seconds: float) -> ResultSet:
        started = time.perf_counter()
        context = self.spark.sparkContext
        group = f"citybrain-{uuid.uuid4().hex}"
        cancelled = threading.Event()
        try:
            self._register()
            context.setJobGroup(group, "citybrain indicator", interruptOnCancel=True)
            with statement_watchdog(
                timeout_seconds, lambda: context.cancelJobGroup(group)
            ) as fired:
                cancelled = fired
                frame = self.spark.sql(sql)
                columns = tuple(str(name).lower() for name in frame.columns)
                rows = [tuple(row) for row in frame.collect()]
        except Exception as exc:  # pyspark raises its own hierarchy (AnalysisException, …)
            if cancelled.is_set():
                raise timeout_failure(timeout_seconds, str(exc)) from exc
            raise _failure(exc) from exc
        if cancelled.is_set():  # finished while being cancelled: past its limit all the same
            raise timeout_failure(timeout_seconds)
        return ResultSet(columns, rows, int((time.perf_counter() - started) * 1000))


__all__ = ["SparkEngine", "export_hub_tables", "spark_session"]
