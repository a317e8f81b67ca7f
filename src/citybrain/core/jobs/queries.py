"""Reads of the job ledger: the run list and the schedules with their last and next slot."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from citybrain.core.jobs.models import JobRun
from citybrain.core.jobs.registry import Registry
from citybrain.core.jobs.schedule import next_slot
from citybrain.core.jobs.schemas import (
    JobKindRead,
    JobRunFilter,
    JobRunPage,
    JobRunRead,
    ScheduleRead,
)
from citybrain.core.pagination import PageParams, paginate


def list_runs(
    session: Session, filters: JobRunFilter, params: PageParams, *, registry: Registry
) -> JobRunPage:
    """Runs newest first; ``missed`` keeps only (or drops) the runs that caught up 漏跑."""
    query: Select[JobRun] = select(JobRun).order_by(JobRun.id.desc())
    if filters.job:
        query = query.where(JobRun.job_name == filters.job)
    if filters.outcome:
        query = query.where(JobRun.outcome == filters.outcome)
    if filters.missed is not None:
        query = query.where(JobRun.missed > 0 if filters.missed else JobRun.missed == 0)
    rows, total = paginate(session, query, params)
    items = [
        JobRunRead.model_validate(row).model_copy(update={"title": registry.title(row.job_name)})
        for row in rows
    ]
    return JobRunPage(items=items, total=total, page=params.page, size=params.size)


def list_schedules(
    session: Session, *, registry: Registry, now: datetime, tz: ZoneInfo
) -> list[ScheduleRead]:
    """Every registered schedule with its latest slot's outcome and its next slot."""
    answer = []
    for spec in sorted(registry.schedules.values(), key=lambda s: s.job):
        last = session.execute(
            select(JobRun.slot_at, JobRun.outcome)
            .where(JobRun.job_name == spec.job, JobRun.slot_at.is_not(None))
            .order_by(JobRun.slot_at.desc())
            .limit(1)
        ).first()
        answer.append(
            ScheduleRead(
                job_name=spec.job,
                title=registry.title(spec.job),
                cadence=spec.cadence.describe(),
                last_slot_at=last[0] if last else None,
                last_outcome=last[1] if last else None,
                next_slot_at=next_slot(spec.cadence, now, tz),
            )
        )
    return answer


def list_kinds(*, registry: Registry) -> list[JobKindRead]:
    """Every registered job with its title, ordered by title (for the run list's filter)."""
    return sorted(
        (
            JobKindRead(
                job_name=spec.name, title=spec.title, scheduled=spec.name in registry.schedules
            )
            for spec in registry.jobs.values()
        ),
        key=lambda kind: kind.title,
    )
