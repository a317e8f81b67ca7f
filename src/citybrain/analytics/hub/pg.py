"""The hub in PostgreSQL: its own schema (default ``hub``) of the operational database or of
another one, chosen by ``CITYBRAIN_HUB_URL`` / ``CITYBRAIN_HUB_SCHEMA``.

The tables, ledgers and merge semantics are those of the DuckDB store
(:mod:`citybrain.analytics.hub.duck`): a load is staged in a temporary table of one connection,
filled with ``COPY … FROM STDIN`` (psycopg 3 ``cursor.copy``; PostgreSQL parses the canonical
texts into the column types, a text that does not parse fails the load), then merged by three
set-based statements in one transaction: superseded rows are deleted, the newest staged record
of every key not held is inserted (``DISTINCT ON``), and the load joins ``_hub_load``. Merges
take ``LOCK TABLE _hub_load IN EXCLUSIVE MODE`` so that ``load_seq`` (max + 1) is taken by one
merge at a time across processes; readers are not blocked (MVCC). DDL (ledgers, new tables,
new columns) runs under a transaction-scoped advisory lock per schema.

Connections are opened per operation (``NullPool``): the store keeps nothing open between
operations, so a store built per request, job or command needs no closing. Every connection's
``search_path`` is the hub schema, so the portable SQL of :meth:`query` names tables bare.
Reads run in a ``READ ONLY`` transaction that is rolled back.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

import psycopg
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

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

PG_TYPES: Final = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIMESTAMP": "timestamp without time zone",
    "BOOLEAN": "boolean",
}
HUB_TYPE_OF: Final = {pg: hub for hub, pg in PG_TYPES.items()} | {"character varying": "VARCHAR"}


def pg_placeholders(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (outside quotes), ``%`` doubled."""
    out: list[str] = []
    quote_char = ""
    for char in sql:
        if quote_char:
            if char == quote_char:
                quote_char = ""
        elif char in "'\"":
            quote_char = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class PgHubStore:
    """The hub in schema ``schema`` of the database at ``url`` (a SQLAlchemy psycopg URL)."""

    def __init__(self, url: str, *, schema: str = "hub") -> None:
        self.schema = schema
        self.engine = sa.create_engine(url, poolclass=NullPool)
        if self.engine.dialect.name != "postgresql" or self.engine.dialect.driver != "psycopg":
            raise ValueError("CITYBRAIN_HUB_URL must be postgresql+psycopg://…")
        self._ready = False

    @property
    def backend(self) -> Backend:
        return "postgresql"

    def describe(self) -> str:
        return f"{self.engine.url.render_as_string(hide_password=True)} schema {self.schema}"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection[Any]]:
        """A psycopg connection (not autocommit) whose ``search_path`` is the hub schema."""
        raw = self.engine.raw_connection()
        try:
            con: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
            if not self._ready:
                self._ensure_ledger(con)
            con.execute("SELECT set_config('search_path', %s, false)", [quote(self.schema)])
            con.commit()
            yield con
        finally:
            raw.close()

    @contextmanager
    def reading(self) -> Iterator[psycopg.Connection[Any]]:
        with self.connect() as con:
            con.execute("SET TRANSACTION READ ONLY")
            try:
                yield con
            finally:
                con.rollback()

    def _ensure_ledger(self, con: psycopg.Connection[Any]) -> None:
        with con.transaction():
            con.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", ["citybrain-hub:" + self.schema]
            )
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema)}")
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {quote(self.schema)}._hub_table (table_name text"
                " PRIMARY KEY, resource_code text NOT NULL, created_at timestamp NOT NULL)"
            )
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {quote(self.schema)}._hub_load (seq bigint PRIMARY"
                " KEY, resource_code text, batch_id bigint, rows_written bigint,"
                " loaded_at timestamp)"
            )
        self._ready = True

    def query(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        with self.reading() as con:
            if not params:
                return con.execute(sql).fetchall()
            if isinstance(params, Mapping):
                raise ValueError("the hub's portable SQL takes ? placeholders only")
            return con.execute(pg_placeholders(sql), list(params)).fetchall()

    def table_exists(self, resource_code: str) -> bool:
        with self.reading() as con:
            return self._exists(con, table_name(resource_code))

    def count(self, resource_code: str) -> int:
        table = table_name(resource_code)
        with self.reading() as con:
            if not self._exists(con, table):
                return 0
            row = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()  # noqa: S608 - quoted identifier
            return int(row[0]) if row else 0

    def key_set(self, resource_code: str) -> set[str]:
        table = table_name(resource_code)
        with self.reading() as con:
            if not self._exists(con, table):
                return set()
            return {str(r[0]) for r in con.execute(f"SELECT _key FROM {quote(table)}")}  # noqa: S608

    def columns(self, resource_code: str) -> list[str]:
        with self.reading() as con:
            return list(self._present(con, table_name(resource_code)))

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
            if not self._exists(con, table) or (keys is not None and not keys):
                return []
            if keys is not None:
                found = con.execute(sql + " WHERE _key = ANY(%s) ORDER BY _key", [list(keys)])
            elif batch_id is not None:
                found = con.execute(sql + " WHERE _batch_id = %s ORDER BY _key", [batch_id])
            else:
                found = con.execute(sql + " ORDER BY _key")
            return found.fetchall()

    def tables(self) -> list[str]:
        with self.reading() as con:
            rows = con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                " AND table_type = 'BASE TABLE' ORDER BY table_name",
                [self.schema],
            ).fetchall()
        return [str(r[0]) for r in rows]

    @contextmanager
    def staging(self, spec: HubTableSpec) -> Iterator[PgStaging]:
        check_spec(spec)
        with self.connect() as con:
            with con.transaction():
                self._lock_ddl(con)
                self._ensure_table(con, spec)
            yield PgStaging(con, spec)

    def _lock_ddl(self, con: psycopg.Connection[Any]) -> None:
        con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["citybrain-hub:" + self.schema])

    def _exists(self, con: psycopg.Connection[Any], table: str) -> bool:
        row = con.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_name = %s AND table_schema = %s",
            [table, self.schema],
        ).fetchone()
        return bool(row and row[0])

    def _present(self, con: psycopg.Connection[Any], table: str) -> dict[str, str]:
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_name = %s AND table_schema = %s ORDER BY ordinal_position",
            [table, self.schema],
        ).fetchall()
        return {str(name): HUB_TYPE_OF.get(str(type_), str(type_)) for name, type_ in rows}

    def _ensure_table(self, con: psycopg.Connection[Any], spec: HubTableSpec) -> None:
        table = spec.table
        found = con.execute("SELECT resource_code FROM _hub_table WHERE table_name = %s", [table])
        owner = found.fetchone()
        if owner is not None and owner[0] != spec.resource_code:
            raise table_conflict(spec, str(owner[0]))
        wanted = wanted_columns(spec)
        register = "INSERT INTO _hub_table VALUES (%s, %s, %s)"
        if not self._exists(con, table):
            defs = ", ".join(f"{quote(n)} {PG_TYPES[t]}" for n, t in wanted.items())
            con.execute(f"CREATE TABLE {quote(table)} ({defs})")
            con.execute(f"CREATE INDEX ON {quote(table)} (_key)")
            con.execute(f"CREATE INDEX ON {quote(table)} (_batch_id)")
            con.execute(register, [table, spec.resource_code, now()])
            return
        present = self._present(con, table)
        for name, type_ in wanted.items():
            if name not in present:
                con.execute(
                    f"ALTER TABLE {quote(table)} ADD COLUMN {quote(name)} {PG_TYPES[type_]}"
                )
            elif present[name] != type_:
                raise schema_conflict(table, name, present[name], type_)
        if owner is None:
            con.execute(register, [table, spec.resource_code, now()])


def _strings(values: Any) -> Any:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return values.cast(pa.string())
    return pa.array(values, pa.string())


class PgStaging:
    """Staged rows in a temporary table of the store's connection, filled by COPY."""

    def __init__(self, con: psycopg.Connection[Any], spec: HubTableSpec) -> None:
        self._con = con
        self._spec = spec
        self.rows = 0
        self._names = [c.name for c in spec.columns] + ["_key", "_version", "_source_row"]
        defs = [f"{quote(c.name)} {PG_TYPES[c.type]}" for c in spec.columns]
        defs += ["_key text", f"_version {PG_TYPES[spec.version_type]}", "_source_row bigint"]
        with con.transaction():
            con.execute("DROP TABLE IF EXISTS pg_temp.stage_load")
            con.execute(f"CREATE TEMP TABLE stage_load ({', '.join(defs)})")

    def append(self, columns: Mapping[str, Sequence[str | None]]) -> None:
        """Columns may be lists or Arrow string arrays; they travel as one CSV (values quoted,
        NULL as an unquoted empty field). A text that does not parse raises
        ``psycopg.errors.DataError`` and nothing of the chunk is staged."""
        chunk = pa.table({n: _strings(columns[n]) for n in self._names})
        if chunk.num_rows == 0:
            return
        data = io.BytesIO()
        options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
        pa_csv.write_csv(chunk, data, options)
        names = ", ".join(quote(n) for n in self._names)
        sql = f"COPY stage_load ({names}) FROM STDIN (FORMAT csv)"
        with self._con.transaction(), self._con.cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(data.getbuffer())
        self.rows += chunk.num_rows

    def merge(self, *, batch_id: int) -> MergeResult:
        con, table = self._con, quote(self._spec.table)
        items = ", ".join(quote(c.name) for c in self._spec.columns)
        con.execute("ANALYZE stage_load")  # autovacuum never sees temporary tables
        con.commit()
        with con.transaction():
            con.execute("LOCK TABLE _hub_load IN EXCLUSIVE MODE")
            row = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM _hub_load").fetchone()
            seq = int(row[0]) if row else 1
            if self._spec.version_type in ("BIGINT", "DOUBLE"):  # a number can take the sequence
                con.execute("UPDATE stage_load SET _version = %s WHERE _version IS NULL", [seq])
            updated = con.execute(
                f"DELETE FROM {table} h USING (SELECT s._key FROM stage_load s"  # noqa: S608
                f" JOIN {table} o ON o._key = s._key GROUP BY s._key"
                " HAVING max(s._version) > max(o._version)) d WHERE h._key = d._key"
            ).rowcount
            written = con.execute(
                f"INSERT INTO {table} ({items}, _key, _version, _batch_id, _source_row, _loaded_at)"  # noqa: S608
                f" SELECT {items}, _key, _version, %s, _source_row, %s FROM ("
                "  SELECT DISTINCT ON (_key) * FROM stage_load"
                "  ORDER BY _key, _version DESC, _source_row DESC) s"
                f" WHERE NOT EXISTS (SELECT 1 FROM {table} h WHERE h._key = s._key)",
                [batch_id, now()],
            ).rowcount
            con.execute(
                "INSERT INTO _hub_load VALUES (%s, %s, %s, %s, %s)",
                [seq, self._spec.resource_code, batch_id, written, now()],
            )
        return MergeResult(self.rows, written - updated, updated, self.rows - written, seq)
