"""One batch from source to hub: the steps every ingest path shares.

Order of work, and why:
1. Everything that only reads (catalog, rules, duplicate check, streaming, validation, staging
   into DuckDB) happens before the batch row is written, so the operational database's write
   lock (SQLite) is not held while a large source streams.
2. The batch row is written and flushed (it gives the hub rows their ``_batch_id``), then the
   staged rows are merged into the hub in one DuckDB transaction.
3. Quarantined rows, the quality report, the rectification order and the audit record follow in
   the caller's transaction.
The hub and the operational database are two stores: if the caller's transaction rolls back
after step 2, the hub keeps rows whose batch record is gone; loading the same source again is
harmless (equal versions are skipped), which is how such a batch is recovered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from sqlalchemy import insert
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, MergeResult
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import actor_of
from citybrain.core.crypto import hmac_sm3
from citybrain.core.errors import BadInput
from citybrain.datahub.ingest import progress as registry
from citybrain.datahub.ingest.config import get_ingest_settings
from citybrain.datahub.ingest.connectors import Connector, ConnectorError, SourceRecord
from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.mapping import ColumnMapping, map_columns
from citybrain.datahub.ingest.models import IngestBatch, IngestQuarantineRow
from citybrain.datahub.ingest.pipeline import (
    PipelineOutcome,
    Progress,
    QuarantineSpool,
    hub_spec_for,
    run_pipeline,
)
from citybrain.datahub.ingest.queries import loaded_with_checksum
from citybrain.datahub.ingest.resources import compiled_rules, field_cipher
from citybrain.datahub.ingest.schemas import BatchOrigin, BatchResult, BatchStatus
from citybrain.datahub.quality import service as quality_service
from citybrain.datahub.quality.config import get_quality_settings
from citybrain.datahub.quality.report import QualityTally
from citybrain.datahub.quality.rules import ResourceSpec, required_items

QuarantineHandler = Callable[[Session, IngestBatch, QuarantineSpool], None]
_INSERT_CHUNK = 5000


@dataclass(slots=True)
class Job:
    """One batch to run. ``checksum`` None means: hash the canonical rows (DB/HTTP sources)."""

    resource: ResourceSpec
    origin: BatchOrigin
    source_kind: str
    source_name: str
    connector: Connector
    checksum: str | None
    mapping: dict[str, str] = field(default_factory=dict)
    records: Callable[[], Iterable[SourceRecord]] | None = None
    ignore_columns: frozenset[str] = frozenset()
    select: Callable[[SourceRecord], int | None] | None = None
    progress: Progress | None = None
    total_hint: int | None = None
    batch: IngestBatch | None = None  # a queued batch created earlier
    order_id: int | None = None
    source_path: str = ""
    on_quarantine: QuarantineHandler | None = None
    on_settled: Callable[[], None] | None = None  # after a load or a duplicate (watermarks)


def execute(session: Session, job: Job, *, settings: Settings, store: HubStore) -> BatchResult:
    """Run ``job``; see the module doc. Raises BatchRejected (the batch row, status
    ``rejected``, is flushed first) and BatchFailed (status ``failed``, hub unchanged)."""
    resource = job.resource
    cipher = field_cipher(settings)
    spec = hub_spec_for(resource)
    rules = compiled_rules(session, resource, store=store, cipher=cipher)
    if job.checksum and job.origin is not BatchOrigin.rectification:
        earlier = loaded_with_checksum(session, resource.code, job.checksum)
        if earlier is not None:
            return _duplicate(session, job, job.checksum, earlier.id, rows=earlier.row_count)
    try:
        mapping = map_columns(
            resource,
            job.connector.columns(),
            explicit=job.mapping,
            required=required_items(rules.rules),
            ignore=job.ignore_columns,
        )
    except ConnectorError as exc:
        _reject(session, job, exc.code, exc.message_zh, row=exc.row, field=exc.field)
    except BadInput as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        _reject(session, job, exc.code, exc.message, row=None, field=str(detail.get("column", "")))
    tally = QualityTally(
        titles={i.name: i.title for i in resource.items},
        masks={i.name: i.mask for i in resource.items},
        examples_per_rule=get_quality_settings().examples_per_rule,
    )
    spool = QuarantineSpool(cipher)
    progress = _progress(job)
    ingest_settings = get_ingest_settings()
    index_key = settings.key("blind_index_key")
    encryptor = ColumnEncryptor(
        cipher,
        keys=(settings.key("field_key"), index_key),
        workers=ingest_settings.crypto_workers,
    )
    try:
        with store.staging(spec) as staging:
            try:
                outcome = run_pipeline(
                    job.records() if job.records else job.connector.iter_records(),
                    rules=rules,
                    mapping=mapping,
                    cipher=cipher,
                    sink=staging,
                    spool=spool,
                    tally=tally,
                    progress=progress,
                    total_hint=job.total_hint,
                    chunk_rows=ingest_settings.chunk_rows,
                    hash_rows=job.checksum is None,
                    select=job.select,
                    encryptor=encryptor,
                    row_key=lambda text: hmac_sm3(index_key, text.encode()).hex(),
                )
            except ConnectorError as exc:
                _reject(session, job, exc.code, exc.message_zh, row=exc.row, field=exc.field)
            except Exception as exc:  # staging or encryption broke: record it as failed
                _fail(session, _materialise(session, job, BatchStatus.running), exc)
            finally:
                encryptor.close()
            checksum = job.checksum or outcome.row_checksum or ""
            if job.checksum is None and outcome.total:
                earlier = loaded_with_checksum(session, resource.code, checksum)
                if earlier is not None:
                    return _duplicate(session, job, checksum, earlier.id, rows=outcome.total)
            batch = _materialise(session, job, BatchStatus.running)
            batch.checksum, batch.row_count = checksum, outcome.total
            try:
                merged = staging.merge(batch_id=batch.id)
            except Exception as exc:
                _fail(session, batch, exc)
        return _record(session, job, batch, outcome, merged, mapping, tally, spool)
    finally:
        spool.close()
        if job.batch is not None:
            registry.finish(job.batch.id)


def _progress(job: Job) -> Progress | None:
    if job.batch is None:
        return job.progress
    batch_id, outer = job.batch.id, job.progress

    def report(done: int, total: int | None) -> None:
        registry.update(batch_id, done, total)
        if outer is not None:
            outer(done, total)

    return report


def _materialise(session: Session, job: Job, status: BatchStatus) -> IngestBatch:
    """The batch row (the queued one, or a new one), flushed so it has an id."""
    batch = job.batch
    if batch is None:
        resource = job.resource
        batch = IngestBatch(
            resource_code=resource.code,
            resource_version=resource.version,
            department_code=resource.department_code,
            region_code=resource.region_code,
            origin=job.origin.value,
            source_kind=job.source_kind,
            source_name=job.source_name[:255],
            source_path=job.source_path,
            mapping=json.dumps(job.mapping, ensure_ascii=False),
            checksum=job.checksum or "",
            created_by=actor_of(session).actor,
            created_at=utcnow(),
            rectification_order_id=job.order_id,
        )
        session.add(batch)
    batch.status = status.value
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


def _duplicate(
    session: Session, job: Job, checksum: str, earlier: int, *, rows: int
) -> BatchResult:
    batch = _materialise(session, job, BatchStatus.duplicate)
    batch.checksum, batch.duplicate_of, batch.row_count = checksum, earlier, rows
    batch.finished_at = utcnow()
    _audit(session, batch, "ingest.batch.duplicate", "success", duplicate_of=earlier)
    session.flush()
    if job.on_settled is not None:
        job.on_settled()
    return BatchResult(
        batch.id,
        batch.resource_code,
        BatchStatus.duplicate,
        row_count=rows,
        checksum=checksum,
        duplicate_of=earlier,
    )


def _reject(
    session: Session, job: Job, code: str, message: str, *, row: int | None, field: str | None
) -> NoReturn:
    batch = _materialise(session, job, BatchStatus.rejected)
    batch.error_code, batch.error_message = code, message
    batch.error_row, batch.error_field = row, field or ""
    batch.finished_at = utcnow()
    _audit(session, batch, "ingest.batch.reject", "failure", code=code, row=row, field=field)
    session.flush()
    raise BatchRejected(message, code=code, batch_id=batch.id, detail={"row": row, "field": field})


def _fail(session: Session, batch: IngestBatch, exc: Exception) -> NoReturn:
    batch.status = BatchStatus.failed.value
    batch.error_code = "ingest_failed"
    batch.error_message = f"{type(exc).__name__}: {exc}"[:500]
    batch.finished_at = utcnow()
    _audit(session, batch, "ingest.batch.fail", "failure", error=type(exc).__name__)
    session.flush()
    raise BatchFailed(
        "入库失败，中枢数据保持不变，请稍后重试",
        batch_id=batch.id,
        detail={"error": type(exc).__name__},
    ) from exc


def _record(
    session: Session,
    job: Job,
    batch: IngestBatch,
    outcome: PipelineOutcome,
    merged: MergeResult,
    mapping: ColumnMapping,
    tally: QualityTally,
    spool: QuarantineSpool,
) -> BatchResult:
    if job.on_quarantine is not None:
        job.on_quarantine(session, batch, spool)
    else:
        _store_quarantine(session, batch.id, spool)
    report = quality_service.record_report(
        session,
        batch_id=batch.id,
        resource=job.resource,
        tally=tally,
        unknown_columns=mapping.unknown_columns,
    )
    order_id = job.order_id
    if spool.count and job.origin is not BatchOrigin.rectification:
        order_id = quality_service.open_order(
            session, batch_id=batch.id, resource=job.resource, failed_rows=spool.count
        ).id
    batch.status = BatchStatus.loaded.value
    batch.inserted_rows, batch.updated_rows = merged.inserted, merged.updated
    batch.skipped_rows, batch.quarantined_rows = merged.skipped, spool.count
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
        checksum=batch.checksum,
    )
    session.flush()
    if job.on_settled is not None:
        job.on_settled()
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


def _store_quarantine(session: Session, batch_id: int, spool: QuarantineSpool) -> None:
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
