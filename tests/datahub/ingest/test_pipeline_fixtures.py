"""Builders shared by the pipeline, quality and rectification tests (no tests here).

Test modules take them with ``from test_pipeline_fixtures import *``. Resources are registered
through the real catalog service; each test gets its own hub file, so the hub (which a
rolled-back SQLite transaction cannot undo) never leaks between tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.context import set_actor
from citybrain.core.db import make_engine, make_session_factory
from citybrain.core.migrate import upgrade
from citybrain.core.scope import Scope
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.catalog.service import register_resource
from citybrain.datahub.ingest import service
from citybrain.datahub.ingest.schemas import BatchResult
from citybrain.datahub.quality.validators import id_check_char
from citybrain.iam.departments import ensure_department
from citybrain.regions.service import load_divisions
from hub_testing import fresh_store

__all__ = [
    "DEPARTMENT",
    "HEADER",
    "department",
    "hub",
    "ingest",
    "make_resource",
    "person",
    "person_id",
    "write_csv",
    "write_xlsx",
]

DEPARTMENT = "620722-GA"
HEADER = [
    "姓名",
    "公民身份号码",
    "性别",
    "出生日期",
    "联系电话",
    "行政区划代码",
    "户籍地址",
    "更新日期",
]
PERSON_ITEMS: list[dict[str, Any]] = [
    {"name": "name", "title": "姓名", "mask": "name", "sensitivity": "sensitive"},
    {"name": "id_number", "title": "公民身份号码", "mask": "id_number", "sensitivity": "core"},
    {"name": "gender", "title": "性别"},
    {"name": "birth_date", "title": "出生日期", "type": "date"},
    {"name": "phone", "title": "联系电话", "mask": "mobile", "sensitivity": "sensitive"},
    {"name": "region_code", "title": "行政区划代码"},
    {"name": "address", "title": "户籍地址", "mask": "address", "length": 100},
    {"name": "updated_on", "title": "更新日期", "type": "date"},
]
# Random start: hub tables outlive the rolled-back catalog rows of a test.
_serial = itertools.count(secrets.randbelow(800_000) + 100_000)


def person_id(n: int, *, born: dt.date = dt.date(1985, 3, 7), region: str = "620722") -> str:
    """A valid GB 11643 number for person ``n`` (sequence ``n`` mod 1000)."""
    body = f"{region}{born:%Y%m%d}{n % 1000:03d}"
    return body + id_check_char(body)


def person(n: int, *, updated: str = "2024-01-01", **changes: str) -> dict[str, str]:
    """Person ``n`` as a source row keyed by the Chinese headers."""
    row = {
        "姓名": f"测试{n}",
        "公民身份号码": person_id(n),
        "性别": "男" if n % 2 else "女",
        "出生日期": "1985-03-07",
        "联系电话": f"139{n:08d}",
        "行政区划代码": "620722",
        "户籍地址": f"甘肃省张掖市民乐县洪水镇{n}号",
        "更新日期": updated,
    }
    row.update(changes)
    return row


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    *,
    header: Sequence[str] = HEADER,
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    return path


def write_xlsx(path: Path, grid: Sequence[Sequence[Any]], merges: Sequence[str] = ()) -> Path:
    workbook = Workbook()
    sheet: Any = workbook.active
    for row in grid:
        sheet.append(list(row))
    for ref in merges:
        sheet.merge_cells(ref)
    workbook.save(path)
    return path


@pytest.fixture
def department(session: Session) -> str:
    ensure_department(
        session, code=DEPARTMENT, name="民乐县公安局", short_name="公安", region_code="620722"
    )
    return DEPARTMENT


@pytest.fixture
def hub(tmp_path: Path) -> HubStore:
    return fresh_store(tmp_path)


MakeResource = Callable[..., str]


@pytest.fixture
def make_resource(session: Session, department: str) -> MakeResource:
    """``make_resource(key_item="id_number", version_item="updated_on", items=PERSON_ITEMS)``
    registers a resource of 民乐县公安局 and returns its fresh code."""

    def make(
        *,
        key_item: str = "id_number",
        version_item: str = "updated_on",
        items: Sequence[dict[str, Any]] = PERSON_ITEMS,
        name: str = "户籍人口",
    ) -> str:
        code = f"620722-GA-{next(_serial):06d}"
        spec = ResourceCreate.model_validate(
            {
                "code": code,
                "name": name,
                "provider_code": department,
                "category": "basic",
                "share_type": "conditional",
                "share_condition": "经审批",
                "share_method": "api",
                "key_item": key_item,
                "version_item": version_item,
                "items": list(items),
            }
        )
        register_resource(session, spec=spec, scope=Scope.system())
        session.flush()
        return code

    return make


Ingest = Callable[..., BatchResult]


@pytest.fixture
def ingest(session: Session, hub: HubStore) -> Ingest:
    """``ingest(resource_code=..., path=..., **kw)``: ``service.ingest_file`` on the test hub."""

    def run(**kwargs: Any) -> BatchResult:
        return service.ingest_file(session, store=hub, **kwargs)

    return run


def persons_database(folder: Path, settings: Settings, *, code: str) -> Engine:
    """A migrated SQLite *file* (not the savepoint harness: these tests run phases in
    transactions of their own) with the regions, 民乐县公安局 and the persons resource ``code``."""
    engine = make_engine(f"sqlite:///{folder / 'citybrain.db'}")
    upgrade(engine)
    with make_session_factory(engine)() as session, session.begin():
        set_actor(session, actor="test", role="cli")
        load_divisions(session, data_dir=settings.data_dir)
        ensure_department(
            session, code=DEPARTMENT, name="民乐县公安局", short_name="公安", region_code="620722"
        )
        spec = {
            "code": code, "name": "户籍人口", "provider_code": DEPARTMENT, "category": "basic",
            "share_type": "conditional", "share_condition": "经审批", "share_method": "api",
            "key_item": "id_number", "version_item": "updated_on", "items": PERSON_ITEMS,
        }  # fmt: skip
        register_resource(session, spec=ResourceCreate.model_validate(spec), scope=Scope.system())
    return engine
