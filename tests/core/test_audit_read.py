"""Reading the ledger: an audit administrator sees only their region's subtree, by names
rather than codes, and exports it as JSON lines, CSV (with BOM) or Excel."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from citybrain.core.audit import service, titles
from citybrain.core.audit.present import format_detail
from citybrain.core.audit.queries import AuditScope

Login = Callable[..., dict[str, str]]


def _seed(session: Session) -> None:
    service.record(session, action="test.region", object_id="mianyang", region_code="510903")
    service.record(session, action="test.region", object_id="minle", region_code="620722")
    service.record(
        session, action="test.region", object_id="minle-village", region_code="620722101"
    )
    service.record(session, action="test.region", object_id="system", region_code="")


def _objects(client: TestClient, headers: dict[str, str]) -> set[str]:
    answer = client.get("/api/v1/audit/records", params={"action": "test.region"}, headers=headers)
    assert answer.status_code == 200, answer.text
    return {item["object_id"] for item in answer.json()["items"]}


def _exported_objects(client: TestClient, headers: dict[str, str], fmt: str) -> set[str]:
    answer = client.get(
        "/api/v1/audit/export", params={"action": "test.region", "format": fmt}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    if fmt == "jsonl":
        return {json.loads(line)["object_id"] for line in answer.text.splitlines()}
    if fmt == "csv":
        assert answer.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
        rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
        return {row["对象"] for row in rows}
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    column = header.index("对象")
    return {str(row[column]) for row in rows}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_auditor_of_another_county_neither_lists_nor_exports_minle(
    client: TestClient, session: Session, login: Login, fmt: str
) -> None:
    _seed(session)
    suining = login("auditadmin", "510903")
    assert _objects(client, suining) == {"mianyang"}
    assert _exported_objects(client, suining, fmt) == {"mianyang"}
    drill = client.get(
        "/api/v1/audit/records", params={"region_code": "620722"}, headers=suining
    ).json()
    assert drill["total"] == 0  # asking for a neighbour's region by filter gives nothing


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xlsx"])
def test_auditor_of_minle_sees_its_subtree_and_the_installations_records(
    client: TestClient, session: Session, login: Login, fmt: str
) -> None:
    _seed(session)
    minle = login("auditadmin", "620722")
    expected = {"minle", "minle-village", "system"}  # 620722 is the installation's region
    assert _objects(client, minle) == expected
    assert _exported_objects(client, minle, fmt) == expected


def test_scope_rules() -> None:
    assert AuditScope.for_auditor("62", installation_region="620722").system_records
    assert not AuditScope.for_auditor("510903", installation_region="620722").system_records
    assert not AuditScope.for_auditor("", installation_region="620722").system_records


def test_records_read_in_chinese(
    client: TestClient, session: Session, login: Login, make_user: Callable[..., object]
) -> None:
    headers = login("auditadmin", "620722", username="audit_cn")
    created = make_user("analyst", "620722", username="li_si")
    from citybrain.core.context import set_actor

    set_actor(session, actor="li_si", role="analyst,viewer", region_code="620722")
    created.user.display_name = "李四"  # type: ignore[attr-defined]
    session.flush()
    service.record(
        session,
        action="iam.user.create",
        object_type="iam_user",
        object_id="7",
        detail={"username": "wangwu", "roles": ["viewer", "handler"], "masked": False},
    )
    items = client.get(
        "/api/v1/audit/records", params={"action": "iam.user.create"}, headers=headers
    ).json()["items"]
    mine = next(i for i in items if i["actor"] == "li_si")
    assert mine["actor_name"] == "李四"
    assert mine["action_title"] == "创建用户"
    assert mine["role_title"] == "大数据局分析员、只读用户"
    assert mine["object_type_title"] == "用户"
    assert (mine["region_code"], mine["region_name"]) == ("620722", "民乐县")
    assert mine["outcome_title"] == "成功"
    assert mine["detail_text"] == "已脱敏: 否；角色: viewer、handler；用户名: wangwu"
    login_item = client.get(
        "/api/v1/audit/records", params={"action": "iam.login"}, headers=headers
    ).json()["items"][0]
    assert login_item["role_title"] == "审计管理员"


def test_export_is_audited_with_its_format_and_count(
    client: TestClient, session: Session, login: Login
) -> None:
    _seed(session)
    headers = login("auditadmin", "620722")
    client.get("/api/v1/audit/export", params={"action": "test.", "format": "csv"}, headers=headers)
    exports = client.get(
        "/api/v1/audit/records", params={"action": "audit.export"}, headers=headers
    ).json()["items"]
    assert json.loads(exports[0]["detail"]) == {
        "count": 3,
        "filter": {"action": "test."},
        "format": "csv",
    }


def test_csv_neutralises_formulas(client: TestClient, session: Session, login: Login) -> None:
    service.record(session, action="test.region", object_id="=HYPERLINK(1)", region_code="620722")
    answer = client.get(
        "/api/v1/audit/export",
        params={"action": "test.region", "format": "csv"},
        headers=login("auditadmin", "620722"),
    )
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0]["对象"] == "'=HYPERLINK(1)"


def test_a_domain_registers_its_actions(client: TestClient, login: Login) -> None:
    titles.register_actions({"test.newly_added": "新加的操作"})
    assert titles.action_title("test.newly_added") == "新加的操作"
    assert titles.action_title("test.unregistered") == "test.unregistered"
    actions = client.get("/api/v1/audit/actions", headers=login("auditadmin")).json()
    assert {"code": "test.newly_added", "title": "新加的操作"} in actions
    assert {"code": "iam.user.create", "title": "创建用户"} in actions


def test_every_action_in_the_code_has_a_title() -> None:
    """A new ``action="..."`` without a registered title fails here, not on a screen."""
    import re
    from pathlib import Path

    import citybrain

    root = Path(citybrain.__file__).parent
    pattern = re.compile(r'action="([a-z_]+(?:\.[a-z_]+)+)"')
    found = {m for path in root.rglob("*.py") for m in pattern.findall(path.read_text("utf-8"))}
    assert found, "the scan found no actions at all"
    assert sorted(found - titles.known_actions().keys()) == []


def test_detail_text_handles_odd_values() -> None:
    assert format_detail("") == ""
    assert format_detail("not json") == "not json"
    assert format_detail('{"note": null, "x": {"code": "a"}}') == "备注: —；x: （错误代码=a）"
