"""The hub in one DuckDB file (``<home>/hub.duckdb``), the default store.

A hub table ``hub_<code>`` has the resource's item columns (typed) and five system columns:
``_key`` (business key, or its blind index when the key is sensitive), ``_version``,
``_batch_id``, ``_source_row`` and ``_loaded_at`` (UTC). A load is staged in a temporary table
on one connection, then merged in ONE DuckDB transaction; on any error it rolls back and
readers keep seeing the previous data (DuckDB is MVCC: they never see a half merge).

Connections. DuckDB keeps one database instance per file and process; every connection to it
must use the same configuration. Measured with DuckDB 2.0: ``duckdb.connect(path,
read_only=True)`` while a read-write connection to the file is open in the same process fails
("different configuration"), the other order fails the same way, ``SET access_mode`` cannot
change on a running database and ``ATTACH … (READ_ONLY)`` of the same file is refused as a
"unique file handle conflict". A read-only connection would therefore lock writers (ingest in
the same process) out for as long as it is open. So reads use the ordinary connection inside
``BEGIN TRANSACTION READ ONLY`` (DuckDB refuses any write in it) that is rolled back; only a
process that never writes (``backup``'s describe of an archived copy) opens ``read_only``.
Connections are opened per operation and closed right after, so another process (the CLI)
can open the file between operations. Writers in one process are serialised by a lock per file.

Staging goes through Arrow: text columns become Arrow string arrays and DuckDB casts them in
one vectorised ``INSERT … SELECT CAST(…)``.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.analytics.hub.common import (
    HubTableSpec,
    MergeResult,
    check_spec,
    now,
    quote,
    schema_conflict,
    table_conflict,
    table_name,
    wanted_columns,
)
from citybrain.analytics.hub.store import Backend, Params

HUB_FILE_NAME: Final = "hub.duckdb"
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
_LEDGER_READY: set[str] = set()


def _lock_for(path: Path) -> threading.Lock:
    key = str(path.resolve())
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class DuckHubStore:
    """The hub file at ``path``; cheap to construct, opens DuckDB only per operation."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def backend(self) -> Backend:
        return "duckdb"

    def describe(self) -> str:
        return str(self.path)

    def close(self) -> None:
        """Nothing stays open between operations."""

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for the block (the file and ledgers are created if missing)."""
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

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside a read-only transaction (see the module doc), rolled back after."""
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION READ ONLY")
            try:
                yield con
            finally:
                con.execute("ROLLBACK")

    def query(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        with self.reading() as con:
            return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()

    def table_exists(self, resource_code: str) -> bool:
        with self.reading() as con:
            return _exists(con, table_name(resource_code))

    def count(self, resource_code: str) -> int:
        table = table_name(resource_code)
        with self.reading() as con:
            if not _exists(con, table):
                return 0
            row = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()  # noqa: S608 - quoted identifier
            return int(row[0]) if row else 0

    def key_set(self, resource_code: str) -> set[str]:
        table = table_name(resource_code)
        with self.reading() as con:
            if not _exists(con, table):
                return set()
            rows = con.execute(f"SELECT _key FROM {quote(table)}").fetchall()  # noqa: S608 - quoted identifier
            return {str(row[0]) for row in rows}

    def columns(self, resource_code: str) -> list[str]:
        with self.reading() as con:
            return list(_present(con, table_name(resource_code)))

    def read_rows(
        self,
        resource_code: str,
        columns: Sequence[str],
        *,
        keys: Collection[str] | None = None,
        batch_id: int | None = None,
    ) -> list[tuple[Any, ...]]:
        table = table_name(resource_code)
        select = ", ".join(quote(c) for c in columns)
        sql = f"SELECT {select} FROM {quote(table)}"  # noqa: S608 - quoted identifiers
        with self.reading() as con:
            if not _exists(con, table) or (keys is not None and not keys):
                return []
            if keys is not None:
                con.register("__cb_keys", pa.table({"_key": pa.array(list(keys), pa.string())}))
                sql += " WHERE _key IN (SELECT _key FROM __cb_keys)"
                return con.execute(sql + " ORDER BY _key").fetchall()
            if batch_id is not None:
                return con.execute(
                    sql + " WHERE _batch_id = ? ORDER BY _key", [batch_id]
                ).fetchall()
            return con.execute(sql + " ORDER BY _key").fetchall()

    def tables(self) -> list[str]:
        with self.reading() as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
                " AND table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
        return [str(r[0]) for r in rows]

    @contextmanager
    def staging(self, spec: HubTableSpec) -> Iterator[DuckStaging]:
        check_spec(spec)
        with self.connect() as con:
            with _lock_for(self.path):
                _ensure_table(con, spec)
            yield DuckStaging(self, con, spec)


class DuckStaging:
    """Staged rows in a temporary table of the store's connection."""

    def __init__(self, store: DuckHubStore, con: duckdb.DuckDBPyConnection, spec: HubTableSpec):
        self._store = store
        self._con = con
        self._spec = spec
        self.rows = 0
        self._name = "stage_load"
        defs = [f"{quote(c.name)} {c.type}" for c in spec.columns]
        defs += ["_key VARCHAR", f"_version {spec.version_type}", "_source_row BIGINT"]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {self._name} ({', '.join(defs)})")

    def append(self, columns: Mapping[str, Sequence[str | None]]) -> None:
        """A text that does not cast raises ``duckdb.ConversionException``."""
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
        con, table = self._con, quote(self._spec.table)
        with _lock_for(self._store.path):
            con.begin()
            try:
                row = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM _hub_load").fetchone()
                seq = int(row[0]) if row else 1
                fill = f"UPDATE {self._name} SET _version = ? WHERE _version IS NULL"  # noqa: S608
                con.execute(fill, [seq])
                updated = _delete_superseded(con, table, self._name)
                written = _insert_staged(con, table, self._name, self._spec, batch_id)
                con.execute(
                    "INSERT INTO _hub_load VALUES (?, ?, ?, ?, ?)",
                    [seq, self._spec.resource_code, batch_id, written, now()],
                )
                con.commit()
            except BaseException:
                con.rollback()
                raise
        return MergeResult(self.rows, written - updated, updated, self.rows - written, seq)


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
    ).fetchall()  # all: DuckDB 2 refuses register() while a result is unfinished
    return bool(row and row[0][0])


def _present(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return {str(name): str(type_) for name, type_ in rows}


def _ensure_table(con: duckdb.DuckDBPyConnection, spec: HubTableSpec) -> None:
    table = spec.table
    found = con.execute("SELECT resource_code FROM _hub_table WHERE table_name = ?", [table])
    owner = found.fetchone()
    if owner is not None and owner[0] != spec.resource_code:
        raise table_conflict(spec, str(owner[0]))
    wanted = wanted_columns(spec)
    if not _exists(con, table):
        defs = ", ".join(f"{quote(n)} {t}" for n, t in wanted.items())
        con.execute(f"CREATE TABLE {quote(table)} ({defs})")
        con.execute("INSERT INTO _hub_table VALUES (?, ?, ?)", [table, spec.resource_code, now()])
        return
    present = _present(con, table)
    for name, type_ in wanted.items():
        if name not in present:
            con.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {type_}")
        elif present[name] != type_:
            raise schema_conflict(table, name, present[name], type_)
    if owner is None:
        con.execute("INSERT INTO _hub_table VALUES (?, ?, ?)", [table, spec.resource_code, now()])


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
        [batch_id, now()],
    ).fetchone()
    return int(row[0]) if row else 0
