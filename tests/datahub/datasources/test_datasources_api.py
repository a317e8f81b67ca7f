"""数据源管理 over HTTP: registered by an administrator, the password write-only, scoped by
region, tested against the real PostgreSQL and MariaDB, and every refusal recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.datahub.datasources.models import Datasource
from fixtures_datasources import SERVERS, local_settings, server_engine

SECRET = "Xq7-机密-口令-9f3e"
Login = Callable[..., dict[str, str]]


@pytest.fixture
def local(connection: Connection, settings: Settings) -> Iterator[TestClient]:
    """The app as deployed where an administrator opened 127.0.0.1 to data sources."""
    from citybrain.app import create_app

    app = create_app(local_settings(settings), session_factory=make_session_factory(connection))
    with TestClient(app) as test_client:
        yield test_client


def _body(driver: str = "postgresql", **changes: Any) -> dict[str, Any]:
    server = SERVERS.get(driver, SERVERS["postgresql"])
    return {"name": f"{driver} 测试库", "driver": driver, **server, **changes}


def _count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(Datasource)).scalar_one()


def _denials(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AuditRecord.detail).where(AuditRecord.action == "security.denied")
    ).scalars()
    return [json.loads(row) for row in rows]


def test_register_read_change_and_delete_without_ever_answering_the_password(
    local: TestClient, session: Session, login: Login
) -> None:
    admin = login("sysadmin")
    answers: list[str] = []

    created = local.post("/api/v1/datasources", json=_body(secret=SECRET), headers=admin)
    answers.append(created.text)
    assert created.status_code == 201, created.text
    source = created.json()
    assert source["secret_set"] is True
    assert (source["driver_label"], source["region_name"]) == ("PostgreSQL", "民乐县")
    sid = source["id"]
    for path in ("", f"/{sid}", "/options"):
        answer = local.get(f"/api/v1/datasources{path}", headers=admin)
        assert answer.status_code == 200, answer.text
        answers.append(answer.text)
    changed = local.patch(
        f"/api/v1/datasources/{sid}",
        json={"description": "公安人口库只读账号", "secret": SECRET + "2"},
        headers=admin,
    )
    answers.append(changed.text)
    assert changed.json()["description"] == "公安人口库只读账号"
    cleared = local.patch(f"/api/v1/datasources/{sid}", json={"secret": ""}, headers=admin)
    answers.append(cleared.text)
    assert cleared.json()["secret_set"] is False
    deleted = local.delete(f"/api/v1/datasources/{sid}", headers=admin)
    assert deleted.status_code == 204

    assert all(SECRET not in text for text in answers)
    assert all("secret_token" not in text for text in answers)
    details = session.execute(
        select(AuditRecord.action, AuditRecord.detail).where(
            AuditRecord.object_type == "datasource"
        )
    ).all()
    assert [action for action, _ in details] == [
        "datasource.create", "datasource.update", "datasource.update", "datasource.delete",
    ]  # fmt: skip
    assert all(SECRET not in detail for _, detail in details)
    assert json.loads(details[1][1])["changed"] == ["description", "secret"]
    assert _count(session) == 0


@pytest.mark.parametrize("driver", ["postgresql", "mysql"])
def test_connection_test_reaches_the_real_server_read_only(
    driver: str, local: TestClient, session: Session, login: Login
) -> None:
    server_engine(driver).dispose()  # skips when the server is not running
    admin = login("sysadmin")
    sid = local.post("/api/v1/datasources", json=_body(driver), headers=admin).json()["id"]

    result = local.post(f"/api/v1/datasources/{sid}/test", headers=admin)

    assert result.status_code == 200, result.text
    assert result.json()["ok"] is True, result.json()
    assert result.json()["message"] == "连接成功"
    use = session.execute(
        select(AuditRecord).where(AuditRecord.action == "datasource.use")
    ).scalar_one()
    assert json.loads(use.detail) == {
        "address": "127.0.0.1", "name": f"{driver} 测试库", "purpose": "test",
    }  # fmt: skip


def test_a_wrong_password_is_a_result_in_chinese(local: TestClient, login: Login) -> None:
    admin = login("sysadmin")
    body = _body("mysql", username="no_such_reader", secret="Xq7-wrong-9f3e")
    server_engine("mysql").dispose()
    sid = local.post("/api/v1/datasources", json=body, headers=admin).json()["id"]

    result = local.post(f"/api/v1/datasources/{sid}/test", headers=admin).json()

    assert result["ok"] is False
    assert result["message"].startswith("连接失败：")
    assert "Xq7-wrong-9f3e" not in json.dumps(result, ensure_ascii=False)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"driver": "sqlite", "host": "localhost", "database": "citybrain"}, "driver_not_allowed"),
        ({"driver": "duckdb"}, "driver_not_allowed"),
        ({"driver": "postgresql+psycopg"}, "driver_not_allowed"),
        ({"host": "/var/run/postgresql"}, "field_not_allowed"),
        ({"host": "db.example.com,127.0.0.1"}, "field_not_allowed"),
        ({"host": "db.example.com:5432"}, "field_not_allowed"),
        ({"host": "fe80::1%eth0"}, "field_not_allowed"),
        ({"database": "test?host=/tmp"}, "field_not_allowed"),
        ({"database": "dbname=test host=/tmp sslkey=/etc/shadow"}, "field_not_allowed"),
        ({"database": "postgresql://u@10.0.0.1/x"}, "field_not_allowed"),
        ({"username": "root unix_socket=/run/mysqld.sock"}, "field_not_allowed"),
        ({"username": "u' passfile='/root/.pgpass"}, "field_not_allowed"),
        ({"driver": "mysql", "port": 3306, "secret": "口令"}, "field_not_allowed"),
    ],
)
def test_file_backed_drivers_and_smuggled_options_are_refused(
    changes: dict[str, str], code: str, local: TestClient, session: Session, login: Login
) -> None:
    body = _body(**changes)
    answer = local.post("/api/v1/datasources", json=body, headers=login("sysadmin"))

    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.json()["message"])
    assert _count(session) == 0
    assert _denials(session)[-1] == {"status": 403, "code": code}


def test_a_sqlite_path_creates_no_file(
    tmp_path: Path, local: TestClient, session: Session, login: Login
) -> None:
    target = tmp_path / "created.db"
    body = _body(driver="sqlite", host="localhost", database=str(target))
    answer = local.post("/api/v1/datasources", json=body, headers=login("sysadmin"))
    assert answer.status_code == 403
    assert not target.exists()


@pytest.mark.parametrize(
    "host", ["169.254.169.254", "100.100.100.200", "fd00:ec2::254", "::ffff:169.254.169.254"]
)
def test_metadata_addresses_are_refused_even_inside_an_opened_range(
    host: str, connection: Connection, settings: Settings, session: Session, login: Login
) -> None:
    from citybrain.app import create_app

    opened = settings.model_copy(
        update={"outbound_allowed_networks": "169.254.0.0/16,100.64.0.0/10,fd00::/8,127.0.0.1/32"}
    )
    app = create_app(opened, session_factory=make_session_factory(connection))
    with TestClient(app) as client:
        answer = client.post(
            "/api/v1/datasources", json=_body(host=host, port=80), headers=login("sysadmin")
        )
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "outbound_refused"
    assert "云服务器元数据地址" in answer.json()["message"]
    assert _count(session) == 0


def test_loopback_is_refused_alike_for_open_and_closed_ports(
    client: TestClient, session: Session, login: Login
) -> None:
    """Without the administrator's opening, 127.0.0.1 is refused before any packet: the
    answer for PostgreSQL's open port and for a closed one is the same."""
    admin = login("sysadmin")
    answers = [
        client.post("/api/v1/datasources", json=_body(port=port), headers=admin)
        for port in (5432, 1)
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["code"] == "outbound_refused"
    assert "本机回环地址" in answers[0].json()["message"]
    assert _count(session) == 0
    assert [d["code"] for d in _denials(session)[-2:]] == ["outbound_refused"] * 2


def test_a_source_registered_while_open_is_refused_once_closed(
    local: TestClient, client: TestClient, session: Session, login: Login
) -> None:
    admin = login("sysadmin")
    sid = local.post("/api/v1/datasources", json=_body(), headers=admin).json()["id"]

    answer = client.post(f"/api/v1/datasources/{sid}/test", headers=admin)

    assert answer.status_code == 403
    assert answer.json()["code"] == "outbound_refused"
    assert (
        session.execute(
            select(func.count()).where(AuditRecord.action == "datasource.use")
        ).scalar_one()
        == 0
    )  # refused before use: only the refusal is on the ledger


def test_sources_of_another_region_are_invisible(
    local: TestClient, session: Session, login: Login
) -> None:
    linze = local.post(
        "/api/v1/datasources",
        json=_body(name="临泽县民政库"),
        headers=login("sysadmin", "620723"),
    ).json()["id"]
    minle_admin, minle_analyst = login("sysadmin"), login("analyst")
    city_admin = login("sysadmin", "6207")

    assert local.get(f"/api/v1/datasources/{linze}", headers=minle_admin).status_code == 404
    assert local.get(f"/api/v1/datasources/{linze}", headers=minle_analyst).status_code == 404
    assert local.post(f"/api/v1/datasources/{linze}/test", headers=minle_admin).status_code == 404
    assert (
        local.patch(
            f"/api/v1/datasources/{linze}", json={"enabled": False}, headers=minle_admin
        ).status_code
        == 404
    )
    assert local.delete(f"/api/v1/datasources/{linze}", headers=minle_admin).status_code == 404
    assert local.get("/api/v1/datasources", headers=minle_admin).json()["total"] == 0
    assert local.get("/api/v1/datasources/options", headers=minle_analyst).json() == []
    city = local.get("/api/v1/datasources", headers=city_admin).json()
    assert [item["name"] for item in city["items"]] == ["临泽县民政库"]


def test_analysts_choose_sources_but_do_not_manage_them(
    local: TestClient, session: Session, login: Login
) -> None:
    admin, analyst = login("sysadmin"), login("analyst")
    sid = local.post("/api/v1/datasources", json=_body(), headers=admin).json()["id"]

    options = local.get("/api/v1/datasources/options", headers=analyst).json()
    refused = local.post("/api/v1/datasources", json=_body(name="x"), headers=analyst)
    test = local.post(f"/api/v1/datasources/{sid}/test", headers=analyst)

    assert options == [
        {
            "id": sid,
            "name": "postgresql 测试库",
            "driver_label": "PostgreSQL",
            "region_name": "民乐县",
        }
    ]
    assert (refused.status_code, test.status_code) == (403, 403)
    assert local.get("/api/v1/datasources/options", headers=login("viewer")).status_code == 403


def test_names_are_unique_and_a_scheduled_source_is_disabled_not_deleted(
    local: TestClient, session: Session, login: Login
) -> None:
    admin = login("sysadmin")
    first = local.post("/api/v1/datasources", json=_body(), headers=admin)
    again = local.post("/api/v1/datasources", json=_body(), headers=admin)
    assert again.status_code == 409
    assert again.json()["code"] == "datasource_name_taken"

    from citybrain.core.clock import utcnow
    from citybrain.datahub.ingest.models import IngestSourceSchedule

    session.add(
        IngestSourceSchedule(
            resource_code="620722-GA-000001",
            source_key="k" * 64,
            source_id=first.json()["id"],
            options_token="",
            interval_minutes=5,
            next_run_at=utcnow(),
        )
    )
    session.flush()
    in_use = local.delete(f"/api/v1/datasources/{first.json()['id']}", headers=admin)
    assert in_use.status_code == 409
    assert in_use.json()["code"] == "datasource_in_use"
    assert _count(session) == 1
