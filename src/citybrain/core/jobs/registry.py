"""Where domain modules declare their jobs and schedules, with the Chinese title each is shown
under. ``core`` never imports a domain: each registers itself when the app or CLI starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.config import Settings
from citybrain.core.jobs.schedule import Cadence


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running job is handed besides its own arguments."""

    factory: sessionmaker[Session]
    settings: Settings
    run_id: int
    attempt: int
    slot: datetime | None = None


JobFunc = Callable[..., object]  # func(ctx: JobContext, **kwargs); kwargs are plain data


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job: ``name`` is stable (``<domain>.<verb>``), ``title`` is what people read. A failed
    attempt is retried ``retries`` times, the n-th after ``retry_delay * backoff**(n-1)`` s;
    a run still ``running`` after ``stale_after`` is taken as dead (its process died) and
    retried the same way. The job must be idempotent: it may run again after a crash."""

    name: str
    title: str
    func: JobFunc
    retries: int = 3
    retry_delay: float = 10.0
    backoff: float = 2.0
    stale_after: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """Run ``job`` at every slot of ``cadence``; a slot not started within ``grace`` of its time
    counts as missed (漏跑) and is caught up once."""

    job: str
    cadence: Cadence
    grace: timedelta = timedelta(minutes=2)


@dataclass
class Registry:
    jobs: dict[str, JobSpec] = field(default_factory=dict)
    schedules: dict[str, ScheduleSpec] = field(default_factory=dict)
    at_start: list[str] = field(default_factory=list)  # queued once when a consumer starts

    def register(self, spec: JobSpec) -> JobSpec:
        """Add or replace a job (registration may run more than once per process)."""
        self.jobs[spec.name] = spec
        return spec

    def schedule(self, spec: ScheduleSpec) -> ScheduleSpec:
        if spec.job not in self.jobs:
            raise KeyError(f"schedule of an unregistered job: {spec.job}")
        self.schedules[spec.job] = spec
        return spec

    def run_at_start(self, job: str) -> None:
        if job not in self.jobs:
            raise KeyError(f"start-up run of an unregistered job: {job}")
        if job not in self.at_start:
            self.at_start.append(job)

    def title(self, name: str) -> str:
        spec = self.jobs.get(name)
        return spec.title if spec is not None else name


default_registry = Registry()


def register(
    name: str, title: str, func: JobFunc, *, registry: Registry | None = None, **options: Any
) -> JobSpec:
    """Register ``func`` as job ``name`` in the default registry (or ``registry``)."""
    return (registry or default_registry).register(JobSpec(name, title, func, **options))


def schedule(
    job: str,
    *,
    every: timedelta | None = None,
    cron: str | None = None,
    grace: timedelta = timedelta(minutes=2),
    registry: Registry | None = None,
) -> ScheduleSpec:
    """Run registered ``job`` every ``every`` or at each minute ``cron`` matches."""
    spec = ScheduleSpec(job, Cadence(every=every, cron=cron), grace)
    return (registry or default_registry).schedule(spec)


def run_at_start(job: str, *, registry: Registry | None = None) -> None:
    """Queue ``job`` once whenever a consumer starts (crash recovery: whatever the last process
    left half done is reconciled before anything else waits on it)."""
    (registry or default_registry).run_at_start(job)
