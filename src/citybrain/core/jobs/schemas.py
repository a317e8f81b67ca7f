"""What the job pages read: runs (with the job's Chinese title) and schedules."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from citybrain.core.pagination import Page


class JobRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_name: str
    title: str = ""
    args_summary: str
    slot_at: datetime | None
    missed: int  # > 0: 漏跑, this run caught up that many slots
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    outcome: str
    duration_ms: int | None
    error: str
    attempt: int
    worker: str


class JobRunPage(Page[JobRunRead]):
    pass


class JobRunFilter(BaseModel):
    job: str | None = None
    outcome: str | None = None
    missed: bool | None = None


class ScheduleRead(BaseModel):
    job_name: str
    title: str
    cadence: str
    last_slot_at: datetime | None
    last_outcome: str | None
    next_slot_at: datetime | None


class JobKindRead(BaseModel):
    job_name: str
    title: str
    scheduled: bool
