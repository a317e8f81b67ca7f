"""Writes of a batch to the operational database: the batch row in each of its end states,
quarantined rows, report, rectification order and audit record (see ``runner``).

Every function here flushes and never commits. The refusals (:func:`reject`, :func:`fail`)
return the error instead of raising it, so a caller that owns the transaction can commit the
batch record first and raise afterwards.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from citybrain.analytics.hub import MergeResult
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.crypto import sm3_hex
from citybrain.core.domain_events import publish
from citybrain.core.errors import DomainError
from citybrain.datahub.ingest import failed_rows
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.mapping import ColumnMapping
from citybrain.datahub.ingest.models import IngestBatch, IngestQuarantineRow
from citybrain.datahub.ingest.pipeline import PipelineOutcome, QuarantineSpool
from citybrain.datahub.ingest.schemas import BatchOrigin, BatchResult, BatchStatus
from citybrain.datahub.quality import service as quality_service
from citybrain.datahub.quality.report import QualityTally
from citybrain.datahub.quality.rules import ResourceSpec

_INSERT_CHUNK = 5000


def lock_resource(session: Session, resource_code: str) -> None:
    """Serialise the settling of batches of one resource until the transaction ends, so the
    duplicate re-check and the batch that wins it cannot interleave. SQLite needs nothing:
    ``BEGIN IMMEDIATE`` already admits one writer; PostgreSQL takes a transaction-scoped
    advisory lock keyed by the resource code."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int(sm3_hex(f"ingest_batch:{resource_code}".encode())[:15], 16)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def new_batch(
    session: Session,
    resource: ResourceSpec,
    *,
    origin: BatchOrigin,
    source_kind: str,
    source_name: str,
    source_path: str,
    mapping: dict[str, str],
    order_id: int | None,
) -> IngestBatch:
    """A ``running`` batch row, flushed so that it has an id (the hub rows carry it)."""
    batch = IngestBatch(
        resource_code=resource.code,
        resource_version=resource.version,
        department_code=resource.department_code,
        region_code=resource.region_code,
        origin=origin.value,
        source_kind=source_kind,
        source_name=source_name[:255],
        source_path=source_path,
        mapping=json.dumps(mapping, ensure_ascii=False),
        checksum="",
        status=BatchStatus.running.value,
        created_by=actor_of(session).actor,
        created_at=utcnow(),
        rectification_order_id=order_id,
    )
    session.add(batch)
    session.flush()
    return batch


def _audit(session: Session, batch: IngestBatch, action: str, outcome: str, **detail: Any) -> None:
    audit.record(
        session,
        action=action,
        object_type="ingest_batch",
        object_id=str(batch.id),
        region_code=batch.region_code,
        outcome=outcome,
        detail={"resource_code": batch.resource_code, "source": batch.source_name, **detail},
    )


def duplicate(
    session: Session, batch: IngestBatch, *, checksum: str, earlier: int, rows: int
) -> BatchResult:
    """Record ``batch`` as a duplicate of the loaded batch ``earlier``; audited as
    ``ingest.batch.duplicate``."""
    batch.status = BatchStatus.duplicate.value
    batch.checksum, batch.duplicate_of, batch.row_count = checksum, earlier, rows
    batch.finished_at = utcnow()
    _audit(session, batch, "ingest.batch.duplicate", "success", duplicate_of=earlier)
    session.flush()
    return BatchResult(
        batch.id,
        batch.resource_code,
        BatchStatus.duplicate,
        row_count=rows,
        checksum=checksum,
        duplicate_of=earlier,
    )


def reject(
    session: Session,
    batch: IngestBatch,
    code: str,
    message: str,
    *,
    row: int | None,
    field: str | None,
) -> BatchRejected:
    """Record ``batch`` as ``rejected`` (audited as ``ingest.batch.reject``) and return the
    error naming the row and field, for the caller to raise once the record is safe."""
    batch.status = BatchStatus.rejected.value
    batch.error_code, batch.error_message = code, message
    batch.error_row, batch.error_field = row, field or ""
    batch.finished_at = utcnow()
    _audit(session, batch, "ingest.batch.reject", "failure", code=code, row=row, field=field)
    session.flush()
    return BatchRejected(message, code=code, batch_id=batch.id, detail={"row": row, "field": field})


def report_checked(
    session: Session,
    batch: IngestBatch,
    resource: ResourceSpec,
    tally: QualityTally,
    mapping: ColumnMapping,
) -> None:
    """The quality report of the rows checked before a batch stopped early, so the department
    sees which rules its rows broke; the failed-row count is kept on the batch."""
    quality_service.record_report(
        session,
        batch_id=batch.id,
        resource=resource,
        tally=tally,
        unknown_columns=mapping.unknown_columns,
    )
    batch.row_count = tally.total


def fail(session: Session, batch: IngestBatch, exc: Exception) -> DomainError:
    """Record ``batch`` as ``failed`` (audited as ``ingest.batch.fail``) and return the error
    to raise: a domain error (say ``hub_schema_conflict``) as it is, anything else as
    BatchFailed with ``exc`` as its cause."""
    if isinstance(exc, DomainError):
        code, message = exc.code, exc.message
    else:
        code, message = "ingest_failed", f"{type(exc).__name__}: {exc}"
    batch.status = BatchStatus.failed.value
    batch.error_code, batch.error_message = code, message[:500]
    batch.finished_at = utcnow()
    _audit(session, batch, "ingest.batch.fail", "failure", error=type(exc).__name__)
    session.flush()
    if isinstance(exc, DomainError):
        return exc
    error = BatchFailed(
        "入库失败，中枢数据保持不变，请稍后重试",
        batch_id=batch.id,
        detail={"error": type(exc).__name__},
    )
    error.__cause__ = exc
    return error


def loaded(
    session: Session,
    batch: IngestBatch,
    *,
    resource: ResourceSpec,
    origin: BatchOrigin,
    outcome: PipelineOutcome,
    merged: MergeResult,
    mapping: ColumnMapping,
    tally: QualityTally,
    spool: QuarantineSpool,
) -> BatchResult:
    """Record a merged batch: its report, a rectification order when rows failed (opened by
    the handler of :mod:`failed_rows`; not for a resubmission, which belongs to its order
    already) and ``ingest.batch.load``. The quarantined rows are stored by the caller (they
    may belong to an order instead).

    Publishes ``ingest.batch.loaded`` (batch, resource, region and row counts), delivered once
    the caller's transaction commits and dropped if it rolls back: the base libraries link the
    batch's records then (``masterdata.tasks``)."""
    report = quality_service.record_report(
        session,
        batch_id=batch.id,
        resource=resource,
        tally=tally,
        unknown_columns=mapping.unknown_columns,
    )
    order_id = batch.rectification_order_id
    if spool.count and origin is not BatchOrigin.rectification:
        order_id = failed_rows.hand_over(
            session, batch_id=batch.id, resource=resource, failed_rows=spool.count
        )
    batch.status = BatchStatus.loaded.value
    batch.row_count = outcome.total
    batch.inserted_rows, batch.updated_rows = merged.inserted, merged.updated
    batch.skipped_rows, batch.quarantined_rows = merged.skipped, spool.count
    batch.quarantine_omitted_rows = spool.omitted
    batch.score, batch.rectification_order_id = tally.score, order_id
    batch.finished_at = utcnow()
    _audit(
        session,
        batch,
        "ingest.batch.load",
        "success",
        rows=outcome.total,
        inserted=merged.inserted,
        updated=merged.updated,
        quarantined=spool.count,
        quarantine_omitted=spool.omitted,
        checksum=batch.checksum,
    )
    session.flush()
    publish(
        session,
        "ingest.batch.loaded",
        batch_id=batch.id,
        resource_code=batch.resource_code,
        region_code=batch.region_code,
        department_code=batch.department_code,
        rows=outcome.total,
        inserted=merged.inserted,
        updated=merged.updated,
        skipped=merged.skipped,
        quarantined=spool.count,
    )
    return BatchResult(
        batch.id,
        batch.resource_code,
        BatchStatus.loaded,
        row_count=outcome.total,
        inserted_rows=merged.inserted,
        updated_rows=merged.updated,
        skipped_rows=merged.skipped,
        quarantined_rows=spool.count,
        score=tally.score,
        checksum=batch.checksum,
        report_id=report.id,
        order_id=order_id,
        unknown_columns=list(mapping.unknown_columns),
    )


def store_quarantine(session: Session, batch_id: int, spool: QuarantineSpool) -> None:
    """Insert the spooled failed rows (still encrypted) in chunks of 5,000."""
    chunk: list[dict[str, Any]] = []
    for row, token, problems in spool:
        chunk.append(
            {"batch_id": batch_id, "source_row": row, "values_token": token, "problems": problems}
        )
        if len(chunk) >= _INSERT_CHUNK:
            session.execute(insert(IngestQuarantineRow), chunk)
            chunk = []
    if chunk:
        session.execute(insert(IngestQuarantineRow), chunk)
