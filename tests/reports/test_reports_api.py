"""专报 through the API: drafts stay with their writers, publishing reaches readers and search,
attachments are checked and stored under server-made names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.reports.config import get_reports_settings
from citybrain.reports.models import ReportAttachment
from fixtures_iam import Login

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _draft(api: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    payload = {
        "title": "占道经营专项整治专报",
        "body_html": "<p>网格员巡查<script>x()</script></p>",
    }
    response = api.post("/api/v1/reports", json={**payload, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _search(api: TestClient, headers: dict[str, str], q: str) -> list[dict[str, Any]]:
    response = api.get("/api/v1/search", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.fixture
def people(login: Login, departments: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {
        "mz": login("handler", department_code="620722-MZ"),
        "ga": login("handler", department_code="620722-GA"),
        "analyst": login("analyst"),
        "viewer": login("viewer"),
        "other": login("analyst", "510903"),
    }


def test_a_draft_stays_with_its_department_until_published(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    draft = _draft(api, people["mz"])
    assert draft["status"] == "draft"
    assert draft["department_code"] == "620722-MZ"
    assert draft["body_html"] == "<p>网格员巡查</p>"  # sanitised
    assert draft["can_edit"]
    assert not draft["can_publish"]
    url = f"/api/v1/reports/{draft['id']}"
    assert api.get(url, headers=people["viewer"]).status_code == 404
    assert api.get(url, headers=people["ga"]).status_code == 404
    assert api.get(url, headers=people["other"]).status_code == 404
    assert api.get(url, headers=people["analyst"]).status_code == 200
    listed = api.get("/api/v1/reports", headers=people["viewer"]).json()
    assert listed["total"] == 0
    assert _search(api, people["viewer"], "占道经营") == []
    assert _search(api, people["analyst"], "占道经营") == []  # drafts are never indexed

    refused = api.post(f"{url}/publish", headers=people["mz"])
    assert refused.status_code == 403  # handlers write, they do not publish
    published = api.post(f"{url}/publish", headers=people["analyst"])
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    assert api.get(url, headers=people["viewer"]).status_code == 200
    assert api.get(url, headers=people["ga"]).status_code == 200
    assert api.get(url, headers=people["other"]).status_code == 404
    hits = _search(api, people["viewer"], "占道经营")
    assert [h["key"] for h in hits] == [str(draft["id"])]
    assert hits[0]["path"] == ["专报", "民乐县", "民乐县民政局", "占道经营专项整治专报"]
    assert hits[0]["url"] == f"/reports/{draft['id']}"
    assert _search(api, people["other"], "占道经营") == []

    changed = api.patch(url, json={"title": "改"}, headers=people["mz"])
    assert changed.status_code == 409
    assert changed.json()["code"] == "report_published"
    back = api.post(f"{url}/withdraw", json={"reason": "数据更正"}, headers=people["analyst"])
    assert back.status_code == 200
    assert api.get(url, headers=people["viewer"]).status_code == 404
    assert _search(api, people["viewer"], "占道经营") == []


def test_a_department_user_cannot_write_for_another_department(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    response = api.post(
        "/api/v1/reports", json={"title": "t", "department_code": "620722-GA"},
        headers=people["mz"],
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json()["code"] == "department_out_of_scope"
    outside = api.post(
        "/api/v1/reports", json={"title": "t", "region_code": "510903"},
        headers=people["analyst"],
    )  # fmt: skip
    assert outside.status_code == 403
    assert outside.json()["code"] == "region_out_of_scope"


def test_another_departments_writer_cannot_change_or_delete_a_draft(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    draft = _draft(api, people["mz"])
    url = f"/api/v1/reports/{draft['id']}"
    assert api.patch(url, json={"title": "x"}, headers=people["ga"]).status_code == 404
    assert api.delete(url, headers=people["ga"]).status_code == 404
    assert api.patch(url, json={"title": "x"}, headers=people["viewer"]).status_code == 403
    assert api.delete(url, headers=people["mz"]).status_code == 204
    assert api.get(url, headers=people["mz"]).status_code == 404


def test_an_empty_report_cannot_be_published(
    api: TestClient, people: dict[str, dict[str, str]]
) -> None:
    draft = _draft(api, people["analyst"], body_html="<p> </p>")
    response = api.post(f"/api/v1/reports/{draft['id']}/publish", headers=people["analyst"])
    assert response.status_code == 422
    assert response.json()["code"] == "report_empty"


def test_attachments_are_checked_stored_under_random_names_and_served_as_downloads(
    api: TestClient,
    people: dict[str, dict[str, str]],
    session: Session,
    settings: Settings,
) -> None:
    draft = _draft(api, people["mz"])
    url = f"/api/v1/reports/{draft['id']}/attachments"
    upload = api.post(
        url, files={"file": ("../../整治方案.pdf", PDF, "text/html")}, headers=people["mz"]
    )
    assert upload.status_code == 201, upload.text
    body = upload.json()
    assert body["filename"] == "整治方案.pdf"
    assert body["content_type"] == "application/pdf"  # from the content, not the client
    stored = session.execute(
        select(ReportAttachment.stored_name).where(ReportAttachment.id == body["id"])
    ).scalar_one()
    path = settings.home / "reports" / stored
    assert path.read_bytes() == PDF
    assert "整治" not in stored
    assert "/" not in stored

    for name, data, code in (
        ("x.exe", b"MZ\x90", "attachment_type_not_allowed"),
        ("x.pdf", b"<html><script>", "attachment_type_mismatch"),
    ):
        refused = api.post(url, files={"file": (name, data)}, headers=people["mz"])
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == code

    publish = api.post(f"/api/v1/reports/{draft['id']}/publish", headers=people["analyst"])
    assert publish.status_code == 200
    download = api.get(f"{url}/{body['id']}", headers=people["viewer"])
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert api.get(f"{url}/{body['id']}", headers=people["other"]).status_code == 404
    # published: attachments are frozen until it is withdrawn
    late = api.post(url, files={"file": ("b.pdf", PDF)}, headers=people["mz"])
    assert late.status_code == 409


def test_a_too_large_attachment_is_refused(
    api: TestClient, people: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_reports_settings(), "max_attachment_bytes", 2048)
    draft = _draft(api, people["mz"])
    response = api.post(
        f"/api/v1/reports/{draft['id']}/attachments",
        files={"file": ("big.pdf", PDF + b"0" * 4096)}, headers=people["mz"],
    )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["code"] == "attachment_too_large"


def test_a_removed_attachment_leaves_the_disk_after_commit(
    api: TestClient, people: dict[str, dict[str, str]], session: Session, settings: Settings
) -> None:
    draft = _draft(api, people["mz"])
    url = f"/api/v1/reports/{draft['id']}/attachments"
    attachment = api.post(url, files={"file": ("a.pdf", PDF)}, headers=people["mz"]).json()
    stored = session.execute(
        select(ReportAttachment.stored_name).where(ReportAttachment.id == attachment["id"])
    ).scalar_one()
    path: Path = settings.home / "reports" / stored
    assert path.exists()
    assert api.delete(f"{url}/{attachment['id']}", headers=people["mz"]).status_code == 204
    assert not path.exists()
    assert api.get(f"{url}/{attachment['id']}", headers=people["mz"]).status_code == 404


def test_every_change_is_audited(
    api: TestClient, people: dict[str, dict[str, str]], session: Session
) -> None:
    draft = _draft(api, people["mz"])
    api.patch(f"/api/v1/reports/{draft['id']}", json={"title": "新标题"}, headers=people["mz"])
    api.post(f"/api/v1/reports/{draft['id']}/publish", headers=people["analyst"])
    actions = session.execute(
        select(AuditRecord.action)
        .where(AuditRecord.object_type == "report", AuditRecord.object_id == str(draft["id"]))
        .order_by(AuditRecord.seq)
    ).scalars()
    assert list(actions) == ["report.create", "report.update", "report.publish"]
