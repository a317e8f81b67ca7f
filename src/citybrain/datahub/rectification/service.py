"""Download the failed rows of a rectification order as Excel; resubmit them fixed."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.audit.pii import PiiAccess, record_pii_access
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.errors import BadInput
from citybrain.core.scope import Scope
from citybrain.datahub.ingest import queries as ingest_queries
from citybrain.datahub.ingest.connectors import ConnectorError, SourceRecord, XlsxConnector
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.manifest import file_checksum
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.ingest.pipeline import QuarantineSpool, decrypt_quarantined
from citybrain.datahub.ingest.resources import field_cipher, load_resource
from citybrain.datahub.ingest.runner import Job, execute
from citybrain.datahub.ingest.schemas import BatchOrigin
from citybrain.datahub.rectification import orders
from citybrain.datahub.rectification.excel import (
    PROBLEM_COLUMN,
    ROW_COLUMN,
    failed_rows_workbook,
    problem_text,
)
from citybrain.datahub.rectification.queries import get_order
from citybrain.datahub.rectification.schemas import OrderStatus, ResubmitResult


def download_failed_rows_xlsx(
    session: Session,
    *,
    order_id: int,
    scope: Scope,
    settings: Settings | None = None,
) -> bytes:
    """The rows of the order that have not passed yet, decrypted, as an .xlsx workbook: 原行号,
    the source columns as uploaded, and 问题说明 naming each failed field and its reason.

    This reveals personal data to the caller: it is audited as
    ``quality.rectification.download`` (a read of personal data). Raises NotFound
    ``order_not_found`` (also outside ``scope``, the caller's region and department)."""
    order = get_order(session, order_id, scope=scope)
    cipher = field_cipher(settings or get_settings())
    columns: dict[str, None] = {}
    rows = []
    for q in ingest_queries.quarantined_rows(session, order.batch_id):
        values = decrypt_quarantined(cipher, q.values_token)
        columns.update(dict.fromkeys(k for k in values if k not in (ROW_COLUMN, PROBLEM_COLUMN)))
        rows.append((q.source_row, values, problem_text(json.loads(q.problems))))
    record_pii_access(
        session,
        kind=PiiAccess.download,
        action="quality.rectification.download",
        object_type="rectification_order",
        object_id=str(order.id),
        region_code=order.region_code,
        fields=columns,
        count=len(rows),
        extra={
            "personal_data": True,
            "rows": len(rows),
            "batch_id": order.batch_id,
            "resource_code": order.resource_code,
            "department_code": order.department_code,
        },
    )
    return failed_rows_workbook(list(columns), rows)


def resubmit(
    session: Session,
    *,
    order_id: int,
    data: bytes,
    scope: Scope,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> ResubmitResult:
    """Validate the fixed workbook of an order: only rows whose 原行号 is one of the order's
    open rows count (others are ignored). Passing rows load into the hub as a new batch linked
    to the order and are marked resolved; failing rows keep the order open with their latest
    values and problems. The order closes when no row remains.

    Raises NotFound ``order_not_found`` (also outside ``scope``), InvalidState
    ``order_closed``, BadInput
    ``missing_column`` (no 原行号 column) or ``unsupported_format``, BatchRejected and
    BatchFailed (the order is then open again, nothing loaded). Audited through the batch
    (``ingest.batch.load``) and the order (``quality.rectification.resubmit`` / ``close``)."""
    settings = settings or get_settings()
    store = store or open_hub(settings)
    order = get_order(session, order_id, scope=scope)
    origin = ingest_queries.get_batch(session, order.batch_id, scope=scope)
    resource = load_resource(session, order.resource_code, scope=scope)
    open_rows = {q.source_row: q for q in ingest_queries.quarantined_rows(session, origin.id)}
    with tempfile.TemporaryDirectory(prefix="citybrain-resubmit-") as folder:
        path = Path(folder) / "resubmit.xlsx"
        path.write_bytes(data)
        connector = XlsxConnector(path, row_errors="record")
        _require_row_column(connector)
        orders.begin_resubmission(session, order_id=order.id, scope=scope)
        chosen: set[int] = set()
        failed: set[int] = set()
        ignored: list[int] = []

        def select(record: SourceRecord) -> int | None:
            number = _row_number(record.values.get(ROW_COLUMN))
            if number is None or number not in open_rows or number in chosen:
                ignored.append(record.row)
                return None
            chosen.add(number)
            return number

        def settle_rows(session: Session, batch: IngestBatch, spool: QuarantineSpool) -> None:
            now = utcnow()
            for row, token, problems in spool:
                failed.add(row)
                open_rows[row].values_token, open_rows[row].problems = token, problems
            for row in chosen - failed:
                open_rows[row].resolved_batch_id, open_rows[row].resolved_at = batch.id, now
            session.flush()

        job = Job(
            resource=resource,
            origin=BatchOrigin.rectification,
            source_kind="xlsx",
            source_name=f"整改单{order.id}重报.xlsx",
            connector=connector,
            checksum=file_checksum(path),
            mapping=json.loads(origin.mapping or "{}"),
            ignore_columns=frozenset({ROW_COLUMN, PROBLEM_COLUMN}),
            select=select,
            order_id=order.id,
            on_quarantine=settle_rows,
        )
        try:
            result = execute(session, job, settings=settings, store=store)
        except (BatchRejected, BatchFailed):
            order.status = OrderStatus.open.value
            session.flush()
            raise
    remaining = sum(1 for q in open_rows.values() if q.resolved_at is None)
    orders.settle_order(session, order=order, batch_id=result.batch_id, remaining_rows=remaining)
    return ResubmitResult(
        order_id=order.id,
        batch_id=result.batch_id,
        status=OrderStatus(order.status),
        submitted_rows=len(chosen),
        passed_rows=len(chosen - failed),
        failed_rows=len(failed),
        remaining_rows=remaining,
        ignored_rows=len(ignored),
    )


def _require_row_column(connector: XlsxConnector) -> None:
    try:
        columns = connector.columns()
    except ConnectorError as exc:
        raise BadInput(
            exc.message_zh, code=exc.code, detail={"row": exc.row, "field": exc.field}
        ) from exc
    if ROW_COLUMN not in columns:
        raise BadInput(
            f"重报文件缺少“{ROW_COLUMN}”列，请在下载的整改表上修改后重报",
            code="missing_column",
            detail={"column": ROW_COLUMN},
        )


def _row_number(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


__all__ = ["download_failed_rows_xlsx", "resubmit"]
