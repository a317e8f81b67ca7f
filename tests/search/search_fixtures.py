"""Search fixtures: documents put in the index the way owners do it (a published domain event,
delivered after the session commits), and scopes of callers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.scope import Scope
from citybrain.search.contract import CHANGED

Publish = Callable[..., dict[str, Any]]


def document(**changes: Any) -> dict[str, Any]:
    """A ``searchable.changed`` payload of a fake kind (a publisher such as indicators)."""
    base: dict[str, Any] = {
        "kind": "indicator", "key": "GDP-001", "title": "地区生产总值增速",
        "body": "按可比价格计算的地区生产总值增长速度, 网格员不参与统计。",
        "path": ["经济和社会发展", "经济运行", "地区生产总值增速"],
        "url": "/indicators/GDP-001", "region_code": "620722", "department_code": None,
        "permission": "indicators:read", "shared_down": False, "updated_at": None,
    }  # fmt: skip
    return {**base, **changes}


@pytest.fixture
def publish(session: Session) -> Publish:
    """Publish one document as an owner would, and commit so that it is delivered."""

    def do(**changes: Any) -> dict[str, Any]:
        payload = document(**changes)
        domain_events.publish(session, CHANGED, **payload)
        session.commit()
        return payload

    return do


def reader(region: str = "620722", *codes: str, department: str | None = None) -> Scope:
    return Scope(
        region_code=region,
        department_code=department,
        all_departments=department is None,
        permissions=frozenset(codes or ("indicators:read", "catalog:read", "reports:read")),
    )
