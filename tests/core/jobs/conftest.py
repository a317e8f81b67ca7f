from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_helpers import remove_runs, unique
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.jobs.registry import Registry
from hub_testing import hub_settings


@pytest.fixture
def prefix() -> str:
    """Job names of one test start with it, so its committed runs can be removed."""
    return unique("t") + "."


@pytest.fixture
def committed(engine: Engine, prefix: str) -> Iterator[sessionmaker[Session]]:
    """A factory whose transactions really commit (consumer threads and processes must see
    them); the test's job runs are deleted afterwards."""
    factory = make_session_factory(engine)
    yield factory
    remove_runs(factory, prefix)


@pytest.fixture
def registry() -> Registry:
    return Registry()


@pytest.fixture
def home_settings(settings: Settings, tmp_path: Path) -> Settings:
    return hub_settings(settings, tmp_path)
