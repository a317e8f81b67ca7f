"""Catalog fixtures: the demo catalog of 民乐县 built through the real services, an API client
whose app serves the catalog routes, and small builders of resource specs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.demo.catalog import seed_demo_catalog
from citybrain.iam.departments import ensure_department


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


@pytest.fixture
def demo_catalog(session: Session) -> list[CatalogResource]:
    return seed_demo_catalog(session)


@pytest.fixture
def department(session: Session) -> str:
    """民乐县公安局 (620722-GA), the provider of the specs built by ``make_spec``."""
    ensure_department(
        session, code="620722-GA", name="民乐县公安局", short_name="公安", region_code="620722"
    )
    return "620722-GA"


MakeSpec = Callable[..., ResourceCreate]


@pytest.fixture
def make_spec(department: str) -> MakeSpec:
    def make(code: str = "620722-GA-101", **changes: Any) -> ResourceCreate:
        data: dict[str, Any] = {
            "code": code,
            "name": "流动人口登记信息",
            "provider_code": department,
            "summary": "暂住登记",
            "category": "department",
            "share_type": "unconditional",
            "share_method": "api",
            "open_attribute": "closed",
            "key_item": "id_number",
            "items": [
                {"name": "name", "title": "姓名", "sensitivity": "sensitive", "mask": "name"},
                {"name": "id_number", "title": "公民身份号码", "length": 18,
                 "sensitivity": "sensitive", "mask": "id_number"},
                {"name": "arrived_on", "title": "来县日期", "type": "date",
                 "sensitivity": "internal"},
            ],
        }  # fmt: skip
        data.update(changes)
        return ResourceCreate.model_validate(data)

    return make
