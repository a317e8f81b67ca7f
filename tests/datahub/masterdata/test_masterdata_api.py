"""``/api/v1/masterdata`` over HTTP: masked search and profiles for ``masterdata:read``, the
unmask for ``pii:unmask`` holders who give a reason, and entity profiles."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from masterdata_fixtures import *  # noqa: F403
from masterdata_fixtures import Demo
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.datahub.masterdata.models import MasterdataPerson
from citybrain.iam import roles

API = "/api/v1/masterdata"


def _busiest(session: Session) -> MasterdataPerson:
    return session.execute(
        select(MasterdataPerson)
        .where(MasterdataPerson.id_number_enc.is_not(None))
        .order_by(MasterdataPerson.record_count.desc(), MasterdataPerson.master_id)
        .limit(1)
    ).scalar_one()


def test_search_and_profile_are_masked(
    demo: Demo, client: TestClient, session: Session, login: Callable[..., dict[str, str]]
) -> None:
    headers = login("analyst")
    master = _busiest(session)
    found = client.get(f"{API}/persons", params={"q": master.name}, headers=headers)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["kind"] == "name"
    assert master.master_id in {p["master_id"] for p in body["items"]}
    assert all(re.fullmatch(r".{1,2}\*+", p["name"]) for p in body["items"])
    profile = client.get(f"{API}/persons/{master.master_id}", headers=headers)
    assert profile.status_code == 200, profile.text
    data = profile.json()
    assert data["masked"] is True
    assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", data["id_number"])
    assert {"resource_code", "department_code", "observed_at"} <= set(data["attributes"][0])
    assert client.get(f"{API}/persons/P999999999999", headers=headers).status_code == 404
    assert client.get(f"{API}/persons").status_code == 401


def test_unmask_needs_permission_then_reason(
    demo: Demo,
    client: TestClient,
    session: Session,
    login: Callable[..., dict[str, str]],
    make_user: Callable[..., object],
    sign_in: Callable[[object], dict[str, str]],
) -> None:
    master = _busiest(session)
    url = f"{API}/persons/{master.master_id}/unmask"
    analyst = login("analyst")
    refused = client.post(url, json={"reason": "核查低保资格"}, headers=analyst)
    assert refused.status_code == 403
    roles.create_role(
        session, name="pii_viewer", title_zh="个人信息查看", codes=["masterdata:read", "pii:unmask"]
    )
    viewer = sign_in(make_user("pii_viewer"))
    missing = client.post(url, json={}, headers=viewer)
    assert missing.status_code == 422
    assert missing.json()["code"] == "reason_required"
    shown = client.post(url, json={"reason": "核查低保资格"}, headers=viewer)
    assert shown.status_code == 200, shown.text
    data = shown.json()
    assert data["masked"] is False
    assert re.fullmatch(r"\d{17}[\dX]", data["id_number"])
    records = session.execute(
        select(AuditRecord).where(AuditRecord.action == "masterdata.unmask")
    ).scalars()
    (record,) = list(records)
    assert record.object_id == master.master_id
    assert json.loads(record.detail)["reason"] == "核查低保资格"
    assert data["id_number"] not in record.detail


def test_entities(demo: Demo, client: TestClient, login: Callable[..., dict[str, str]]) -> None:
    headers = login("commander")
    found = client.get(f"{API}/entities", params={"q": "合作社"}, headers=headers)
    assert found.status_code == 200, found.text
    first = found.json()["items"][0]
    assert "合作社" in first["name"]
    profile = client.get(f"{API}/entities/{first['master_id']}", headers=headers)
    assert profile.status_code == 200
    assert profile.json()["uscc"] == first["uscc"]
    assert {a["attribute"] for a in profile.json()["attributes"]} >= {"uscc", "name"}
    assert client.get(f"{API}/entities", headers=login("viewer")).status_code == 403
