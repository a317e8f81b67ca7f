"""The hub store: one DuckDB file (``<home>/hub.duckdb``), one table per catalog resource.

A hub table ``hub_<code>`` has the resource's item columns (typed) and five system columns:
``_key`` (business key, or its blind index when the key is sensitive), ``_version`` (the record
version), ``_batch_id`` (ingest batch), ``_source_row`` (row in the source) and ``_loaded_at``
(UTC). Invariants:

- A load is staged first (a temporary table on one connection), then merged in ONE DuckDB
  transaction: rows whose key is new are inserted, rows whose ``_version`` is strictly greater
  than the stored one replace it, all others are skipped. On any error the transaction rolls
  back and readers keep seeing the previous data (DuckDB is MVCC: they never see a half merge).
- Resources without a version item get the hub's load sequence as version, taken inside the
  merge transaction from ``_hub_load``, so later loads win even if operational ids are reused.
- Writers in one process are serialised by a lock per file. DuckDB lets one process at a time
  open the file for writing, so connections are opened per operation and closed right after.
- Staging goes through Arrow (pyarrow): text columns become Arrow string arrays and DuckDB casts
  them in one vectorised ``INSERT … SELECT CAST(…)``; ``executemany`` would cost a round trip
  per row and a temporary CSV a second parse of the data.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.errors import InvalidState

HUB_FILE_NAME: Final = "hub.duckdb"
HUB_TYPES: Final = frozenset({"VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN"})
SYSTEM_COLUMNS: Final = ("_key", "_version", "_batch_id", "_source_row", "_loaded_at")
_UNSAFE = re.compile(r"[^0-9a-z_]+")
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_LEDGER_READY: set[str] = set()


@dataclass(frozen=True, slots=True)
class HubColumn:
    name: str
    type: str  # one of HUB_TYPES


@dataclass(frozen=True, slots=True)
class HubTableSpec:
    """The shape of one resource's hub table (item columns in order, without system columns)."""

    resource_code: str
    columns: tuple[HubColumn, ...]
    version_type: str = "BIGINT"

    @property
    def table(self) -> str:
        return table_name(self.resource_code)


@dataclass(frozen=True, slots=True)
class MergeResult:
    staged: int
    inserted: int  # keys that were new
    updated: int  # keys whose stored record was older and got replaced
    skipped: int  # rows whose stored record had an equal or newer version
    load_seq: int


def hub_path(settings: Settings | None = None) -> Path:
    """Where the hub file lives: ``<home>/hub.duckdb``."""
    return (settings or get_settings()).home / HUB_FILE_NAME


def table_name(resource_code: str) -> str:
    """``hub_`` + the resource code lower-cased with every run of other characters as ``_``."""
    safe = _UNSAFE.sub("_", resource_code.strip().lower()).strip("_")
    if not safe:
        raise InvalidState(f"资源代码无法用作表名: {resource_code!r}", code="bad_resource_code")
    return f"hub_{safe}"


def quote(identifier: str) -> str:
    """A DuckDB identifier in double quotes (embedded quotes doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


def _lock_for(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class HubStore:
    """The hub file at ``path``; cheap to construct, opens DuckDB only per operation."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for the length of the block (the file is created when missing)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        con = duckdb.connect(str(self.path))
        try:
            key = str(self.path.resolve())
            if not existed or key not in _LEDGER_READY:  # not on every read of a known file
                with _lock_for(self.path):
                    _ensure_ledger(con)
                _LEDGER_READY.add(key)
            yield con
        finally:
            con.close()

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of one SQL statement (DuckDB dialect) with ``?`` or ``$name`` parameters."""
        with self.connect() as con:
            return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()

    def table_exists(self, resource_code: str) -> bool:
        with self.connect() as con:
            return _exists(con, table_name(resource_code))

    def count(self, resource_code: str) -> int:
        """Rows of the resource's hub table; 0 when nothing was ever loaded."""
        with self.connect() as con:
            table = table_name(resource_code)
            if not _exists(con, table):
                return 0
            row = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()  # noqa: S608 - quoted identifier
            return int(row[0]) if row else 0

    def key_set(self, resource_code: str) -> set[str]:
        """All ``_key`` values of a resource (for reference checks); empty when no table."""
        with self.connect() as con:
            table = table_name(resource_code)
            if not _exists(con, table):
                return set()
            rows = con.execute(f"SELECT _key FROM {quote(table)}").fetchall()  # noqa: S608 - quoted identifier
            return {str(row[0]) for row in rows}

    @contextmanager
    def staging(self, spec: HubTableSpec) -> Iterator[Staging]:
        """A staging area for one load; it vanishes with the connection at the end of the block.

        The hub table is created (or widened by new nullable columns) first; a column whose type
        changed raises ``InvalidState`` (``hub_schema_conflict``) before anything is staged.
        """
        _check_spec(spec)
        with self.connect() as con:
            with _lock_for(self.path):
                _ensure_table(con, spec)
            yield Staging(self, con, spec)


class Staging:
    """Rows of one load, typed like the hub table, held in a temporary table until ``merge``."""

    def __init__(self, store: HubStore, con: duckdb.DuckDBPyConnection, spec: HubTableSpec):
        self._store = store
        self._con = con
        self._spec = spec
        self.rows = 0
        self._name = "stage_load"
        defs = [f"{quote(c.name)} {c.type}" for c in spec.columns]
        defs += ["_key VARCHAR", f"_version {spec.version_type}", "_source_row BIGINT"]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {self._name} ({', '.join(defs)})")

    def append(self, columns: Mapping[str, Sequence[str | None]]) -> None:
        """Add rows given as text columns (item columns, ``_key``, ``_version``, ``_source_row``).

        Texts must already be canonical for their type (ISO dates, ``true``/``false``); a text
        that does not cast raises ``duckdb.ConversionException``.
        """
        names = [c.name for c in self._spec.columns] + ["_key", "_version", "_source_row"]
        chunk = pa.table({name: pa.array(columns[name], pa.string()) for name in names})
        if chunk.num_rows == 0:
            return
        types = {c.name: c.type for c in self._spec.columns}
        types.update(_key="VARCHAR", _version=self._spec.version_type, _source_row="BIGINT")
        select = ", ".join(f"CAST({quote(n)} AS {types[n]})" for n in names)
        self._con.register("stage_chunk", chunk)
        try:
            self._con.execute(f"INSERT INTO {self._name} SELECT {select} FROM stage_chunk")  # noqa: S608 - quoted identifiers
        finally:
            self._con.unregister("stage_chunk")
        self.rows += chunk.num_rows

    def merge(self, *, batch_id: int) -> MergeResult:
        """Merge the staged rows into the hub table in one transaction (see the module doc)."""
        con, table = self._con, quote(self._spec.table)
        with _lock_for(self._store.path):
            con.begin()
            try:
                seq = _next_load_seq(con)
                fill = f"UPDATE {self._name} SET _version = ? WHERE _version IS NULL"  # noqa: S608
                con.execute(fill, [seq])
                updated = _delete_superseded(con, table, self._name)
                written = _insert_staged(con, table, self._name, self._spec, batch_id)
                con.execute(
                    "INSERT INTO _hub_load VALUES (?, ?, ?, ?, ?)",
                    [seq, self._spec.resource_code, batch_id, written, _now()],
                )
                con.commit()
            except BaseException:
                con.rollback()
                raise
        inserted = written - updated
        return MergeResult(self.rows, inserted, updated, self.rows - written, seq)


def _now() -> Any:
    return utcnow().replace(tzinfo=None)  # TIMESTAMP columns hold UTC without a zone


def _ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE TABLE IF NOT EXISTS _hub_table (table_name VARCHAR PRIMARY KEY,"
        " resource_code VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)"
    )
    con.execute(
        "CREATE TABLE IF NOT EXISTS _hub_load (seq BIGINT PRIMARY KEY, resource_code VARCHAR,"
        " batch_id BIGINT, rows_written BIGINT, loaded_at TIMESTAMP)"
    )


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_name = ? AND table_schema = 'main'",
        [table],
    ).fetchone()
    return bool(row and row[0])


def _check_spec(spec: HubTableSpec) -> None:
    names = [c.name for c in spec.columns]
    for column in spec.columns:
        if column.type not in HUB_TYPES:
            raise InvalidState(f"不支持的列类型 {column.type}", code="hub_bad_type")
        if column.name.startswith("_") or not column.name:
            raise InvalidState(f"列名不能以下划线开头: {column.name}", code="hub_bad_column")
    if len(set(names)) != len(names) or spec.version_type not in HUB_TYPES:
        raise InvalidState("资源的数据项列名重复或版本类型无效", code="hub_bad_column")


def _ensure_table(con: duckdb.DuckDBPyConnection, spec: HubTableSpec) -> None:
    table = spec.table
    owner = con.execute(
        "SELECT resource_code FROM _hub_table WHERE table_name = ?", [table]
    ).fetchone()
    if owner is not None and owner[0] != spec.resource_code:
        raise InvalidState(
            f"资源 {spec.resource_code} 与 {owner[0]} 映射到同一张中枢表 {table}",
            code="hub_table_conflict",
            detail={"table": table, "owner": owner[0]},
        )
    wanted = {c.name: c.type for c in spec.columns}
    wanted.update(
        _key="VARCHAR",
        _version=spec.version_type,
        _batch_id="BIGINT",
        _source_row="BIGINT",
        _loaded_at="TIMESTAMP",
    )
    if not _exists(con, table):
        defs = ", ".join(f"{quote(n)} {t}" for n, t in wanted.items())
        con.execute(f"CREATE TABLE {quote(table)} ({defs})")
        con.execute("INSERT INTO _hub_table VALUES (?, ?, ?)", [table, spec.resource_code, _now()])
        return
    present = dict(
        con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = ? AND table_schema = 'main'",
            [table],
        ).fetchall()
    )
    for name, type_ in wanted.items():
        if name not in present:
            con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {type_}")
        elif present[name] != type_:
            raise InvalidState(
                f"中枢表 {table} 的列 {name} 类型为 {present[name]}，目录要求 {type_}",
                code="hub_schema_conflict",
                detail={"table": table, "column": name, "stored": present[name], "wanted": type_},
            )
    if owner is None:
        con.execute("INSERT INTO _hub_table VALUES (?, ?, ?)", [table, spec.resource_code, _now()])


def _next_load_seq(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM _hub_load").fetchone()
    return int(row[0]) if row else 1


def _delete_superseded(con: duckdb.DuckDBPyConnection, table: str, stage: str) -> int:
    """Delete stored records that a staged record of a strictly greater version replaces."""
    row = con.execute(
        f"DELETE FROM {table} WHERE _key IN (SELECT s._key FROM {stage} s"  # noqa: S608
        f" JOIN {table} h ON h._key = s._key GROUP BY s._key"
        " HAVING max(s._version) > max(h._version))"
    ).fetchone()
    return int(row[0]) if row else 0


def _insert_staged(
    con: duckdb.DuckDBPyConnection, table: str, stage: str, spec: HubTableSpec, batch_id: int
) -> int:
    """Insert the newest staged record of every key the hub table does not hold (any more)."""
    items = ", ".join(quote(c.name) for c in spec.columns)
    row = con.execute(
        f"INSERT INTO {table} ({items}, _key, _version, _batch_id, _source_row, _loaded_at)"  # noqa: S608
        f" SELECT {items}, _key, _version, ?, _source_row, ? FROM ("
        f"  SELECT * FROM {stage} QUALIFY row_number() OVER"
        "   (PARTITION BY _key ORDER BY _version DESC, _source_row DESC) = 1) s"
        f" WHERE NOT EXISTS (SELECT 1 FROM {table} h WHERE h._key = s._key)",
        [batch_id, _now()],
    ).fetchone()
    return int(row[0]) if row else 0


# --- module-level reads for other modules ---------------------------------------------------


def default_store(settings: Settings | None = None) -> HubStore:
    """The store of the running installation (``hub_path(settings)``)."""
    return HubStore(hub_path(settings))


def query(
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    *,
    store: HubStore | None = None,
) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` against the hub (see :meth:`HubStore.query`)."""
    return (store or default_store()).query(sql, params)


def count(resource_code: str, *, store: HubStore | None = None) -> int:
    """Rows currently held for ``resource_code`` (0 when never loaded)."""
    return (store or default_store()).count(resource_code)
