"""Helpers of the job-system tests: a committed session factory whose job runs are removed
afterwards, a private registry, and waiting for a run to end."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.jobs.config import JobsSettings
from citybrain.core.jobs.models import JobRun
from citybrain.core.jobs.runs import get

DONE = ("ok", "failed")


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def wait_for(
    factory: sessionmaker[Session], run_id: int, outcomes: tuple[str, ...] = DONE, timeout=20.0
) -> JobRun:
    deadline = time.monotonic() + timeout
    while True:
        run = get(factory, run_id)
        if run is not None and run.outcome in outcomes:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {run.outcome if run else None}")
        time.sleep(0.1)


def remove_runs(factory: sessionmaker[Session], prefix: str) -> None:
    with factory() as session, session.begin():
        session.execute(delete(JobRun).where(JobRun.job_name.startswith(prefix)))


def jobs_config(**options: object) -> JobsSettings:
    values: dict[str, object] = {
        "immediate": False,
        "redis_url": "",
        "queue": unique("cbtest"),
        "tick_seconds": 1,
    }
    values.update(options)
    return JobsSettings(**values)  # type: ignore[arg-type]
