"""One demo load per test module, shared by its tests (no tests here).

Test modules take these with ``from masterdata_fixtures import *``. ``demo`` loads the data-hub
demo (600 persons) once, inside an outer transaction on its own connection and with its own
home (hub file and sources); ``connection`` overrides the conftest fixture with a savepoint on
that connection, so every test sees the loaded data and rolls its own changes back, and the
``session``, ``client`` and ``login`` fixtures follow it. A test that changes the hub works on
a copy (``hub_copy``): a DuckDB file cannot be rolled back with the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.config import Settings
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.datahub.demo import DemoReport, load_datahub_demo
from hub_testing import copy_hub, hub_settings

__all__ = ["DEMO_PERSONS", "Demo", "client", "connection", "demo", "hub_copy"]

DEMO_PERSONS = 600


@dataclass
class Demo:
    connection: Connection
    settings: Settings
    report: DemoReport

    @property
    def hub(self) -> HubStore:
        return open_hub(self.settings)


@pytest.fixture(scope="module")
def demo(
    engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("masterdata-demo")
    demo_settings = hub_settings(settings, home)
    conn = engine.connect()
    outer = conn.begin()
    try:
        factory = make_session_factory(conn)
        with factory() as session, session.begin():
            set_actor(session, actor="test:demo", role="cli")
            report = load_datahub_demo(session, demo_settings, persons=DEMO_PERSONS)
        yield Demo(conn, demo_settings, report)
    finally:
        outer.rollback()
        conn.close()


@pytest.fixture
def connection(demo: Demo) -> Iterator[Connection]:
    savepoint = demo.connection.begin_nested()
    try:
        yield demo.connection
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def hub_copy(demo: Demo, tmp_path: Path) -> tuple[Settings, HubStore]:
    """Settings whose home holds a copy of the demo's hub, and that copy."""
    copied = hub_settings(demo.settings, tmp_path)
    copy_hub(demo.settings, copied)
    return copied, open_hub(copied)


@pytest.fixture
def client(connection: Connection, demo: Demo) -> Iterator[TestClient]:
    from citybrain.app import create_app

    app = create_app(demo.settings, session_factory=make_session_factory(connection))
    with TestClient(app) as test_client:
        yield test_client
