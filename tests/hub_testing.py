"""The hub store of the test pass: DuckDB files on the SQLite pass; on the PostgreSQL pass
(CITYBRAIN_TEST_DATABASE_URL set) a PostgreSQL hub in the test database, one schema per worker
for the session's settings and one per test or per test home, all named ``cbhub_<run>_…`` and
dropped when the worker's session ends (see tests/conftest.py)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from citybrain.analytics.hub import DuckHubStore, HubStore
from citybrain.core.config import Settings

PG_URL = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
RUN_PREFIX = f"cbhub_{uuid.uuid4().hex[:8]}"
WORKER_SCHEMA = f"{RUN_PREFIX}_worker"


def new_schema() -> str:
    return f"{RUN_PREFIX}_{uuid.uuid4().hex[:10]}"


def fresh_store(folder: Path, *, backend: str | None = None) -> HubStore:
    """An empty hub: ``folder/hub.duckdb``, or a new schema on the PostgreSQL pass (``backend``
    forces one: ``duckdb`` or ``postgresql``)."""
    if (backend or ("postgresql" if PG_URL else "duckdb")) == "postgresql":
        from citybrain.analytics.hub.pg import PgHubStore

        return PgHubStore(PG_URL, schema=new_schema())
    return DuckHubStore(folder / "hub.duckdb")


def hub_settings(settings: Settings, home: Path) -> Settings:
    """``settings`` with ``home`` and, on the PostgreSQL pass, a hub schema of its own."""
    update: dict[str, object] = {"home": home}
    if PG_URL:
        update["hub_schema"] = new_schema()
    return settings.model_copy(update=update)


def drop_test_schemas() -> None:
    """Drop every hub schema this worker's run created."""
    if not PG_URL:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as con:
        names = con.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [RUN_PREFIX + "%"]
        ).fetchall()
        for (name,) in names:
            con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def copy_hub(source: Settings, target: Settings) -> None:
    """Copy the hub of ``source`` to where ``target`` keeps it (same backend)."""
    if not PG_URL:
        import shutil

        from citybrain.analytics.hub import hub_path

        shutil.copy(hub_path(source), hub_path(target))
        return
    from citybrain.analytics.hub.pg import PgHubStore

    from_store = PgHubStore(PG_URL, schema=source.hub_schema)
    to_store = PgHubStore(PG_URL, schema=target.hub_schema)
    tables = from_store.tables()
    with to_store.connect() as con, con.transaction():
        for table in tables:
            src, dst = f'"{source.hub_schema}"."{table}"', f'"{target.hub_schema}"."{table}"'
            con.execute(f"DROP TABLE IF EXISTS {dst}")
            con.execute(f"CREATE TABLE {dst} (LIKE {src} INCLUDING ALL)")
            con.execute(f"INSERT INTO {dst} SELECT * FROM {src}")
    from_store.close()
    to_store.close()
