"""A city's deployment in miniature: two ``citybrain serve`` processes and two ``citybrain
worker`` processes on PostgreSQL and Redis, sharing one home (key file and uploads, as an NFS
mount would on several machines), with the hub on PostgreSQL.

What one process does alone must hold across them: a session opened on one web process is
valid on the other; failed logins counted by both throttle the address together; a file
uploaded on one web process is loaded by a worker (not by a web process) and its batch is read
on the other; the scheduled jobs of the installation fire once per slot, not once per worker.
"""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from citybrain.analytics.hub.pg import PgHubStore
from citybrain.core.db import make_engine, make_session_factory
from citybrain.core.jobs.models import JobRun
from citybrain.core.migrate import upgrade
from citybrain.core.scope import Scope
from citybrain.datahub.catalog.schemas import ResourceCreate
from citybrain.datahub.catalog.service import register_resource
from citybrain.iam import service as iam
from citybrain.iam.departments import ensure_department
from citybrain.regions.service import load_divisions

PG_URL = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("CITYBRAIN_TEST_REDIS_URL", "")
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql") or not REDIS_URL,
        reason="needs CITYBRAIN_TEST_DATABASE_URL (PostgreSQL) and CITYBRAIN_TEST_REDIS_URL",
    ),
]
SRC = Path(__file__).resolve().parents[2] / "src"
COUNTY, DEPARTMENT = "620722", "620722-MZDEP"
RESOURCE = "620722-MZDEP-001"
USERNAME, PASSWORD = "deploy_analyst", "Cb-deploy-2026!city"
ROWS = 500


@dataclass
class City:
    webs: list[str]
    workers: list[subprocess.Popen[bytes]]
    engine: Engine
    home: Path
    hub_schema: str


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        load_divisions(session, data_dir=Path(os.environ["CITYBRAIN_DATA_DIR"]))
    with factory() as session, session.begin():
        ensure_department(
            session, code=DEPARTMENT, name="民乐县民政局 (部署测试)", short_name="民政",
            region_code=COUNTY,
        )  # fmt: skip
        spec = ResourceCreate.model_validate(
            {
                "code": RESOURCE, "name": "低保对象 (部署测试)", "provider_code": DEPARTMENT,
                "category": "department", "share_type": "conditional", "share_condition": "经审批",
                "share_method": "api", "key_item": "", "version_item": "", "summary": "部署测试",
                "items": [
                    {"name": "town_code", "title": "所属乡镇"},
                    {"name": "granted_on", "title": "认定日期", "type": "date"},
                    {"name": "people", "title": "保障人数", "type": "integer"},
                ],
            }
        )  # fmt: skip
        register_resource(session, spec=spec, scope=Scope.system())
        iam.create_user(
            session, username=USERNAME, password=PASSWORD, region_code=COUNTY,
            roles=["analyst"], must_change_password=False, department_code=DEPARTMENT,
        )  # fmt: skip


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "from citybrain.cli.main import main; main()"
    return subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-c", code, *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{base} did not come up")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    schema = f"cbdeploy_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text(f"CREATE SCHEMA {schema}_hub"))
    joiner = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{joiner}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    _seed(engine)
    home = Path(tmp_path_factory.mktemp("city"))
    env = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "CITYBRAIN_HOME": str(home),
        "CITYBRAIN_DATABASE_URL": url,
        "CITYBRAIN_HUB_URL": PG_URL,
        "CITYBRAIN_HUB_SCHEMA": f"{schema}_hub",
        "CITYBRAIN_REDIS_URL": REDIS_URL,
        "CITYBRAIN_JOBS_IMMEDIATE": "false",
        "CITYBRAIN_JOBS_QUEUE": f"cbdeploy{uuid.uuid4().hex[:8]}",
        "CITYBRAIN_JOBS_TICK_SECONDS": "1",
        "CITYBRAIN_LOGIN_IP_MAX_FAILURES": "4",
        "CITYBRAIN_AUTH_CACHE_SECONDS": "0",
    }
    ports = [_port(), _port()]
    webs = [_start(["serve", "--port", str(p), "--no-access-log"], env) for p in ports]
    workers = [_start(["worker", "--workers", "2"], env) for _ in range(2)]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base, web in zip(bases, webs, strict=True):
            _wait_up(base, web)
        yield City(bases, workers, engine, home, f"{schema}_hub")
    finally:
        for process in [*webs, *workers]:
            _stop(process)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            conn.execute(text(f"DROP SCHEMA {schema}_hub CASCADE"))
        admin.dispose()


def _login(base: str) -> str:
    answer = httpx.post(
        base + "/api/v1/iam/login", json={"username": USERNAME, "password": PASSWORD}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def test_a_session_from_one_web_process_is_valid_on_the_other(city: City) -> None:
    token = _login(city.webs[0])
    me = httpx.get(
        city.webs[1] + "/api/v1/iam/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert me.status_code == 200, me.text
    assert me.json()["username"] == USERNAME
    httpx.post(
        city.webs[1] + "/api/v1/iam/logout",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    gone = httpx.get(
        city.webs[0] + "/api/v1/iam/me", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert gone.status_code == 401  # logged out on B, refused on A at once


def test_an_upload_on_one_process_is_loaded_by_a_worker_and_read_on_the_other(
    city: City, tmp_path: Path
) -> None:
    token = _login(city.webs[0])
    headers = {"Authorization": f"Bearer {token}"}
    path = tmp_path / "dibao.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["所属乡镇", "认定日期", "保障人数"])
        for n in range(ROWS):
            writer.writerow([f"{COUNTY}{100 + n % 5}", f"2024-{1 + n % 12:02d}-01", n + 1])
    with path.open("rb") as handle:
        answer = httpx.post(
            f"{city.webs[0]}/api/v1/ingest/resources/{RESOURCE}/batches",
            files={"file": ("dibao.csv", handle, "text/csv")},
            headers=headers,
            timeout=60,
        )
    assert answer.status_code == 202, answer.text
    batch = answer.json()["id"]
    deadline, status = time.monotonic() + 180, ""
    while time.monotonic() < deadline:
        read = httpx.get(f"{city.webs[1]}/api/v1/ingest/batches/{batch}", headers=headers)
        status = read.json()["status"]
        if status not in ("queued", "running"):
            break
        time.sleep(1)
    assert status == "loaded", read.text
    assert read.json()["inserted_rows"] == ROWS
    hub = PgHubStore(PG_URL, schema=city.hub_schema)
    try:
        assert hub.count(RESOURCE) == ROWS  # the workers loaded the PostgreSQL hub
    finally:
        hub.close()
    assert not (city.home / "hub.duckdb").exists()
    worker_pids = {str(w.pid) for w in city.workers}
    with Session(city.engine) as session:
        ran_on = session.execute(
            select(JobRun.worker).where(JobRun.job_name == "ingest.batch", JobRun.outcome == "ok")
        ).scalars()
        assert {name.split(":")[1] for name in ran_on} <= worker_pids


def test_scheduled_jobs_fire_once_per_slot_across_workers(city: City) -> None:
    time.sleep(3)  # let the workers tick through a few slots
    with Session(city.engine) as session:
        repeated = session.execute(
            select(JobRun.job_name, JobRun.slot_at, func.count())
            .where(JobRun.slot_at.is_not(None))
            .group_by(JobRun.job_name, JobRun.slot_at)
            .having(func.count() > 1)
        ).all()
        scheduled = session.execute(
            select(func.count()).where(JobRun.slot_at.is_not(None))
        ).scalar_one()
    assert scheduled > 0, "no scheduled job fired while the city ran"
    assert repeated == []


# Last: once it passes, this address may not log in for the rest of the window.
def test_failed_logins_on_both_processes_throttle_the_address_together(city: City) -> None:
    answers = []
    for n in range(6):
        answer = httpx.post(
            city.webs[n % 2] + "/api/v1/iam/login",
            json={"username": f"nobody{n}", "password": "wrong-password-1"},
            timeout=30,
        )
        answers.append(answer.status_code)
    assert answers[:4] == [401, 401, 401, 401]
    assert answers[4:] == [429, 429]  # counted across both processes, refused on both
