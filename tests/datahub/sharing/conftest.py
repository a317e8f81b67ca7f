"""Fixtures of the sharing tests (builders in ``sharing_fixtures``)."""

from __future__ import annotations

import itertools
import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sharing_fixtures import ITEMS, PEOPLE, MakeWorld, World
from sqlalchemy.orm import Session

from citybrain.core.scope import Scope
from citybrain.datahub.catalog import service as catalog_service
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.ingest.service import ingest_file
from citybrain.datahub.sharing import ratelimit
from citybrain.iam.departments import ensure_department

_serial = itertools.count(1)
SECRET_BASIS = "《中华人民共和国保守国家秘密法》第二十八条"


@pytest.fixture
def make_world(session: Session, tmp_path: Path) -> MakeWorld:
    """``make_world(share_type="unconditional")`` → a fresh resource with three people loaded."""

    def make(share_type: str = "unconditional", *, region_code: str = "620722") -> World:
        n = next(_serial)
        tag = secrets.token_hex(3).upper()
        provider = ensure_department(
            session,
            code=f"T{tag}P",
            name=f"测试公安局{n}",
            short_name="公安",
            region_code=region_code,
        )
        consumer = ensure_department(
            session,
            code=f"T{tag}C",
            name=f"测试民政局{n}",
            short_name="民政",
            region_code=region_code,
        )
        other = ensure_department(
            session,
            code=f"T{tag}D",
            name=f"测试卫健局{n}",
            short_name="卫健",
            region_code=region_code,
        )
        code = f"{region_code}-S{tag}-{n:03d}"
        spec = ResourceCreate.model_validate(
            {
                "code": code, "name": f"共享测试人口{n}", "provider_code": provider.code,
                "category": "basic", "share_type": share_type, "share_method": "api",
                "share_condition": "经提供部门审核" if share_type == "conditional" else "",
                "share_basis": SECRET_BASIS if share_type == "none" else "",
                "key_item": "id_number", "items": ITEMS,
            }
        )  # fmt: skip
        catalog_service.register_resource(session, spec=spec, scope=Scope.system())
        path = tmp_path / f"people_{n}.csv"
        header = [i["title"] for i in ITEMS]
        lines = [",".join(header)] + [",".join(p[h] for h in header) for p in PEOPLE]
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        result = ingest_file(session, resource_code=code, path=path)
        assert result.loaded_rows == len(PEOPLE), result
        return World(code, provider.code, consumer.code, other.code, result.batch_id, path.name,
                     result.checksum)  # fmt: skip

    return make


@pytest.fixture(autouse=True)
def fresh_rate_counter(monkeypatch: pytest.MonkeyPatch) -> ratelimit.MemoryCounter:
    """Each test counts from zero: grant ids repeat across rolled-back tests."""
    counter = ratelimit.MemoryCounter()
    monkeypatch.setattr(ratelimit, "counter", lambda: counter)
    return counter


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The test client; the app includes the sharing router."""
    return client
