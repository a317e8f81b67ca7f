"""The job system of one process: a Huey instance built from the settings, its tasks made from
the registry, the schedule tick, and the consumer.

Where the queue lives is decided here once (:attr:`JobSystem.runs_embedded`):
- no ``CITYBRAIN_REDIS_URL``: Huey's SQLite storage (``<home>/jobs.db``); ``citybrain serve``
  runs consumer threads in-process (and ``citybrain worker`` may add more on the same machine);
- ``CITYBRAIN_REDIS_URL`` set: Redis; serve only enqueues, ``citybrain worker`` processes run.

Exactly once per schedule slot: every consumer ticks (Huey's periodic check calls
:meth:`JobSystem.tick`), and a tick claims a slot by inserting its unique ``job_run`` row
(job, slot); only the process whose insert succeeds enqueues it. The operational database is
the arbiter, so this holds on SQLite and PostgreSQL, with or without Redis, for any number of
serve and worker processes. (Huey's own periodic tasks would be enqueued by each consumer, and
its Redis locks exist only on Redis and only while a task runs, not per slot.) Every delivery
then claims its run by a conditional update (``queued``/``retrying`` → ``running``), so a
message delivered twice runs once.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import socket
import traceback
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from huey import MemoryHuey, RedisHuey, SqliteHuey
from huey.api import Huey, Task, TaskWrapper
from huey.consumer import Consumer, Scheduler
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.jobs import runs
from citybrain.core.jobs.config import JobsSettings, get_jobs_settings
from citybrain.core.jobs.registry import (
    JobContext,
    JobSpec,
    Registry,
    ScheduleSpec,
    default_registry,
)
from citybrain.core.jobs.schedule import current_slot, slots_between

log = logging.getLogger(__name__)
PRUNE_JOB = "jobs.prune"
LOST_AFTER = timedelta(minutes=5)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class JobSystem:
    """One per process (the app's, or a worker's); cheap to build, no thread until started."""

    def __init__(
        self,
        settings: Settings,
        factory: sessionmaker[Session],
        *,
        config: JobsSettings | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.config = config or get_jobs_settings()
        self.registry = registry if registry is not None else default_registry
        self.tz = ZoneInfo(self.config.timezone)
        _register_core_jobs(self.registry)
        import_job_modules(self.config)
        self._huey: Huey | None = None
        self._tasks: dict[str, TaskWrapper] = {}

    @property
    def huey(self) -> Huey:
        """Built on first use, so an app that never queues (``citybrain openapi``) opens no
        queue; every registered job becomes a Huey task then (a consumer must know them all
        before it dequeues)."""
        if self._huey is None:
            self._huey = self._build_huey()
            for spec in list(self.registry.jobs.values()):
                self._task(spec.name)
        return self._huey

    # -- where the queue lives -----------------------------------------------------------------

    @property
    def uses_redis(self) -> bool:
        return bool(self.config.redis_url) and not self.config.immediate

    @property
    def runs_embedded(self) -> bool:
        """True when this installation's jobs run inside ``citybrain serve``."""
        return not self.uses_redis and not self.config.immediate

    def _build_huey(self) -> Huey:
        name = self.config.queue
        if self.config.immediate:
            return MemoryHuey(name, immediate=True, results=False)
        if self.config.redis_url:
            return RedisHuey(name, url=self.config.redis_url, results=False)
        self.settings.home.mkdir(parents=True, exist_ok=True)
        path = (self.settings.home / "jobs.db").resolve()
        return SqliteHuey(name, filename=str(path), results=False)

    # -- queuing -------------------------------------------------------------------------------

    def enqueue(
        self, job: str, *, key: str | None = None, delay: float | None = None, **kwargs: Any
    ) -> int | None:
        """Queue a run of ``job`` with ``kwargs`` (plain data) and return its ``job_run`` id.

        With ``key`` there is at most one run per (job, key): queuing it again returns the
        existing run without queuing anything, unless that run failed (then it is re-run). So a
        caller that cannot know whether its first call got through may simply call again.
        Raises KeyError for an unregistered job."""
        self._task(job)  # refuse an unknown job before writing anything
        run_key = key or f"run:{os.urandom(8).hex()}"
        run_id = runs.create(
            self.factory, job=job, key=run_key, args_summary=_summary(kwargs), payload=kwargs
        )
        if run_id is None:
            existing = runs.find(self.factory, job=job, key=run_key)
            if existing is None or not runs.requeue(self.factory, existing.id):
                return existing.id if existing is not None else None
            run_id = existing.id
        self._send(job, run_id, kwargs, delay=delay)
        return run_id

    def _send(
        self,
        job: str,
        run_id: int,
        kwargs: dict[str, Any],
        *,
        slot: datetime | None = None,
        delay: float | None = None,
        retries: int | None = None,
    ) -> None:
        task = self._task(job)
        args = (run_id, kwargs, slot.isoformat() if slot else None)
        if delay is None and retries is None:
            task(*args)
        else:
            task.schedule(args, delay=delay or 0, retries=retries)

    def _task(self, job: str) -> TaskWrapper:
        wrapper = self._tasks.get(job)
        if wrapper is None:
            spec = self.registry.jobs[job]
            wrapper = self._tasks[job] = self._wrap(self.huey, spec)
        return wrapper

    def _wrap(self, huey: Huey, spec: JobSpec) -> TaskWrapper:
        def body(
            run_id: int, kwargs: dict[str, Any], slot: str | None, task: Task | None = None
        ) -> None:
            self._execute(spec, run_id, kwargs, slot, task)

        body.__name__ = spec.name.replace(".", "_")
        if spec.name in self._tasks:  # building ``huey`` wrapped it meanwhile
            return self._tasks[spec.name]
        wrapper: TaskWrapper = huey.task(
            name=spec.name,
            retries=spec.retries,
            retry_delay=spec.retry_delay,
            retry_backoff=spec.backoff,
            context=True,
        )(body)
        return wrapper

    # -- running -------------------------------------------------------------------------------

    def _execute(
        self,
        spec: JobSpec,
        run_id: int,
        kwargs: dict[str, Any],
        slot: str | None,
        task: Task | None,
    ) -> None:
        attempt = runs.claim(self.factory, run_id, worker=WORKER_ID)
        if attempt is None:
            log.info("job %s run %s: not runnable (done or running elsewhere)", spec.name, run_id)
            return
        context = JobContext(
            factory=self.factory,
            settings=self.settings,
            run_id=run_id,
            attempt=attempt,
            slot=datetime.fromisoformat(slot) if slot else None,
        )
        try:
            spec.func(context, **kwargs)
        except Exception as exc:
            retrying = task is not None and bool(task.retries)
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            outcome = runs.Outcome.retrying if retrying else runs.Outcome.failed
            runs.finish(self.factory, run_id, outcome=outcome, error=error)
            raise  # Huey schedules the retry with back-off
        runs.finish(self.factory, run_id, outcome=runs.Outcome.ok)

    # -- schedules -----------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> list[int]:
        """Queue the due slot of every schedule this process wins, and retry dead runs.
        Called by each consumer every ``tick_seconds``; returns the run ids it queued."""
        now = now or utcnow()
        queued: list[int] = []
        for spec in list(self.registry.schedules.values()):
            try:
                run_id = self._tick_one(spec, now)
            except Exception:  # one broken schedule must not stop the others
                log.exception("schedule %s failed to tick", spec.job)
                continue
            if run_id is not None:
                queued.append(run_id)
        self.retry_dead(now)
        return queued

    def _tick_one(self, spec: ScheduleSpec, now: datetime) -> int | None:
        slot = current_slot(spec.cadence, now, self.tz)
        if slot is None:
            return None
        last = runs.last_slot(self.factory, spec.job)
        if last is not None and last >= slot:
            return None
        late = now - slot > spec.grace
        if last is None and late:
            return None  # a new schedule starts with its next slot, not a backlog
        missed = slots_between(spec.cadence, last, slot, self.tz) if last is not None else 0
        missed += 1 if late else 0  # this slot itself is late: it runs as the catch-up
        run_id = runs.create(
            self.factory,
            job=spec.job,
            key=slot.isoformat(),
            slot_at=slot,
            missed=missed,
            args_summary="补跑" if missed else "",
        )
        if run_id is None:
            return None  # another process claimed this slot
        if missed:
            log.warning("schedule %s missed %s slot(s); catching up at %s", spec.job, missed, slot)
        self._send(spec.job, run_id, {}, slot=slot)
        return run_id

    def retry_dead(self, now: datetime) -> None:
        """A run still ``running`` long after its start lost its process (a crash, a killed
        worker: Huey does not redeliver those); retry it with back-off while attempts remain."""
        for spec in list(self.registry.jobs.values()):
            cutoff = now - spec.stale_after
            for run_id in runs.stale(self.factory, spec.name, started_before=cutoff):
                run = runs.get(self.factory, run_id)
                if run is None:
                    continue
                left = spec.retries - (run.attempt - 1)
                if not runs.abandon(self.factory, run_id, retry=left > 0, error="进程中断"):
                    continue  # another process noticed first
                if left > 0:
                    delay = spec.retry_delay * spec.backoff ** max(run.attempt - 1, 0)
                    kwargs = json.loads(run.payload or "{}")
                    self._send(
                        spec.name, run_id, kwargs, slot=run.slot_at, delay=delay, retries=left - 1
                    )

    def queue_start_jobs(self, now: datetime | None = None) -> list[int]:
        """Queue the registered start-up jobs, and send again the runs still ``queued`` long
        after they were queued (their message was lost: the queue was down, or the process
        died between recording the run and sending it; a second delivery is harmless)."""
        cutoff = (now or utcnow()) - LOST_AFTER
        for run in runs.queued_before(self.factory, cutoff):
            if run.job_name in self.registry.jobs:
                self._send(run.job_name, run.id, json.loads(run.payload or "{}"), slot=run.slot_at)
        queued = []
        for job in list(self.registry.at_start):
            run_id = self.enqueue(job)
            if run_id is not None:
                queued.append(run_id)
        return queued

    # -- consumers -----------------------------------------------------------------------------

    def start_embedded(self) -> Consumer | None:
        """Start consumer threads in this process when jobs run embedded (see module doc);
        None otherwise. Stop with ``consumer.stop(graceful=True)``."""
        if not self.runs_embedded:
            return None
        consumer = _Consumer(self, embedded=True, workers=self.config.workers)
        consumer.start()
        return consumer

    def run_worker(self, *, workers: int) -> None:
        """Run a consumer in the foreground until SIGINT (graceful) or SIGTERM."""
        _Consumer(self, embedded=False, workers=workers).run()


class _Scheduler(Scheduler):  # type: ignore[misc]  # huey ships no type hints
    """Huey's scheduler, whose periodic check is our tick (every ``tick_seconds``)."""

    def __init__(self, system: JobSystem, **options: Any) -> None:
        super().__init__(**options)
        self.system = system
        self.periodic_task_seconds = system.config.tick_seconds

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        self.system.tick()


class _Consumer(Consumer):  # type: ignore[misc]
    def __init__(self, system: JobSystem, *, embedded: bool, workers: int) -> None:
        self.system = system
        self.embedded = embedded
        super().__init__(system.huey, workers=workers, worker_type="thread", periodic=True)

    def _create_scheduler(self) -> Scheduler:
        return _Scheduler(
            self.system,
            huey=self.huey,
            stop_flag=self.stop_flag,
            interval=self.scheduler_interval,
            periodic=self.periodic,
        )

    def start(self) -> None:
        super().start()
        try:
            self.system.queue_start_jobs()
        except Exception:  # a broken start-up job must not keep the consumer from running
            log.exception("start-up jobs could not be queued")

    def _set_signal_handlers(self) -> None:
        if not self.embedded:  # inside serve, the web server owns the process's signals
            super()._set_signal_handlers()


def _summary(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(kwargs.items()))


def import_job_modules(config: JobsSettings) -> None:
    """Import the extra modules named in ``CITYBRAIN_JOBS_MODULES`` (plugins register there)."""
    for name in filter(None, (part.strip() for part in config.modules.split(","))):
        importlib.import_module(name)


def _prune(ctx: JobContext) -> None:
    keep = get_jobs_settings().keep_days
    removed = runs.prune(ctx.factory, finished_before=utcnow() - timedelta(days=keep))
    log.info("pruned %s job runs", removed)


def _register_core_jobs(registry: Registry) -> None:
    if PRUNE_JOB in registry.jobs:
        return
    from citybrain.core.jobs.registry import register, schedule

    register(PRUNE_JOB, "清理任务运行记录", _prune, registry=registry)
    schedule(PRUNE_JOB, cron="30 3 * * *", registry=registry)
