"""Pulls over HTTP name a registered source; the attacks of the typed-in URL are refused.

The security review's findings, each replayed: reading our own SQLite file (the users'
password hashes), probing internal ports and the metadata service, creating files, and
repeating any of it with ``interval_minutes``. Every one is a 403 with a Chinese message and a
stable code, recorded on the ledger, and leaves no batch, no schedule and no file behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import MakeResource, person

from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.datahub.ingest.models import IngestBatch, IngestSourceSchedule
from fixtures_datasources import SourceTable, local_settings, register, source_table

MAPPING = {
    "xm": "name", "sfzh": "id_number", "xb": "gender", "csrq": "birth_date", "lxdh": "phone",
    "xzqh": "region_code", "dz": "address", "gxrq": "updated_on",
}  # fmt: skip
SECRET = "Pw-9f3e-only-here"


@pytest.fixture
def local(connection: Connection, settings: Settings) -> Iterator[TestClient]:
    from citybrain.app import create_app

    app = create_app(local_settings(settings), session_factory=make_session_factory(connection))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def pg() -> Iterator[SourceTable]:
    yield from source_table("postgresql")


def _nothing_happened(session: Session) -> None:
    assert session.execute(select(func.count()).select_from(IngestBatch)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(IngestSourceSchedule)).scalar_one() == 0


def _last_denial(session: Session) -> dict[str, Any]:
    detail = session.execute(
        select(AuditRecord.detail)
        .where(AuditRecord.action == "security.denied")
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    ).scalar_one()
    return dict(json.loads(detail))


@pytest.mark.parametrize("interval", [None, 1])
def test_reading_our_own_database_file_is_refused(
    interval: int | None,
    client: TestClient,
    session: Session,
    settings: Settings,
    login: Any,
    make_resource: MakeResource,
) -> None:
    code = make_resource()
    body = {
        "url": f"sqlite:////{settings.resolved_database_url.split(':///')[-1].lstrip('/')}",
        "query": "select id, username, password_hash from iam_user",
        "watermark_column": "id",
        "interval_minutes": interval,
    }

    answer = client.post(
        f"/api/v1/ingest/resources/{code}/pulls", json=body, headers=login("analyst")
    )

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "raw_url_refused"
    assert "数据源" in answer.json()["message"]
    assert "password_hash" not in answer.text
    assert _last_denial(session) == {"status": 403, "code": "raw_url_refused"}
    _nothing_happened(session)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u:p@169.254.169.254:80/x",
        "postgresql+psycopg://u:p@127.0.0.1:5432/test",
        "postgresql+psycopg://u:p@127.0.0.1:1/test",
        "mysql+pymysql://root@127.0.0.1:3306/test?unix_socket=/run/mysqld/mysqld.sock",
    ],
)
def test_probing_internal_ports_answers_alike_and_sends_nothing(
    url: str, client: TestClient, session: Session, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    body = {"url": url, "table": "t", "watermark_column": "id", "interval_minutes": 1}
    answer = client.post(
        f"/api/v1/ingest/resources/{code}/pulls", json=body, headers=login("analyst")
    )
    assert answer.status_code == 403
    assert answer.json() == {
        "code": "raw_url_refused",
        "message": "不再接受数据库连接串：请由管理员在“数据源管理”中登记数据源，再选择数据源抽取",
        "detail": None,
    }
    _nothing_happened(session)


def test_creating_a_file_is_refused(
    tmp_path: Path, client: TestClient, session: Session, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    target = tmp_path / "planted.db"
    body = {"url": f"sqlite:///{target}", "table": "t", "watermark_column": "id"}
    answer = client.post(
        f"/api/v1/ingest/resources/{code}/pulls", json=body, headers=login("analyst")
    )
    assert answer.status_code == 403
    assert not target.exists()
    _nothing_happened(session)


def test_a_pull_needs_a_source(
    client: TestClient, session: Session, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    answer = client.post(
        f"/api/v1/ingest/resources/{code}/pulls",
        json={"table": "t", "watermark_column": "id"},
        headers=login("analyst"),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "datasource_required"
    _nothing_happened(session)


def test_a_registered_source_is_pulled_and_scheduled_end_to_end(
    local: TestClient,
    session: Session,
    settings: Settings,
    login: Any,
    make_resource: MakeResource,
    pg: SourceTable,
) -> None:
    code = make_resource()
    source = register(session, settings, secret=SECRET)
    pg.add([person(1), person(2)])
    body = {
        "source_id": source.id,
        "table": pg.table.name,
        "schema_name": pg.table.schema,
        "watermark_column": "seq",
        "mapping": MAPPING,
        "interval_minutes": 60,
    }

    answer = local.post(
        f"/api/v1/ingest/resources/{code}/pulls", json=body, headers=login("analyst")
    )

    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["inserted_rows"]) == ("loaded", 2)
    assert SECRET not in answer.text
    schedule = session.execute(select(IngestSourceSchedule)).scalar_one()
    assert (schedule.source_id, schedule.interval_minutes) == (source.id, 60)
    ledger = session.execute(select(AuditRecord.action, AuditRecord.detail)).all()
    assert {"datasource.create", "datasource.use", "ingest.schedule.set"} <= {a for a, _ in ledger}
    assert all(SECRET not in detail for _, detail in ledger)


def test_a_source_of_another_region_is_not_found(
    local: TestClient, session: Session, settings: Settings, login: Any, make_resource: MakeResource
) -> None:
    code = make_resource()
    linze = register(session, settings, region_code="620723")
    body = {"source_id": linze.id, "table": "rk", "watermark_column": "seq", "interval_minutes": 1}
    answer = local.post(
        f"/api/v1/ingest/resources/{code}/pulls", json=body, headers=login("analyst")
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == "datasource_not_found"
    _nothing_happened(session)


def test_loopback_stays_closed_to_pulls_without_the_opening(
    client: TestClient,
    session: Session,
    settings: Settings,
    login: Any,
    make_resource: MakeResource,
) -> None:
    code = make_resource()
    source = register(session, settings)  # registered while 127.0.0.1 was opened
    body = {"source_id": source.id, "table": "rk", "watermark_column": "seq"}
    answer = client.post(
        f"/api/v1/ingest/resources/{code}/pulls", json=body, headers=login("analyst")
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "outbound_refused"
    assert _last_denial(session) == {"status": 403, "code": "outbound_refused"}
    _nothing_happened(session)
