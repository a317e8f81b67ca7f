"""Test harness: one migrated database per run (SQLite file, or a fresh schema in PostgreSQL when
CITYBRAIN_TEST_DATABASE_URL names one), regions loaded once, and each test inside a transaction
that is rolled back (the app's sessions join it through savepoints)."""

from __future__ import annotations

import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

_HOME = Path(tempfile.mkdtemp(prefix="citybrain-test-"))
os.environ.update(
    {
        "CITYBRAIN_ENVIRONMENT": "testing",
        "CITYBRAIN_HOME": str(_HOME),
        "XDG_CONFIG_HOME": str(_HOME / "config"),  # citybrain init records its home there
        "CITYBRAIN_SESSION_KEY": secrets.token_hex(32),
        "CITYBRAIN_AUDIT_KEY": secrets.token_hex(32),
        "CITYBRAIN_FIELD_KEY": secrets.token_hex(16),
        "CITYBRAIN_BLIND_INDEX_KEY": secrets.token_hex(32),
        "CITYBRAIN_PSEUDONYM_KEY": secrets.token_hex(32),
        # jobs run at once in the enqueuing thread, inside the test's transaction
        "CITYBRAIN_JOBS_IMMEDIATE": "true",
        # the inbox stream (GET /api/v1/messages/stream) ends at once: a client that
        # reads a whole answer (the fuzz run) must not wait an hour; tests/messages sets its own
        "CITYBRAIN_MESSAGES_STREAM_MAX_SECONDS": "0.3",
        # the event classifier's department model trains on an even spread of 600 replies,
        # not 2,087: seconds instead of a minute when a test or the fuzz run trains one
        "CITYBRAIN_EVENTS_DEPARTMENT_SAMPLE_LIMIT": "600",
    }
)
if os.environ.get("CITYBRAIN_TEST_DATABASE_URL"):
    # the PostgreSQL pass keeps the hub in PostgreSQL too (a schema per worker, see hub_testing)
    from hub_testing import PG_URL, WORKER_SCHEMA

    os.environ.update({"CITYBRAIN_HUB_URL": PG_URL, "CITYBRAIN_HUB_SCHEMA": WORKER_SCHEMA})
os.environ.setdefault(
    "CITYBRAIN_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data")
)

import pytest  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Connection, Engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from citybrain import domains  # noqa: E402
from citybrain.analytics.hub import HubStore  # noqa: E402
from citybrain.core.config import Settings, get_settings  # noqa: E402
from citybrain.core.db import make_engine, make_session_factory  # noqa: E402
from hub_testing import drop_test_schemas, fresh_store  # noqa: E402

get_settings.cache_clear()
domains.load()
pytest_plugins = ["fixtures_iam"]


def _database_url() -> tuple[str, str | None]:
    url = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
    if not url:
        return f"sqlite:///{_HOME / 'test.db'}", None
    return url, f"cbtest_{uuid.uuid4().hex[:10]}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_test_schemas()  # the PostgreSQL pass's hub schemas of this worker


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def data_dir(settings: Settings) -> Path:
    return settings.data_dir


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    from citybrain.core.migrate import upgrade
    from citybrain.regions.service import load_divisions

    url, schema = _database_url()
    if schema:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        eng = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        eng = make_engine(url)
    upgrade(eng)
    factory = make_session_factory(eng)
    with factory() as session, session.begin():
        load_divisions(session, data_dir=settings.data_dir)
    yield eng
    eng.dispose()
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def fresh_hub(tmp_path: Path) -> Iterator[HubStore]:
    """An empty hub of the pass's backend (DuckDB file, or a new PostgreSQL schema)."""
    store = fresh_store(tmp_path)
    yield store
    store.close()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    factory = make_session_factory(connection)
    with factory() as s:
        yield s


@pytest.fixture
def client(connection: Connection, settings: Settings) -> Iterator[TestClient]:
    from citybrain.app import create_app

    app = create_app(settings, session_factory=make_session_factory(connection))
    with TestClient(app) as test_client:
        yield test_client
