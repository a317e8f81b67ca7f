"""The ``job_run`` ledger. Each change is its own short transaction (``factory``), apart from
any job's: a run's record must survive the job's failure, and the database is the arbiter
between processes (a unique row claims a slot, a conditional update claims a run)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.clock import utcnow
from citybrain.core.jobs.models import JobRun


class Outcome(StrEnum):
    queued = "queued"
    running = "running"
    retrying = "retrying"  # an attempt failed; the next is scheduled with back-off
    ok = "ok"
    failed = "failed"  # the last attempt failed


RUNNABLE = (Outcome.queued.value, Outcome.retrying.value)


def create(
    factory: sessionmaker[Session],
    *,
    job: str,
    key: str,
    args_summary: str = "",
    payload: dict[str, Any] | None = None,
    slot_at: datetime | None = None,
    missed: int = 0,
) -> int | None:
    """Insert a ``queued`` run; None when (job, key) exists already (another process claimed the
    slot, or the job was queued before)."""
    try:
        with factory() as session, session.begin():
            run = JobRun(
                job_name=job,
                run_key=key,
                args_summary=args_summary[:500],
                payload=json.dumps(payload or {}, ensure_ascii=False, default=str),
                slot_at=slot_at,
                missed=missed,
                queued_at=utcnow(),
                outcome=Outcome.queued.value,
            )
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


def find(factory: sessionmaker[Session], *, job: str, key: str) -> JobRun | None:
    with factory() as session:
        return session.execute(
            select(JobRun).where(JobRun.job_name == job, JobRun.run_key == key)
        ).scalar_one_or_none()


def requeue(factory: sessionmaker[Session], run_id: int) -> bool:
    """Make a ``failed`` run runnable again (a manual re-run); False if it was not failed."""
    with factory() as session, session.begin():
        result = session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.outcome == Outcome.failed.value)
            .values(outcome=Outcome.queued.value, queued_at=utcnow(), error="")
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def claim(factory: sessionmaker[Session], run_id: int, *, worker: str) -> int | None:
    """Mark a runnable run ``running`` and return its attempt number; None when it is not
    runnable (done, or running elsewhere: a duplicate delivery must not run it twice)."""
    with factory() as session, session.begin():
        result = session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.outcome.in_(RUNNABLE))
            .values(
                outcome=Outcome.running.value,
                started_at=utcnow(),
                finished_at=None,
                attempt=JobRun.attempt + 1,
                worker=worker[:100],
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        attempt: int = session.execute(
            select(JobRun.attempt).where(JobRun.id == run_id)
        ).scalar_one()
        return attempt


def finish(
    factory: sessionmaker[Session], run_id: int, *, outcome: Outcome, error: str = ""
) -> None:
    """Record the end of the running attempt; only a run still ``running`` is changed."""
    now = utcnow()
    with factory() as session, session.begin():
        run = session.get(JobRun, run_id)
        if run is None or run.outcome != Outcome.running.value:
            return
        run.outcome = outcome.value
        run.finished_at = now
        if run.started_at is not None:
            run.duration_ms = int((now - run.started_at).total_seconds() * 1000)
        run.error = error[:4000]


def last_slot(factory: sessionmaker[Session], job: str) -> datetime | None:
    with factory() as session:
        value: datetime | None = session.execute(
            select(func.max(JobRun.slot_at)).where(JobRun.job_name == job)
        ).scalar_one()
        return value


def stale(factory: sessionmaker[Session], job: str, *, started_before: datetime) -> list[int]:
    """Runs of ``job`` still ``running`` that started before ``started_before``."""
    with factory() as session:
        return list(
            session.execute(
                select(JobRun.id).where(
                    JobRun.job_name == job,
                    JobRun.outcome == Outcome.running.value,
                    JobRun.started_at < started_before,
                )
            ).scalars()
        )


def abandon(factory: sessionmaker[Session], run_id: int, *, retry: bool, error: str) -> bool:
    """A dead run (its process died): ``retrying`` when it has attempts left, else ``failed``.
    Conditional, so of several processes noticing it exactly one acts."""
    now = utcnow()
    with factory() as session, session.begin():
        result = session.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.outcome == Outcome.running.value)
            .values(
                outcome=(Outcome.retrying if retry else Outcome.failed).value,
                finished_at=now,
                error=error,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def prune(factory: sessionmaker[Session], *, finished_before: datetime) -> int:
    """Delete finished runs older than ``finished_before``; the newest slot of each schedule is
    kept, because missed slots are counted from it."""
    with factory() as session, session.begin():
        newest = (
            select(func.max(JobRun.id))
            .where(JobRun.slot_at.is_not(None))
            .group_by(JobRun.job_name)
            .scalar_subquery()
        )
        result = session.execute(
            delete(JobRun).where(
                JobRun.outcome.in_((Outcome.ok.value, Outcome.failed.value)),
                JobRun.finished_at < finished_before,
                JobRun.id.not_in(newest),
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def get(factory: sessionmaker[Session], run_id: int) -> JobRun | None:
    with factory() as session:
        return session.get(JobRun, run_id)


def queued_before(factory: sessionmaker[Session], cutoff: datetime) -> list[JobRun]:
    """Runs still waiting in ``queued`` that were queued before ``cutoff``."""
    with factory() as session:
        return list(
            session.execute(
                select(JobRun)
                .where(JobRun.outcome == Outcome.queued.value, JobRun.queued_at < cutoff)
                .order_by(JobRun.id)
                .limit(1000)
            ).scalars()
        )
