"""Reads of ingestion: batches with their report and live progress, quarantined rows."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.ingest import progress as progress_registry
from citybrain.datahub.ingest.models import IngestBatch, IngestQuarantineRow
from citybrain.datahub.ingest.schemas import (
    BatchDetail,
    BatchFilter,
    BatchPage,
    BatchRead,
    BatchStatus,
    ProgressRead,
)
from citybrain.datahub.quality import queries as quality_queries


def get_batch(session: Session, batch_id: int, *, scope: Scope) -> IngestBatch:
    """The batch ``batch_id``; NotFound ``batch_not_found`` also outside the caller's region or
    of a department the caller does not cover."""
    batch = session.get(IngestBatch, batch_id)
    if batch is None or not (
        catalog_scope.covers(scope, batch.region_code)
        and scope.covers_department(batch.department_code)
    ):
        raise NotFound(f"归集批次不存在: {batch_id}", code="batch_not_found", detail=batch_id)
    return batch


def batch_detail(session: Session, batch_id: int, *, scope: Scope) -> BatchDetail:
    """A batch with its quality report and, while this process runs it, its progress."""
    batch = get_batch(session, batch_id, scope=scope)
    report = quality_queries.report_of_batch(session, batch_id)
    live = progress_registry.get(batch_id)
    detail = BatchDetail.model_validate(batch)
    if report is not None:
        detail.report = report
    if live is not None:
        detail.progress = ProgressRead(done=live.done, total=live.total, finished=live.finished)
        if batch.status == BatchStatus.queued.value and not live.finished:
            detail.status = BatchStatus.running
    return detail


def batch_progress(session: Session, batch_id: int, *, scope: Scope) -> ProgressRead:
    """Live progress while this process runs the batch, else what its record says."""
    detail = batch_detail(session, batch_id, scope=scope)
    if detail.progress is not None:
        return detail.progress
    finished = detail.status not in (BatchStatus.queued, BatchStatus.running)
    return ProgressRead(done=detail.row_count, total=detail.row_count or None, finished=finished)


def list_batches(
    session: Session, filters: BatchFilter, params: PageParams, *, scope: Scope
) -> BatchPage:
    """Batches newest first, within the caller's region subtree and departments."""
    query: Select[IngestBatch] = (
        select(IngestBatch)
        .where(catalog_scope.owned_by(scope, IngestBatch.region_code, IngestBatch.department_code))
        .order_by(IngestBatch.id.desc())
    )
    if filters.resource_code:
        query = query.where(IngestBatch.resource_code == filters.resource_code)
    if filters.department_code:
        query = query.where(IngestBatch.department_code == filters.department_code)
    if filters.status is not None:
        query = query.where(IngestBatch.status == filters.status.value)
    rows, total = paginate(session, query, params)
    return BatchPage(
        items=[BatchRead.model_validate(b) for b in rows],
        total=total,
        page=params.page,
        size=params.size,
    )


def loaded_with_checksum(session: Session, resource_code: str, checksum: str) -> IngestBatch | None:
    """The earliest loaded batch of ``resource_code`` with this manifest checksum, if any."""
    return session.execute(
        select(IngestBatch)
        .where(
            IngestBatch.resource_code == resource_code,
            IngestBatch.checksum == checksum,
            IngestBatch.status == BatchStatus.loaded.value,
        )
        .order_by(IngestBatch.id)
        .limit(1)
    ).scalar_one_or_none()


def quarantined_rows(
    session: Session, batch_id: int, *, unresolved_only: bool = True
) -> list[IngestQuarantineRow]:
    """Quarantined rows of a batch in source order (values still encrypted)."""
    query = select(IngestQuarantineRow).where(IngestQuarantineRow.batch_id == batch_id)
    if unresolved_only:
        query = query.where(IngestQuarantineRow.resolved_at.is_(None))
    return list(session.execute(query.order_by(IngestQuarantineRow.source_row)).scalars())
