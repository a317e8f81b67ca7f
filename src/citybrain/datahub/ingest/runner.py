"""One batch from source to hub, in three phases, so the operational database is touched only
in short transactions (on SQLite each one holds the write lock, ``BEGIN IMMEDIATE``).

A. **Prepare** (one short transaction): build the job, load the resource and compile its rules
   with everything they look up (every region code, the keys of referenced resources), check
   the file checksum against the loaded batches (a duplicate is recorded right there and the
   batch ends), and mark the batch row ``running`` (the queued one, or a new one): its id is
   what the hub rows carry. The result is a plain in-memory :class:`Plan`.
B. **Load** (no operational session): map the columns, stream and check the records, stage the
   passing rows into DuckDB, spool the failing ones encrypted to a temporary file, and merge
   the staged rows into the hub in one DuckDB transaction. Sources checksummed by their rows
   (database, HTTP) are checked for a duplicate in a short read just before the merge. A
   structural source error or a staging/merge error is kept, not raised.
C. **Settle** (one short transaction): re-check the checksum under a per-resource lock (two
   identical uploads racing end as one load and one duplicate), then write the batch row's end
   state, the quarantined rows, the report, the rectification order and the audit record.
   A rejected or failed batch is raised only after this transaction, so its record stays.

The hub and the operational database are two stores: if phase C fails after the merge, the
hub keeps rows whose batch is not ``loaded`` (the web job marks it ``failed``); loading the
same source again is harmless (equal versions are skipped), which is how it is recovered.
Two identical sources racing for a resource without a version item both merge; the rows are
equal, but they carry the later batch's id even if that batch ends as the duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, HubTableSpec, MergeResult
from citybrain.core.config import Settings
from citybrain.core.crypto import FieldCipher, hmac_sm3
from citybrain.core.errors import BadInput, InvalidState
from citybrain.datahub.ingest import progress as registry
from citybrain.datahub.ingest import settle
from citybrain.datahub.ingest.bulk import BulkOptions, BulkUnavailable, bulk_connector, run_bulk
from citybrain.datahub.ingest.config import get_ingest_settings
from citybrain.datahub.ingest.connectors import Connector, ConnectorError, SourceRecord
from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor
from citybrain.datahub.ingest.mapping import ColumnMapping, map_columns
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.ingest.pipeline import (
    FailLimit,
    PipelineOutcome,
    Progress,
    QuarantineSpool,
    TooManyFailures,
    hub_spec_for,
    run_pipeline,
)
from citybrain.datahub.ingest.queries import loaded_with_checksum
from citybrain.datahub.ingest.resources import compiled_rules, field_cipher
from citybrain.datahub.ingest.schemas import BatchOrigin, BatchResult, BatchStatus
from citybrain.datahub.ingest.transactions import Transactions
from citybrain.datahub.quality.checks import CompiledRules
from citybrain.datahub.quality.config import get_quality_settings
from citybrain.datahub.quality.report import QualityTally
from citybrain.datahub.quality.rules import ResourceSpec, required_items

QuarantineHandler = Callable[[Session, IngestBatch, QuarantineSpool], None]
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Job:
    """One batch to run. ``checksum`` None means: hash the canonical rows (DB/HTTP sources).

    The callbacks run in phase C's session: ``on_quarantine`` stores the failed rows instead
    of the default (resubmissions), ``on_settled`` runs after a load or a duplicate
    (watermarks)."""

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
    batch_id: int | None = None  # a queued batch created earlier
    order_id: int | None = None
    source_path: str = ""
    on_quarantine: QuarantineHandler | None = None
    on_settled: Callable[[Session], None] | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What phase A hands to phase B: no session, no ORM object."""

    job: Job
    rules: CompiledRules
    spec: HubTableSpec
    cipher: FieldCipher
    batch_id: int


@dataclass(frozen=True, slots=True)
class _Refusal:
    code: str
    message: str
    row: int | None
    field: str | None
    report: bool = False  # the rows checked before stopping have a quality report to show


@dataclass(slots=True)
class _Loaded:
    """What phase B hands to phase C."""

    tally: QualityTally
    spool: QuarantineSpool
    mapping: ColumnMapping | None = None
    outcome: PipelineOutcome | None = None
    merged: MergeResult | None = None
    checksum: str = ""
    duplicate_of: int | None = None
    refusal: _Refusal | None = None
    failure: Exception | None = None


def run(
    transactions: Transactions,
    build: Callable[[Session], Job],
    *,
    settings: Settings,
    store: HubStore,
) -> BatchResult:
    """Run the job that ``build`` makes in phase A's session; see the module doc.

    Raises whatever ``build`` or preparing raises (nothing written), BatchRejected (status
    ``rejected``), BatchFailed (status ``failed``, hub unchanged) or the DomainError that
    failed the batch (say ``hub_schema_conflict``); the batch record is written first."""
    with transactions() as session:
        job = build(session)
        prepared = _prepare(session, job, settings=settings, store=store)
    try:
        if isinstance(prepared, BatchResult):
            return prepared
        loaded = _load(transactions, prepared, settings=settings, store=store)
        try:
            with transactions() as session:
                settled = _settle(session, prepared, loaded)
        finally:
            loaded.spool.close()
    finally:
        if job.batch_id is not None:
            registry.finish(job.batch_id)
    if isinstance(settled, Exception):
        raise settled
    return settled


def execute(session: Session, job: Job, *, settings: Settings, store: HubStore) -> BatchResult:
    """Run ``job`` with every phase in ``session`` (the caller owns the transaction)."""
    return run(Transactions.joined(session), lambda _: job, settings=settings, store=store)


def _prepare(
    session: Session, job: Job, *, settings: Settings, store: HubStore
) -> Plan | BatchResult:
    """Phase A. Returns the plan, or the result of a batch recorded as duplicate."""
    resource = job.resource
    cipher = field_cipher(settings)
    spec = hub_spec_for(resource)
    rules = compiled_rules(session, resource, store=store, cipher=cipher)
    batch = _running_batch(session, job)
    batch.checksum = job.checksum or ""
    if job.checksum and job.origin is not BatchOrigin.rectification:
        earlier = loaded_with_checksum(session, resource.code, job.checksum)
        if earlier is not None:
            result = settle.duplicate(
                session, batch, checksum=job.checksum, earlier=earlier.id, rows=earlier.row_count
            )
            if job.on_settled is not None:
                job.on_settled(session)
            return result
    session.flush()
    return Plan(job, rules, spec, cipher, batch.id)


def _running_batch(session: Session, job: Job) -> IngestBatch:
    if job.batch_id is None:
        return settle.new_batch(
            session,
            job.resource,
            origin=job.origin,
            source_kind=job.source_kind,
            source_name=job.source_name,
            source_path=job.source_path,
            mapping=job.mapping,
            order_id=job.order_id,
        )
    batch = session.get(IngestBatch, job.batch_id)
    if batch is None:
        raise InvalidState(f"批次 {job.batch_id} 不存在", code="batch_not_found")
    batch.status = BatchStatus.running.value
    session.flush()
    return batch


def _load(
    transactions: Transactions, plan: Plan, *, settings: Settings, store: HubStore
) -> _Loaded:
    """Phase B: nothing here opens an operational session, except the short duplicate read
    of a source checksummed by its rows. Never raises for the batch's own errors."""
    job, resource = plan.job, plan.job.resource
    loaded = _Loaded(
        QualityTally(
            titles={i.name: i.title for i in resource.items},
            masks={i.name: i.mask for i in resource.items},
            examples_per_rule=get_quality_settings().examples_per_rule,
        ),
        QuarantineSpool(plan.cipher, keep=get_ingest_settings().max_quarantine_rows),
    )
    try:
        loaded.mapping = map_columns(
            resource,
            job.connector.columns(),
            explicit=job.mapping,
            required=required_items(plan.rules.rules),
            ignore=job.ignore_columns,
        )
    except ConnectorError as exc:
        loaded.refusal = _Refusal(exc.code, exc.message_zh, exc.row, exc.field)
        return loaded
    except BadInput as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {}
        loaded.refusal = _Refusal(exc.code, exc.message, None, str(detail.get("column", "")))
        return loaded
    ingest_settings = get_ingest_settings()
    index_key = settings.key("blind_index_key")
    encryptor = ColumnEncryptor(
        plan.cipher,
        keys=(settings.key("field_key"), index_key),
        workers=ingest_settings.crypto_workers,
    )
    fail_limit = FailLimit(ingest_settings.max_fail_share, ingest_settings.min_rows_for_fail_share)
    bulk = None
    if ingest_settings.bulk and job.records is None and job.select is None and job.checksum:
        bulk = bulk_connector(job.connector, plan.rules)
    try:
        with store.staging(plan.spec) as staging:
            try:
                outcome = None
                if bulk is not None:
                    try:
                        outcome = run_bulk(
                            bulk,
                            rules=plan.rules,
                            mapping=loaded.mapping,
                            sink=staging,
                            spool=loaded.spool,
                            tally=loaded.tally,
                            encryptor=encryptor,
                            options=BulkOptions(
                                memory_mb=ingest_settings.bulk_memory_mb,
                                chunk_rows=ingest_settings.chunk_rows,
                                today=date.today(),
                            ),
                            progress=_progress(job),
                            fail_limit=fail_limit,
                            total_hint=job.total_hint,
                        )
                        log.debug("batch %s read in bulk", plan.batch_id)
                    except BulkUnavailable as exc:
                        log.info("batch %s read row by row: %s", plan.batch_id, exc)
                if outcome is None:
                    outcome = run_pipeline(
                        job.records() if job.records else job.connector.iter_records(),
                        rules=plan.rules,
                        mapping=loaded.mapping,
                        cipher=plan.cipher,
                        sink=staging,
                        spool=loaded.spool,
                        tally=loaded.tally,
                        progress=_progress(job),
                        total_hint=job.total_hint,
                        chunk_rows=ingest_settings.chunk_rows,
                        hash_rows=job.checksum is None,
                        select=job.select,
                        encryptor=encryptor,
                        row_key=lambda text: hmac_sm3(index_key, text.encode()).hex(),
                        fail_limit=fail_limit,
                    )
            except ConnectorError as exc:
                loaded.refusal = _Refusal(exc.code, exc.message_zh, exc.row, exc.field)
                return loaded
            except TooManyFailures as exc:
                loaded.refusal = _Refusal(exc.code, exc.message_zh, exc.row, None, report=True)
                return loaded
            finally:
                encryptor.close()
            loaded.outcome = outcome
            loaded.checksum = job.checksum or outcome.row_checksum or ""
            if job.checksum is None and outcome.total:
                with transactions() as session:
                    earlier = loaded_with_checksum(session, resource.code, loaded.checksum)
                    loaded.duplicate_of = None if earlier is None else earlier.id
                if loaded.duplicate_of is not None:
                    return loaded
            loaded.merged = staging.merge(batch_id=plan.batch_id)
    except Exception as exc:  # staging, encryption or the merge broke: the batch failed
        loaded.failure = exc
    return loaded


def _progress(job: Job) -> Progress | None:
    if job.batch_id is None:
        return job.progress
    batch_id, outer = job.batch_id, job.progress

    def report(done: int, total: int | None) -> None:
        registry.update(batch_id, done, total)
        if outer is not None:
            outer(done, total)

    return report


def _settle(session: Session, plan: Plan, loaded: _Loaded) -> BatchResult | Exception:
    """Phase C. Returns the result, or the error to raise once the record is committed."""
    job = plan.job
    batch = session.get(IngestBatch, plan.batch_id)
    if batch is None:
        raise InvalidState(f"批次 {plan.batch_id} 不存在", code="batch_not_found")
    if loaded.refusal is not None:
        refusal = loaded.refusal
        if refusal.report and loaded.mapping is not None:
            settle.report_checked(session, batch, job.resource, loaded.tally, loaded.mapping)
        return settle.reject(
            session, batch, refusal.code, refusal.message, row=refusal.row, field=refusal.field
        )
    if loaded.failure is not None:
        return settle.fail(session, batch, loaded.failure)
    outcome, mapping = loaded.outcome, loaded.mapping
    if outcome is None or mapping is None:
        raise InvalidState(f"批次 {batch.id} 未完成加载", code="batch_not_loaded")
    earlier = loaded.duplicate_of
    recheck = job.origin is not BatchOrigin.rectification and bool(job.checksum or outcome.total)
    if earlier is None and recheck:
        settle.lock_resource(session, job.resource.code)
        found = loaded_with_checksum(session, job.resource.code, loaded.checksum)
        earlier = found.id if found is not None and found.id != batch.id else None
    if earlier is not None:
        result = settle.duplicate(
            session, batch, checksum=loaded.checksum, earlier=earlier, rows=outcome.total
        )
    elif loaded.merged is None:
        raise InvalidState(f"批次 {batch.id} 未完成合并", code="batch_not_loaded")
    else:
        batch.checksum, batch.row_count = loaded.checksum, outcome.total
        if job.on_quarantine is not None:
            job.on_quarantine(session, batch, loaded.spool)
        else:
            settle.store_quarantine(session, batch.id, loaded.spool)
        result = settle.loaded(
            session,
            batch,
            resource=job.resource,
            origin=job.origin,
            outcome=outcome,
            merged=loaded.merged,
            mapping=mapping,
            tally=loaded.tally,
            spool=loaded.spool,
        )
    if job.on_settled is not None:
        job.on_settled(session)
    return result
