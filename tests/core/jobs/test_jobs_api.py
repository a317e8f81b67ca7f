"""``/api/v1/jobs``: runs (paged, filtered, job titles in Chinese, 漏跑 flagged) and schedules,
for holders of ``jobs:read`` only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Connection

from citybrain.core.db import make_session_factory
from citybrain.core.jobs import runs
from fixtures_iam import Login


def _seed(connection: Connection) -> None:
    factory = make_session_factory(connection)
    start = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    for i in range(25):
        slot = start + timedelta(minutes=i)
        run_id = runs.create(
            factory,
            job="ingest.pulls",
            key=slot.isoformat(),
            slot_at=slot,
            missed=3 if i == 7 else 0,
        )
        assert run_id is not None
        assert runs.claim(factory, run_id, worker="w:1") == 1
        outcome = runs.Outcome.failed if i % 5 == 0 else runs.Outcome.ok
        runs.finish(factory, run_id, outcome=outcome, error="连接超时" if i % 5 == 0 else "")


def test_runs_are_paged_filtered_and_titled(
    client: TestClient, connection: Connection, login: Login
) -> None:
    _seed(connection)
    headers = login("analyst")
    page = client.get(
        "/api/v1/jobs/runs", params={"job": "ingest.pulls", "size": 10}, headers=headers
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 25
    assert len(body["items"]) == 10
    first = body["items"][0]
    assert first["title"] == "定时数据库抽取"
    assert first["slot_at"].startswith("2026-12-07T08:24")  # newest first
    assert first["duration_ms"] is not None

    failed = client.get(
        "/api/v1/jobs/runs", params={"job": "ingest.pulls", "outcome": "failed"}, headers=headers
    ).json()
    assert failed["total"] == 5
    assert {item["error"] for item in failed["items"]} == {"连接超时"}

    missed = client.get(
        "/api/v1/jobs/runs", params={"job": "ingest.pulls", "missed": "true"}, headers=headers
    ).json()
    assert missed["total"] == 1
    assert missed["items"][0]["missed"] == 3


def test_schedules_show_title_cadence_and_last_slot(
    client: TestClient, connection: Connection, login: Login
) -> None:
    _seed(connection)
    response = client.get("/api/v1/jobs/schedules", headers=login("sysadmin"))
    assert response.status_code == 200, response.text
    by_job = {item["job_name"]: item for item in response.json()}
    pulls = by_job["ingest.pulls"]
    assert pulls["title"] == "定时数据库抽取"
    assert pulls["cadence"] == "每 1 分钟"
    assert pulls["last_slot_at"].startswith("2026-12-07T08:24")
    assert pulls["next_slot_at"] is not None
    assert by_job["sharing.expire"]["title"] == "共享授权到期处理"


def test_job_runs_need_jobs_read(client: TestClient, login: Login) -> None:
    viewer = login("viewer")
    for path in ("/api/v1/jobs/runs", "/api/v1/jobs/schedules", "/api/v1/jobs/kinds"):
        response = client.get(path, headers=viewer)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert client.get(path).status_code == 401


def test_kinds_name_every_registered_job_in_chinese(client: TestClient, login: Login) -> None:
    response = client.get("/api/v1/jobs/kinds", headers=login("analyst"))
    assert response.status_code == 200, response.text
    kinds = {item["job_name"]: item for item in response.json()}
    assert kinds["ingest.batch"] == {
        "job_name": "ingest.batch",
        "title": "文件归集",
        "scheduled": False,
    }
    assert kinds["ingest.pulls"]["scheduled"] is True
    assert kinds["masterdata.rebuild"]["title"] == "基础库关联更新"
