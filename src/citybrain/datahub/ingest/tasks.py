"""Background and scheduled ingest work, run in-process (each job owns its transaction).

- :func:`run_batch_job` runs a web upload queued by ``service.queue_upload``, in short
  transactions (``runner``), so web requests are not held up while the file streams.
- ``pulls.schedule_pull`` stores a database source to pull every N minutes; :func:`run_due_pulls`
  pulls the due ones (each in its own transaction) and :func:`start_scheduler` calls it from a
  daemon thread. A larger installation moves these calls onto a task queue unchanged.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.analytics.hub import HubStore
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.context import ActorContext, set_actor
from citybrain.core.errors import DomainError
from citybrain.datahub.datasources.service import Purpose
from citybrain.datahub.ingest import progress as registry
from citybrain.datahub.ingest import pulls, service
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
            region_code = load_resource(session, resource_code).region_code
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


def start_scheduler(
    factory: sessionmaker[Session], *, every_seconds: float = 60.0
) -> tuple[threading.Thread, threading.Event]:
    """A daemon thread calling :func:`run_due_pulls` every ``every_seconds``; set the returned
    event to stop it."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                run_due_pulls(factory)
            except Exception:  # the scheduler must outlive one bad round
                log.exception("scheduled ingest pulls failed")

    thread = threading.Thread(target=loop, name="citybrain-ingest-scheduler", daemon=True)
    thread.start()
    return thread, stop
