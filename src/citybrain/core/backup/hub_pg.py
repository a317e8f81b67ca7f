"""A hub kept in PostgreSQL in and out of the archive, in the archive's one hub format.

The archive always holds the hub as a DuckDB file (``hub/hub.duckdb``), whichever store it came
from, so fingerprints, ``describe_hub`` and a restore into either store work the same way.

Out: one ``REPEATABLE READ READ ONLY`` transaction reads every table of the hub schema (so the
copy is the hub as of one snapshot: a merge is in it entirely or not at all) with ``COPY (…) TO
STDOUT (FORMAT csv)`` into scratch files that DuckDB loads into typed tables. ``pg_dump -n``
would give a second format that only PostgreSQL can read back; the CSV route keeps one format
and needs no client tool of the server's version. In CSV, NULL is an unquoted empty field and
an empty text ``""`` (DuckDB reads it with ``allow_quoted_nulls = false``); booleans leave as
``true``/``false``.

In: the schema is dropped and created again in one transaction, the ledgers and tables are
created with the archived types, and every table is filled with ``COPY … FROM STDIN`` from a
CSV that DuckDB writes. A failure rolls everything back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import duckdb

from citybrain.analytics.hub import quote
from citybrain.analytics.hub.pg import HUB_TYPE_OF, PG_TYPES, PgHubStore

_KEYS = {"_hub_table": "table_name", "_hub_load": "seq"}  # the ledgers' primary keys
_CHUNK = 1 << 20


def _pg_tables(con: Any, schema: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c"
        " JOIN information_schema.tables t ON t.table_schema = c.table_schema"
        " AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'"
        " WHERE c.table_schema = %s ORDER BY c.table_name, c.ordinal_position",
        [schema],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in rows:
        tables.setdefault(str(table), []).append((str(column), HUB_TYPE_OF[str(type_)]))
    return tables


def _definition(table: str, columns: list[tuple[str, str]], types: dict[str, str]) -> str:
    defs = [f"{quote(name)} {types[hub_type]}" for name, hub_type in columns]
    if table in _KEYS:
        defs.append(f"PRIMARY KEY ({quote(_KEYS[table])})")
    return f"CREATE TABLE {quote(table)} ({', '.join(defs)})"


def export_to_duckdb(store: PgHubStore, target: Path) -> None:
    """Write the hub of ``store`` as of one snapshot into the new DuckDB file ``target``."""
    with tempfile.TemporaryDirectory(prefix="hub-export-") as folder, store.connect() as con:
        con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        con.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        tables = _pg_tables(con, store.schema)
        files: dict[str, Path] = {}
        for table, columns in tables.items():
            select = ", ".join(
                f"{quote(n)}::text" if t == "BOOLEAN" else quote(n) for n, t in columns
            )
            files[table] = Path(folder) / f"{len(files)}.csv"
            sql = f"COPY (SELECT {select} FROM {quote(table)}) TO STDOUT (FORMAT csv)"  # noqa: S608
            with files[table].open("wb") as out, con.cursor() as cursor, cursor.copy(sql) as copy:
                for data in copy:
                    out.write(data)
        con.rollback()
        duck = duckdb.connect(str(target))
        try:
            for table, columns in tables.items():
                duck.execute(_definition(table, columns, {t: t for t in PG_TYPES}))
                if files[table].stat().st_size == 0:
                    continue  # an empty table (DuckDB cannot sniff an empty file)
                path = str(files[table]).replace("'", "''")
                duck.execute(
                    f"COPY {quote(table)} FROM '{path}' (FORMAT csv, HEADER false,"
                    " DELIMITER ',', QUOTE '\"', ESCAPE '\"', ALLOW_QUOTED_NULLS false)"
                )
        finally:
            duck.close()


def import_from_duckdb(member: Path, store: PgHubStore) -> None:
    """Replace the hub schema of ``store`` by the tables of the DuckDB file ``member``."""
    duck = duckdb.connect(str(member), read_only=True)
    try:
        rows = duck.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall()
        tables: dict[str, list[tuple[str, str]]] = {}
        for table, column, type_ in rows:
            tables.setdefault(str(table), []).append((str(column), str(type_)))
        with tempfile.TemporaryDirectory(prefix="hub-import-") as folder:
            files: dict[str, Path] = {}
            for table in tables:
                files[table] = Path(folder) / f"{len(files)}.csv"
                path = str(files[table]).replace("'", "''")
                duck.execute(f"COPY {quote(table)} TO '{path}' (FORMAT csv, HEADER false)")
            _fill(store, tables, files)
    finally:
        duck.close()


def _fill(
    store: PgHubStore, tables: dict[str, list[tuple[str, str]]], files: dict[str, Path]
) -> None:
    schema = quote(store.schema)
    with store.connect() as con, con.transaction():
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        con.execute(f"CREATE SCHEMA {schema}")
        for table, columns in tables.items():
            con.execute(_definition(table, columns, PG_TYPES))
            if table.startswith("hub_"):
                con.execute(f"CREATE INDEX ON {quote(table)} (_key)")
                con.execute(f"CREATE INDEX ON {quote(table)} (_batch_id)")
            sql = f"COPY {quote(table)} FROM STDIN (FORMAT csv)"
            with (
                files[table].open("rb") as source,
                con.cursor() as cursor,
                cursor.copy(sql) as copy,
            ):
                while data := source.read(_CHUNK):
                    copy.write(data)
