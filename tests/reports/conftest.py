"""专报 fixtures: the departments of the tests and an API client."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.iam.departments import ensure_department


@pytest.fixture
def departments(session: Session) -> tuple[str, str]:
    for code, name in (("620722-MZ", "民乐县民政局"), ("620722-GA", "民乐县公安局")):
        ensure_department(session, code=code, name=name, short_name=name[3:5], region_code="620722")
    ensure_department(
        session, code="510903-MZ", name="船山区民政局", short_name="民政", region_code="510903"
    )
    session.flush()
    return "620722-MZ", "620722-GA"


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client
