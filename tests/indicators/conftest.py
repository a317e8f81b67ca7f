from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from citybrain.core.config import Settings

sys.path.insert(0, str(Path(__file__).parent))

from indicator_fixtures import World, build_world


@pytest.fixture
def world(session: Session, settings: Settings, tmp_path: Path) -> World:
    return build_world(session, settings, tmp_path)
