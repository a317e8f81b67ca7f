"""A run of a job: one row per logical run (retries add to ``attempt``), unique per job and key.

The key is the schedule slot of a scheduled run (so a slot runs once however many processes
tick) and an idempotency key of a one-off job (so a re-delivered job does not run twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job_name", "run_key"),
        Index("ix_job_run_job_name_slot_at", "job_name", "slot_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(100))
    run_key: Mapped[str] = mapped_column(String(200))
    args_summary: Mapped[str] = mapped_column(String(500), default="")
    payload: Mapped[str] = mapped_column(Text, default="{}")  # the job's arguments, as JSON
    slot_at: Mapped[datetime | None] = mapped_column(default=None)
    # slots of the schedule that passed without a run and are caught up by this one (漏跑)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str] = mapped_column(String(100), default="")
