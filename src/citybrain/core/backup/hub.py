"""The hub (a DuckDB file) in and out of an archive.

The copy is ``ATTACH``-ed and filled by ``COPY FROM DATABASE`` inside one DuckDB transaction:
DuckDB is MVCC, so the copy is the hub as of one commit even while a merge runs on another
connection (a merge is one transaction, so it is in the copy entirely or not at all). Copying
the file's bytes instead could catch a checkpoint half-written. A fingerprint per table (row
count and the sum of DuckDB's row hashes, order-free) lets a restore prove the copy arrived.

DuckDB lets one process at a time open the file; a serving process opens it only for the length
of each operation, so a backup from another process retries until the file is free.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Final

import duckdb

from citybrain.core.errors import InvalidState

HUB_MEMBER: Final = "hub/hub.duckdb"
_COPY_ALIAS: Final = "citybrain_backup_copy"


def _connect(path: Path, *, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:  # another process holds the file right now
            if time.monotonic() > deadline:
                raise InvalidState(
                    f"中枢库文件被占用, 无法备份: {exc}", code="backup_hub_busy"
                ) from exc
            time.sleep(0.2)


def fingerprints(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, dict[str, Any]]:
    tables = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?"
        " AND table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name",
        [catalog],
    ).fetchall()
    result: dict[str, dict[str, Any]] = {}
    for (name,) in tables:
        ident = f"{_quote(catalog)}.main.{_quote(name)}"
        columns = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_catalog = ?"
            " AND table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
            [catalog, name],
        ).fetchall()
        whole_row = ", ".join(_quote(c) for (c,) in columns)
        sql = f"SELECT count(*), sum(hash(row({whole_row}))::HUGEINT) FROM {ident}"  # noqa: S608 - quoted names from the catalog
        row = con.execute(sql).fetchone()
        rows, total = (int(row[0]), row[1]) if row else (0, None)
        result[str(name)] = {"rows": rows, "fingerprint": str(total or 0)}
    return result


def backup_hub(source: Path, target: Path, *, wait_seconds: float = 60.0) -> dict[str, Any]:
    """Copy the hub at one commit into ``target``; return its table fingerprints."""
    con = _connect(source, wait_seconds=wait_seconds)
    try:
        catalog = con.execute("SELECT current_database()").fetchone()
        name = str(catalog[0]) if catalog else "hub"
        con.execute("BEGIN TRANSACTION")
        con.execute(f"ATTACH '{_sql_text(target)}' AS {_COPY_ALIAS}")
        con.execute(f'COPY FROM DATABASE "{name}" TO {_COPY_ALIAS}')
        con.execute("COMMIT")
        con.execute(f"DETACH {_COPY_ALIAS}")
    finally:
        con.close()
    os.chmod(target, 0o600)
    return describe_hub(target)


def describe_hub(path: Path) -> dict[str, Any]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        catalog = con.execute("SELECT current_database()").fetchone()
        return fingerprints(con, str(catalog[0]) if catalog else "hub")
    finally:
        con.close()


def restore_hub(member: Path, target: Path) -> None:
    target.with_name(target.name + ".wal").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(member, target)
    os.chmod(target, 0o600)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")
