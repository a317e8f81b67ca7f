"""Two ``citybrain worker`` processes on a real Redis queue, ticking the same schedule every
second: each 2-second slot runs exactly once (its effect is counted in Redis, its run in the
database), and any slot that passed without a run is flagged on the next."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from jobs_helpers import unique
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.db import make_session_factory
from citybrain.core.jobs.models import JobRun

REDIS_URL = os.environ.get("CITYBRAIN_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="CITYBRAIN_TEST_REDIS_URL is not set")
HERE = Path(__file__).resolve().parent
SRC = HERE.parents[2] / "src"


def _database_url(engine: Engine) -> str:
    """The suite's database as a URL another process can open (PostgreSQL: with the run's
    schema on the search path)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        options = engine.dialect.create_connect_args(url)[1].get("options", "")
        schema = getattr(engine.pool, "_creator", None) and options
        if not schema:  # the schema was given as connect_args; read it from a connection
            with engine.connect() as conn:
                path = conn.exec_driver_sql("SHOW search_path").scalar_one()
            url = url.update_query_dict({"options": f"-csearch_path={path}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def database(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = make_session_factory(engine)
    with factory() as session:
        before = session.execute(select(func.coalesce(func.max(JobRun.id), 0))).scalar_one()
    yield factory
    # the workers also ran the installation's own schedules against this database
    with factory() as session, session.begin():
        session.execute(delete(JobRun).where(JobRun.id > before))


def _count(factory: sessionmaker[Session], job: str) -> int:
    with factory() as session:
        return session.execute(
            select(func.count()).where(JobRun.job_name == job, JobRun.outcome == "ok")
        ).scalar_one()


def _worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    code = "from citybrain.cli.main import main; main()"
    return subprocess.Popen(  # noqa: S603 - our own CLI with fixed arguments
        [sys.executable, "-c", code, "worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_two_workers_run_each_slot_exactly_once(
    engine: Engine, database: sessionmaker[Session], tmp_path: Path
) -> None:
    queue, prefix = unique("cbtest"), unique("t") + "."
    effects = f"{queue}:effects"
    client = redis.Redis.from_url(REDIS_URL)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)]),
        "CITYBRAIN_HOME": str(tmp_path),
        "CITYBRAIN_DATABASE_URL": _database_url(engine),
        "CITYBRAIN_REDIS_URL": REDIS_URL,
        "CITYBRAIN_JOBS_QUEUE": queue,
        "CITYBRAIN_JOBS_IMMEDIATE": "false",
        "CITYBRAIN_JOBS_TICK_SECONDS": "1",
        "CITYBRAIN_JOBS_MODULES": "jobs_sample",
        "CITYBRAIN_TEST_JOB_PREFIX": prefix,
        "CITYBRAIN_TEST_EFFECTS_KEY": effects,
    }
    workers = [_worker(env), _worker(env)]
    try:
        # start-up imports take seconds on a busy machine; then watch five slots go by
        deadline = time.monotonic() + 120
        while _count(database, f"{prefix}tick") < 5 and time.monotonic() < deadline:
            for worker in workers:
                assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
            time.sleep(0.5)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)  # graceful: finish the running job
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        counted = {k.decode(): int(v) for k, v in client.hgetall(effects).items()}
        client.delete(effects, *client.keys(f"huey.*{queue}*"))

    with database() as session:
        rows = list(
            session.execute(
                select(JobRun).where(JobRun.job_name == f"{prefix}tick").order_by(JobRun.slot_at)
            ).scalars()
        )
    slots = [row.slot_at.isoformat() for row in rows if row.slot_at is not None]
    assert len(rows) >= 5, "the schedule should have fired over several slots"
    assert len(set(slots)) == len(rows)
    assert {row.outcome for row in rows} == {"ok"}
    assert counted == dict.fromkeys(slots, 1)  # each slot's effect happened exactly once
    for earlier, later in itertools.pairwise(rows):
        assert later.slot_at is not None
        assert earlier.slot_at is not None
        skipped = (later.slot_at - earlier.slot_at) // timedelta(seconds=2) - 1
        assert later.missed >= skipped  # a gap is never silent: it is flagged 漏跑
    assert not (tmp_path / "jobs.db").exists()  # the queue was Redis, not the embedded file
    assert {row.worker.split(":")[1] for row in rows} <= {str(w.pid) for w in workers}
