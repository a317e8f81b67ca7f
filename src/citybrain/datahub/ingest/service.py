"""Commands of ingestion: load a file or any connector source into a resource's hub table,
queue a web upload and run it, pull a database table incrementally by watermark.

Invariants (every command): the batch is idempotent (the same source twice for the same
resource is recorded as ``duplicate`` and loads nothing; a record never replaces one with a
newer version) and atomic (rejected or failed batches leave the hub exactly as it was). Rows
that fail their rules are quarantined, never loaded. Commands flush, never commit; the audit
record is written in the caller's transaction, or, for the ``*_phased`` commands and
:func:`run_queued`, in short transactions of their own (see ``runner``), so that a large source
streams while the operational database is free for everyone else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, InvalidState, PermissionDenied, TooLarge
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.ingest.archive import check_file
from citybrain.datahub.ingest.config import get_ingest_settings
from citybrain.datahub.ingest.connectors import ConnectorError, open_source
from citybrain.datahub.ingest.errors import BatchRejected
from citybrain.datahub.ingest.manifest import file_manifest
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.ingest.pipeline import Progress
from citybrain.datahub.ingest.queries import get_batch
from citybrain.datahub.ingest.resources import load_resource
from citybrain.datahub.ingest.runner import Job, run
from citybrain.datahub.ingest.schemas import BatchOrigin, BatchResult, BatchStatus
from citybrain.datahub.ingest.transactions import Transactions

FILE_KINDS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}
_ROW_ERROR_KINDS = frozenset({"csv", "xlsx", "json", "http"})


def _defaults(settings: Settings | None, store: HubStore | None) -> tuple[Settings, HubStore]:
    settings = settings or get_settings()
    return settings, store or open_hub(settings)


def file_kind(path: Path, kind: str | None = None) -> str:
    """The connector kind of a file, from ``kind`` or its extension. BadInput
    ``unsupported_format`` (``.xls`` gets the hint to save it as ``.xlsx``)."""
    if kind:
        return kind
    suffix = path.suffix.lower()
    if suffix in FILE_KINDS:
        return FILE_KINDS[suffix]
    hint = "；旧版 .xls 文件请在 Excel 中另存为 .xlsx" if suffix == ".xls" else ""
    raise BadInput(
        f"不支持的文件类型“{suffix or path.name}”，支持 CSV、XLSX、JSON{hint}",
        code="unsupported_format",
        detail=path.name,
    )


def ingest_file(
    session: Session,
    *,
    resource_code: str,
    path: Path,
    kind: str | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    options: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """Load a CSV, XLSX or JSON file into ``resource_code``'s hub table, every phase in
    ``session`` (the caller's transaction; on SQLite it holds the write lock throughout, so
    long-running callers use :func:`ingest_file_phased`).

    The manifest checksum is the SM3 of the file bytes; a file already loaded for the resource
    gives a ``duplicate`` batch. ``mapping`` maps source columns to item names where titles and
    names do not match. ``progress(done, total)`` is called every 1,000 rows.
    Raises NotFound ``resource_not_found``, BadInput ``unsupported_format`` or
    ``file_not_found`` (no batch recorded), BatchRejected (a BadInput naming row and field:
    ``ragged_row``, ``bad_encoding``, ``missing_header``, ``missing_column``, …; the rejected
    batch row is flushed first) and BatchFailed (hub unchanged). Audited as
    ``ingest.batch.load`` / ``.duplicate`` / ``.reject`` / ``.fail``.
    """
    return ingest_file_phased(
        Transactions.joined(session),
        resource_code=resource_code,
        path=path,
        kind=kind,
        mapping=mapping,
        progress=progress,
        options=options,
        settings=settings,
        store=store,
    )


def ingest_file_phased(
    transactions: Transactions,
    *,
    resource_code: str,
    path: Path,
    kind: str | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    options: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """:func:`ingest_file` in short transactions (``runner``): with
    :meth:`Transactions.separate` the batch record is committed by the time this returns or
    raises, and the file streams while no transaction is open. Errors and audit as
    :func:`ingest_file`."""
    if not path.is_file():
        raise BadInput(f"文件不存在: {path.name}", code="file_not_found", detail=str(path))
    connector_kind = file_kind(path, kind)
    check_file(path, connector_kind)
    settings, store = _defaults(settings, store)
    checksum, total_hint = file_manifest(path, connector_kind)
    connector = _file_connector(connector_kind, path, options)

    def build(session: Session) -> Job:
        return Job(
            resource=load_resource(session, resource_code, scope=Scope.system()),  # job side
            origin=BatchOrigin.file,
            source_kind=connector_kind,
            source_name=path.name,
            connector=connector,
            checksum=checksum,
            mapping=dict(mapping or {}),
            progress=progress,
            total_hint=total_hint,
            source_path=str(path),
        )

    return run(transactions, build, settings=settings, store=store)


def _file_connector(kind: str, path: Path, options: Mapping[str, Any] | None) -> Any:
    extra = dict(options or {})
    if kind in _ROW_ERROR_KINDS:
        extra.setdefault("row_errors", "record")
    try:
        return open_source(kind, path=path, **extra)
    except ConnectorError as exc:
        raise BadInput(exc.message_zh, code=exc.code, detail=kind) from exc


def ingest_source(
    session: Session,
    *,
    resource_code: str,
    kind: str,
    options: Mapping[str, Any],
    source_name: str = "",
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """Load any connector source (``http``, ``sql``, or a file kind with ``path`` in
    ``options``). The checksum is the SM3 of the canonical rows, so the same rows again are a
    ``duplicate``. Errors and audit as :func:`ingest_file`."""
    settings, store = _defaults(settings, store)
    extra = dict(options)
    if kind in _ROW_ERROR_KINDS:
        extra.setdefault("row_errors", "record")
    # NotFound before the source opens; callers confine the resource before this point.
    resource = load_resource(session, resource_code, scope=Scope.system())
    try:
        connector = open_source(kind, **extra)
    except ConnectorError as exc:
        raise BadInput(exc.message_zh, code=exc.code, detail=kind) from exc

    job = Job(
        resource=resource,
        origin=BatchOrigin.pull,
        source_kind=kind,
        source_name=source_name or kind,
        connector=connector,
        checksum=None,
        mapping=dict(mapping or {}),
        progress=progress,
    )
    return run(Transactions.joined(session), lambda _: job, settings=settings, store=store)


def upload_folder(settings: Settings | None = None) -> Path:
    """Where uploads wait for their batch to run: ``CITYBRAIN_INGEST_UPLOAD_DIR``, default
    ``<home>/ingest``. A file lives there only until its batch ends (see :func:`run_queued`)."""
    return get_ingest_settings().upload_dir or (settings or get_settings()).home / "ingest"


def queue_upload(
    session: Session,
    *,
    resource_code: str,
    filename: str,
    upload: Path,
    mapping: Mapping[str, str] | None = None,
    scope: Scope,
    settings: Settings | None = None,
) -> IngestBatch:
    """Keep an uploaded file (``upload``, already streamed to disk under
    :func:`upload_folder`; renamed here, so the caller's clean-up leaves it) and record a
    ``queued`` batch for :func:`run_queued` (the web runs it in the background and shows its
    progress). ``filename`` is the name the user gave it.

    Raises NotFound ``resource_not_found``, PermissionDenied ``region_out_of_scope`` (the
    resource lies outside ``scope``, the caller's region and department), BadInput
    ``unsupported_format``, TooLarge ``upload_too_large`` (the file exceeds the cap; the
    upload route refuses it earlier, while it streams) and the archive refusals of
    ``archive.check_file`` (``zip_bomb``, ``too_many_rows``, …). Nothing is kept on a refusal.
    Audited as ``ingest.batch.queue``."""
    resource = load_resource(session, resource_code, scope=scope)
    if not catalog_scope.covers(scope, resource.region_code):
        raise PermissionDenied(
            f"资源 {resource.code} 不在本级管辖范围",
            code="region_out_of_scope",
            detail=resource.code,
        )
    if not scope.covers_department(resource.department_code):
        raise PermissionDenied(
            f"资源 {resource.code} 由其他部门提供, 只能归集本部门的数据",
            code="department_out_of_scope",
            detail=resource.code,
        )
    name = Path(filename or "upload").name
    kind = file_kind(Path(name))
    limit = get_ingest_settings().max_upload_mb
    if upload.stat().st_size > limit * 1024 * 1024:
        raise TooLarge(f"文件超过 {limit} MB 上限，请拆分后分批上传", code="upload_too_large")
    check_file(upload, kind)
    stored = upload.with_name(f"{uuid.uuid4().hex}{Path(name).suffix.lower()}")
    upload.rename(stored)
    batch = IngestBatch(
        resource_code=resource.code,
        resource_version=resource.version,
        department_code=resource.department_code,
        region_code=resource.region_code,
        origin=BatchOrigin.upload.value,
        source_kind=kind,
        source_name=name[:255],
        source_path=str(stored),
        mapping=json.dumps(dict(mapping or {}), ensure_ascii=False),
        status=BatchStatus.queued.value,
        created_by=actor_of(session).actor,
        created_at=utcnow(),
    )
    session.add(batch)
    session.flush()
    audit.record(
        session,
        action="ingest.batch.queue",
        object_type="ingest_batch",
        object_id=str(batch.id),
        region_code=resource.region_code,
        detail={"resource_code": resource.code, "source": name},
    )
    return batch


def run_queued(
    transactions: Transactions,
    *,
    batch_id: int,
    progress: Progress | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """Run a ``queued`` batch from its stored file (progress goes to the in-memory registry),
    in short transactions as :func:`ingest_file_phased`; the batch is ``running`` while its
    file streams.

    The stored file is deleted when the batch ends, whatever the outcome (it holds personal
    data in clear). Raises NotFound ``batch_not_found``, InvalidState ``batch_not_queued``
    (also when another worker took it first; its file is left to that worker), and whatever
    :func:`ingest_file` raises."""
    with transactions() as session:
        queued = _queued(session, batch_id)
        path, kind = Path(queued.source_path), queued.source_kind
        name, columns = queued.source_name, json.loads(queued.mapping or "{}")
    settings, store = _defaults(settings, store)
    try:
        checksum, total_hint = file_manifest(path, kind)
        connector = _file_connector(kind, path, None)

        def build(session: Session) -> Job:
            return Job(
                resource=load_resource(
                    session, _queued(session, batch_id).resource_code, scope=Scope.system()
                ),  # the job of an upload the caller already started in its scope
                origin=BatchOrigin.upload,
                source_kind=kind,
                source_name=name,
                connector=connector,
                checksum=checksum,
                mapping=columns,
                progress=progress,
                total_hint=total_hint,
                batch_id=batch_id,
                source_path=str(path),
            )

        return run(transactions, build, settings=settings, store=store)
    finally:
        # The raw file holds personal data in clear; once its batch has ended (loaded,
        # duplicate, rejected or failed) nothing reads it again: the hub and the encrypted
        # quarantine hold what was kept, and a retry is a new upload.
        path.unlink(missing_ok=True)


def _queued(session: Session, batch_id: int) -> IngestBatch:
    batch = get_batch(session, batch_id, scope=Scope.system())  # the job side of an upload
    if batch.status != BatchStatus.queued.value:
        raise InvalidState(
            f"批次 {batch_id} 不在排队状态", code="batch_not_queued", detail=batch_id
        )
    return batch


__all__ = [
    "BatchRejected",
    "file_kind",
    "ingest_file",
    "ingest_file_phased",
    "ingest_source",
    "queue_upload",
    "run_queued",
]
