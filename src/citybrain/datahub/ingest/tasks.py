"""Background and scheduled ingest work, run as jobs of the one job system (``core.jobs``);
each job owns its transactions.

- :func:`run_batch_job` runs a web upload queued by ``service.queue_upload`` (job
  ``ingest.batch``, queued by :func:`queue_batch_job` once the upload is committed), in short
  transactions (``runner``), so web requests are not held up while the file streams.
- ``pulls.schedule_pull`` stores a database source to pull every N minutes; :func:`run_due_pulls`
  pulls the due ones (each in its own transaction); the job ``ingest.pulls`` calls it every
  minute, once per minute however many processes run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.context import ActorContext, set_actor
from citybrain.core.errors import DomainError, InvalidState
from citybrain.core.jobs.registry import JobContext, Registry, register, run_at_start, schedule
from citybrain.core.jobs.system import JobSystem
from citybrain.core.scope import Scope
from citybrain.datahub.datasources.service import Purpose
from citybrain.datahub.ingest import progress as registry
from citybrain.datahub.ingest import pulls, recovery, service
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestSourceSchedule
from citybrain.datahub.ingest.resources import load_resource
from citybrain.datahub.ingest.schemas import BatchResult, BatchStatus
from citybrain.datahub.ingest.transactions import Transactions

log = logging.getLogger(__name__)


def run_batch_job(
    factory: sessionmaker[Session],
    batch_id: int,
    *,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult | None:
    """Run a queued upload in short transactions of its own (``runner``), acting as the user
    who queued it, so the operational database is free while the file streams. A rejected or
    failed batch keeps its record (committed before the error is raised); any other error marks
    the batch failed in a further transaction, so no batch stays ``queued`` or ``running``.
    Returns None when it did not load. ``settings`` are the app's (default: the process's).
    """
    transactions = Transactions.separate(factory)
    try:
        with transactions() as session:
            batch = session.get(IngestBatch, batch_id)
            actor = batch.created_by if batch is not None else "system"
            set_actor(session, actor=actor, role="ingest-job", source_ip="local")
        try:
            return service.run_queued(
                transactions, batch_id=batch_id, settings=settings, store=store
            )
        except (BatchRejected, BatchFailed):
            return None
        except InvalidState as exc:
            if exc.code != "batch_not_queued":
                raise
            # delivered twice, or taken by another worker: the batch is not ours to fail
            log.info("ingest batch %s is not queued any more; nothing to do", batch_id)
            return None
    except Exception as exc:
        log.exception("ingest batch %s failed", batch_id)
        _mark_failed(factory, batch_id, exc)
        return None
    finally:
        registry.finish(batch_id)


def _mark_failed(factory: sessionmaker[Session], batch_id: int, exc: Exception) -> None:
    with factory() as session, session.begin():
        batch = session.get(IngestBatch, batch_id)
        if batch is None or batch.status not in (BatchStatus.queued, BatchStatus.running):
            return
        batch.status = BatchStatus.failed.value
        batch.error_code = exc.code if isinstance(exc, DomainError) else "ingest_failed"
        batch.error_message = (exc.message if isinstance(exc, DomainError) else repr(exc))[:500]
        batch.finished_at = utcnow()


def run_due_pulls(
    factory: sessionmaker[Session], *, now: datetime | None = None, settings: Settings | None = None
) -> dict[int, BatchResult | str]:
    """Pull every enabled schedule due at ``now``, each in its own transaction; the schedule
        moves on by its interval whatever happened, and remembers the last batch or error. Each pull
    runs in short transactions (``runner``).
        Returns {schedule id: result or error code}."""
    now = now or utcnow()
    settings = settings or get_settings()
    with factory() as session:
        due = list(
            session.execute(
                select(IngestSourceSchedule.id).where(
                    IngestSourceSchedule.enabled.is_(True), IngestSourceSchedule.next_run_at <= now
                )
            ).scalars()
        )
    outcomes: dict[int, BatchResult | str] = {}
    for schedule_id in due:
        outcomes[schedule_id] = _run_one(factory, schedule_id, now, settings)
    return outcomes


def _run_one(
    factory: sessionmaker[Session], schedule_id: int, now: datetime, settings: Settings
) -> BatchResult | str:
    """One schedule in three short steps: move it on (committed first, so a crash does not
    retry it at once), pull in short transactions, then remember the outcome."""
    with factory() as session, session.begin():
        schedule = session.get(IngestSourceSchedule, schedule_id)
        if schedule is None:
            return "schedule_not_found"
        payload = pulls.schedule_payload(schedule, settings)
        resource_code, source_id = schedule.resource_code, schedule.source_id
        schedule.last_run_at = now
        schedule.next_run_at = now + timedelta(minutes=schedule.interval_minutes)
        if source_id is None:  # a connection string from before data sources: never run
            schedule.enabled, schedule.last_error = False, "datasource_required"
            return "datasource_required"
        # The scheduler acts for the resource's own region: the source must still be usable
        # from there (it may have been moved, disabled or deleted since).
        try:
            region_code = load_resource(session, resource_code, scope=Scope.system()).region_code
        except DomainError as exc:
            schedule.last_error = exc.code
            return exc.code
    actor = ActorContext(actor="scheduler", role="ingest-job", source_ip="local")
    outcome: BatchResult | str
    batch_id: int | None = None
    try:
        result = pulls.pull_incremental_phased(
            Transactions.separate(factory, actor=actor),
            resource_code=resource_code,
            source_id=source_id,
            options=payload["options"],
            region_code=region_code,
            purpose=Purpose.scheduled_pull,
            mapping=payload.get("mapping") or {},
            settings=settings,
        )
        outcome, batch_id = result, result.batch_id
    except (BatchRejected, BatchFailed) as exc:  # the batch record is committed already
        outcome, batch_id = exc.code, exc.batch_id
    except DomainError as exc:
        outcome = exc.code
    with factory() as session, session.begin():
        schedule = session.get(IngestSourceSchedule, schedule_id)
        if schedule is not None:
            if batch_id is not None:
                schedule.last_batch_id = batch_id
            schedule.last_error = "" if isinstance(outcome, BatchResult) else outcome
    return outcome


BATCH_JOB = "ingest.batch"
PULLS_JOB = "ingest.pulls"
RECONCILE_JOB = "ingest.reconcile"


def queue_batch_job(jobs: JobSystem, batch_id: int) -> int | None:
    """Queue the run of an uploaded batch; call it after the upload's transaction committed
    (a worker elsewhere must see the batch). Queuing the same batch again is a no-op."""
    return jobs.enqueue(BATCH_JOB, key=f"batch:{batch_id}", batch_id=batch_id)


def _batch_job(ctx: JobContext, *, batch_id: int) -> None:
    run_batch_job(ctx.factory, batch_id, settings=ctx.settings)
    with ctx.factory() as session:
        batch = session.get(IngestBatch, batch_id)
        if batch is not None and batch.status == BatchStatus.failed.value:
            # the batch keeps its error; the run shows it too
            raise InvalidState(
                f"批次 {batch_id} 归集失败: {batch.error_message}",
                code=batch.error_code or "ingest_failed",
            )


def _pulls_job(ctx: JobContext) -> None:
    outcomes = run_due_pulls(ctx.factory, settings=ctx.settings)
    errors = {k: v for k, v in outcomes.items() if isinstance(v, str)}
    if errors:
        log.warning("scheduled pulls with errors: %s", errors)


def _reconcile_job(ctx: JobContext) -> None:
    store = open_hub(ctx.settings)
    for item in recovery.reconcile_interrupted(ctx.factory, store=store, batch_job=BATCH_JOB):
        log.warning("batch %s reconciled as %s", item.batch_id, item.status.value)


def register_jobs(registry: Registry | None = None) -> None:
    """Register ingest's jobs and the pull schedule (at app or worker start)."""
    # A failed batch records its failure itself and is not retried; a dead one stays for the
    # crash reconciliation, so the job gets no automatic retry.
    register(BATCH_JOB, "文件归集", _batch_job, retries=0, registry=registry)
    register(PULLS_JOB, "定时数据库抽取", _pulls_job, retries=0, registry=registry)
    schedule(PULLS_JOB, every=timedelta(minutes=1), registry=registry)
    register(RECONCILE_JOB, "中断批次善后", _reconcile_job, registry=registry)
    schedule(RECONCILE_JOB, every=timedelta(minutes=10), registry=registry)
    run_at_start(RECONCILE_JOB, registry=registry)
