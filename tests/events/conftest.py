"""事件 fixtures: departments, the seeded categories, an API key with ``events:report``."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from citybrain.core.config import Settings
from citybrain.events.categories import seed_categories
from citybrain.iam import apikeys
from citybrain.iam.departments import ensure_department


@pytest.fixture
def departments(session: Session) -> tuple[str, str]:
    for code, name in (("620722-ZJ", "民乐县住建局"), ("620722-CG", "民乐县城管局")):
        ensure_department(session, code=code, name=name, short_name=name[3:5], region_code="620722")
    ensure_department(
        session, code="510903-ZJ", name="船山区住建局", short_name="住建", region_code="510903"
    )
    session.flush()
    return "620722-ZJ", "620722-CG"


@pytest.fixture
def seeded(session: Session, settings: Settings) -> None:
    seed_categories(session, data_dir=settings.data_dir)
    session.flush()


@pytest.fixture
def report_key(session: Session, seeded: None) -> str:
    _, plain = apikeys.create_api_key(
        session, name="县住建系统", region_code="620722", scopes=["events:report"], days=30
    )
    session.flush()
    return plain


@pytest.fixture
def api(client):  # type: ignore[no-untyped-def]
    return client
