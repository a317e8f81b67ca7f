"""Commands on rectification orders (整改单): open one for a loaded batch's failed rows (the
handler of ingest's failed-rows port, installed by :func:`install`), and mark a resubmission
begun and settled. Every command flushes (never commits) and writes its audit record in the
caller's transaction; the audit actions keep their ``quality.rectification.*`` names."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.errors import InvalidState
from citybrain.core.scope import Scope
from citybrain.datahub.ingest import failed_rows as failed_rows_port
from citybrain.datahub.quality.config import get_quality_settings
from citybrain.datahub.quality.rules import ResourceSpec
from citybrain.datahub.rectification.models import QualityRectificationOrder
from citybrain.datahub.rectification.queries import get_order
from citybrain.datahub.rectification.schemas import OrderStatus


def install() -> None:
    """Open an order for every loaded batch with failed rows (idempotent;
    ``citybrain.domains.load`` calls it)."""
    failed_rows_port.install(_open_for_batch)


def _open_for_batch(
    session: Session, *, batch_id: int, resource: ResourceSpec, failed_rows: int
) -> int:
    return open_order(session, batch_id=batch_id, resource=resource, failed_rows=failed_rows).id


def open_order(
    session: Session, *, batch_id: int, resource: ResourceSpec, failed_rows: int
) -> QualityRectificationOrder:
    """Open a rectification order (整改单) for the failed rows of a batch, addressed to the
    resource's provider department, due ``CITYBRAIN_QUALITY_RECTIFICATION_DAYS`` (10) days
    from today. Audited as ``quality.rectification.open``."""
    now = utcnow()
    order = QualityRectificationOrder(
        batch_id=batch_id,
        resource_code=resource.code,
        department_code=resource.department_code,
        region_code=resource.region_code,
        status=OrderStatus.open.value,
        failed_rows=failed_rows,
        remaining_rows=failed_rows,
        opened_at=now,
        resubmission_count=0,
        deadline_on=now.date() + timedelta(days=get_quality_settings().rectification_days),
    )
    session.add(order)
    session.flush()
    audit.record(
        session,
        action="quality.rectification.open",
        object_type="rectification_order",
        object_id=str(order.id),
        region_code=resource.region_code,
        detail={
            "batch_id": batch_id,
            "resource_code": resource.code,
            "department_code": resource.department_code,
            "failed_rows": failed_rows,
            "deadline_on": order.deadline_on.isoformat(),
        },
    )
    return order


def begin_resubmission(
    session: Session, *, order_id: int, scope: Scope
) -> QualityRectificationOrder:
    """Mark an order ``resubmitted`` while its resubmitted rows are validated.

    Raises NotFound ``order_not_found`` (also outside ``scope``), InvalidState
    ``order_closed``."""
    order = get_order(session, order_id, scope=scope)
    if order.status == OrderStatus.closed.value:
        raise InvalidState(f"整改单 {order_id} 已办结", code="order_closed", detail=order_id)
    order.status = OrderStatus.resubmitted.value
    session.flush()
    return order


def settle_order(
    session: Session, *, order: QualityRectificationOrder, batch_id: int, remaining_rows: int
) -> QualityRectificationOrder:
    """After a resubmission: closed when no row remains, else open again with the rest.

    Audited as ``quality.rectification.resubmit`` (and ``…close`` when it closes)."""
    now = utcnow()
    order.resubmission_count += 1
    order.last_resubmitted_at = now
    order.last_batch_id = batch_id
    order.remaining_rows = remaining_rows
    closed = remaining_rows == 0
    order.status = OrderStatus.closed.value if closed else OrderStatus.open.value
    order.closed_at = now if closed else None
    detail = {"batch_id": batch_id, "remaining_rows": remaining_rows}
    audit.record(
        session,
        action="quality.rectification.resubmit",
        object_type="rectification_order",
        object_id=str(order.id),
        region_code=order.region_code,
        detail=detail,
    )
    if closed:
        audit.record(
            session,
            action="quality.rectification.close",
            object_type="rectification_order",
            object_id=str(order.id),
            region_code=order.region_code,
            detail=detail,
        )
    session.flush()
    return order
