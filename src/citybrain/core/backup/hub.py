"""The hub in and out of an archive: the DuckDB file here, a PostgreSQL hub in
:mod:`citybrain.core.backup.hub_pg`; the archive holds a DuckDB file (``hub/hub.duckdb``) and
the manifest names the store it came from (``backend``).

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
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import duckdb

from citybrain.analytics.hub import DuckHubStore, HubStore
from citybrain.core.errors import Conflict, InvalidState

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


def backup_store(store: HubStore, target: Path) -> dict[str, Any] | None:
    """Copy the hub of ``store`` into the DuckDB file ``target``; its fingerprints, or None when
    there is no hub yet (no DuckDB file, no resource table in the PostgreSQL schema)."""
    if isinstance(store, DuckHubStore):
        return backup_hub(store.path, target) if store.path.exists() else None
    from citybrain.analytics.hub.pg import PgHubStore
    from citybrain.core.backup import hub_pg

    if not isinstance(store, PgHubStore):
        raise InvalidState(f"不支持备份此中枢库: {store.backend}", code="backup_hub_unsupported")
    if not any(t.startswith("hub_") for t in store.tables()):
        return None  # nothing was ever loaded
    hub_pg.export_to_duckdb(store, target)
    os.chmod(target, 0o600)
    return describe_hub(target)


def restore_store(
    member: Path | None,
    entry: dict[str, Any] | None,
    store: HubStore,
    *,
    same_engine: bool,
    force: bool,
    warnings: list[str],
) -> int:
    """Put the archived hub (``member``, manifest ``entry``; None: the archive has no hub) into
    ``store`` and check it against the manifest; the number of tables checked. A PostgreSQL
    hub schema that holds tables is replaced only with ``force`` (``restore_target_not_empty``).
    """
    if isinstance(store, DuckHubStore):
        if member is None or entry is None:
            for stale in (store.path, store.path.with_name(store.path.name + ".wal")):
                stale.unlink(missing_ok=True)
            return 0
        restore_hub(member, store.path)
        return check_hub(describe_hub(store.path), entry, same_engine, warnings)
    from citybrain.analytics.hub.pg import PgHubStore
    from citybrain.core.backup import hub_pg

    if not isinstance(store, PgHubStore):
        raise InvalidState(f"不支持恢复到此中枢库: {store.backend}", code="backup_hub_unsupported")
    if not force:
        refuse_filled(store)
    if member is None or entry is None:
        with store.connect() as con, con.transaction():
            con.execute(f"DROP SCHEMA IF EXISTS {_quote(store.schema)} CASCADE")
        return 0
    hub_pg.import_from_duckdb(member, store)
    with tempfile.TemporaryDirectory(prefix="hub-check-") as folder:
        copy = Path(folder) / "check.duckdb"
        hub_pg.export_to_duckdb(store, copy)
        return check_hub(describe_hub(copy), entry, same_engine, warnings)


def refuse_filled(store: HubStore) -> None:
    """Conflict ``restore_target_not_empty`` when a PostgreSQL hub already holds resource tables
    (the DuckDB file lies in the home, which is checked as a whole)."""
    if store.backend == "postgresql" and any(t.startswith("hub_") for t in store.tables()):
        raise Conflict(
            f"中枢库 {store.describe()} 中已有数据表, 拒绝覆盖 (确认覆盖请加 --force)",
            code="restore_target_not_empty",
        )


def check_hub(
    restored: dict[str, Any], entry: dict[str, Any], same_engine: bool, warnings: list[str]
) -> int:
    """Compare restored fingerprints with the manifest's (rows only across DuckDB versions)."""
    expected: dict[str, Any] = entry["tables"]
    for name, wanted in expected.items():
        got = restored.get(name)
        ok = got is not None and got["rows"] == wanted["rows"]
        if ok and same_engine:
            ok = got is not None and got["fingerprint"] == wanted["fingerprint"]
        if not ok:
            raise InvalidState(
                f"恢复后的中枢表 {name} 与备份清单不一致", code="restore_verify_failed"
            )
    if not same_engine:
        warnings.append("DuckDB 版本不同, 中枢表只核对了行数")
    return len(expected)
