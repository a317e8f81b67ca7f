"""Crash recovery of ingest batches: a batch whose process died stays ``running`` (phase A
committed it; phase C never came). Reconciling it looks at the hub, the other store:

- the hub merge completed (its ``_hub_load`` ledger names the batch): the rows are in and
  visible, so the batch is settled ``loaded`` with the rows the merge wrote, audited
  ``ingest.batch.recover``; its quality report and quarantined rows were in the dead process
  and are gone, which the batch's message says;
- otherwise the merge never committed (DuckDB merges in one transaction), so the hub is as
  before: the batch is ``failed`` (``ingest_interrupted``), audited, and can simply be loaded
  again.

Only batches that are certainly dead are touched: an upload whose job run is still alive (or
will be retried) is left alone; a batch without a job run (CLI, pulls) only after
``stale_after``. Each batch is settled in its own transaction, re-checked under the write."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.analytics.hub import HubStore
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.jobs.models import JobRun
from citybrain.core.jobs.runs import Outcome
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.ingest.schemas import BatchStatus

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=2)
_ALIVE = (Outcome.queued.value, Outcome.running.value, Outcome.retrying.value)


@dataclass(frozen=True, slots=True)
class Reconciled:
    batch_id: int
    status: BatchStatus  # loaded (merge completed) or failed (rolled back)
    rows_written: int


def reconcile_interrupted(
    factory: sessionmaker[Session],
    *,
    store: HubStore,
    batch_job: str,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[Reconciled]:
    """Settle every dead ``running`` batch (see module doc); returns what was done.
    ``batch_job`` names the job that runs uploads (its run key is ``batch:<id>``)."""
    now = now or utcnow()
    done: list[Reconciled] = []
    for batch_id in _dead(factory, batch_job=batch_job, now=now, stale_after=stale_after):
        merged = _rows_merged(store, batch_id)
        with factory() as session, session.begin():
            set_actor(session, actor="system", role="ingest-recovery", source_ip="local")
            batch = session.get(IngestBatch, batch_id)
            if batch is None or batch.status != BatchStatus.running.value:
                continue  # settled meanwhile
            done.append(_settle(session, batch, merged))
    return done


def _dead(
    factory: sessionmaker[Session], *, batch_job: str, now: datetime, stale_after: timedelta
) -> list[int]:
    cutoff = now - stale_after
    with factory() as session:
        batches = session.execute(
            select(IngestBatch.id, IngestBatch.created_at).where(
                IngestBatch.status == BatchStatus.running.value
            )
        ).all()
        dead = []
        for batch_id, created_at in batches:
            run = session.execute(
                select(JobRun.outcome, JobRun.started_at).where(
                    JobRun.job_name == batch_job, JobRun.run_key == f"batch:{batch_id}"
                )
            ).first()
            if run is None:
                if created_at < cutoff:
                    dead.append(batch_id)
                continue
            outcome, started_at = run
            running_too_long = outcome == Outcome.running.value and (
                started_at is None or started_at < cutoff
            )
            if outcome not in _ALIVE or running_too_long:
                dead.append(batch_id)
        return dead


def _rows_merged(store: HubStore, batch_id: int) -> int | None:
    """Rows the hub merge of ``batch_id`` wrote, or None when no merge committed."""
    rows = store.query("SELECT rows_written FROM _hub_load WHERE batch_id = ?", [batch_id])
    return int(sum(int(r[0] or 0) for r in rows)) if rows else None


def _settle(session: Session, batch: IngestBatch, merged: int | None) -> Reconciled:
    batch.finished_at = utcnow()
    if merged is not None:
        batch.status = BatchStatus.loaded.value
        batch.inserted_rows = merged
        batch.row_count = max(batch.row_count, merged)
        batch.error_code = "recovered_after_crash"
        batch.error_message = "归集进程中断于入库之后: 数据已入中枢, 质量报告与隔离行未能保存"
        outcome = "success"
    else:
        batch.status = BatchStatus.failed.value
        batch.error_code = "ingest_interrupted"
        batch.error_message = "归集进程中断, 中枢数据保持不变, 请重新归集"
        outcome = "failure"
    audit.record(
        session,
        action="ingest.batch.recover",
        object_type="ingest_batch",
        object_id=str(batch.id),
        region_code=batch.region_code,
        outcome=outcome,
        detail={
            "resource_code": batch.resource_code,
            "source": batch.source_name,
            "merged": merged is not None,
            "rows_written": merged or 0,
        },
    )
    session.flush()
    log.warning("ingest batch %s recovered after a crash: %s", batch.id, batch.status)
    return Reconciled(batch.id, BatchStatus(batch.status), merged or 0)
