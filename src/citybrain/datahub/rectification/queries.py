"""Reads of rectification: orders within the caller's scope, the order of a batch, and the
department scores (quality's scores with each department's orders not yet closed)."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.quality import queries as quality_queries
from citybrain.datahub.quality.schemas import DepartmentScore
from citybrain.datahub.rectification.models import QualityRectificationOrder
from citybrain.datahub.rectification.schemas import OrderFilter, OrderPage, OrderRead, OrderStatus


def department_scores(
    session: Session,
    *,
    scope: Scope,
    department_code: str | None = None,
    window_days: int | None = None,
) -> list[DepartmentScore]:
    """Each department's quality score (``quality.queries.department_scores``) with the number
    of its orders not yet closed; only the departments ``scope`` covers, counting only orders
    of its region."""
    return quality_queries.department_scores(
        session,
        scope=scope,
        open_orders=open_orders_by_department(
            session, scope=scope, department_code=department_code
        ),
        department_code=department_code,
        window_days=window_days,
    )


def open_orders_by_department(
    session: Session, *, scope: Scope, department_code: str | None = None
) -> dict[str, int]:
    """Department code → its orders not yet closed, within ``scope``."""
    query = (
        select(QualityRectificationOrder.department_code, func.count())
        .where(QualityRectificationOrder.status != OrderStatus.closed.value)
        .where(
            catalog_scope.owned_by(
                scope,
                QualityRectificationOrder.region_code,
                QualityRectificationOrder.department_code,
            )
        )
        .group_by(QualityRectificationOrder.department_code)
    )
    if department_code is not None:
        query = query.where(QualityRectificationOrder.department_code == department_code)
    return {str(code): int(n) for code, n in session.execute(query).all()}


def get_order(session: Session, order_id: int, *, scope: Scope) -> QualityRectificationOrder:
    """The order ``order_id``; NotFound ``order_not_found`` also outside the caller's region."""
    order = session.get(QualityRectificationOrder, order_id)
    if order is None or not _owns(scope, order.region_code, order.department_code):
        raise NotFound(f"整改单不存在: {order_id}", code="order_not_found", detail=order_id)
    return order


def read_order(session: Session, order_id: int, *, scope: Scope) -> OrderRead:
    return order_read(get_order(session, order_id, scope=scope))


def order_read(order: QualityRectificationOrder) -> OrderRead:
    read = OrderRead.model_validate(order)
    read.overdue = order.status != OrderStatus.closed.value and order.deadline_on < utcnow().date()
    return read


def list_orders(
    session: Session, filters: OrderFilter, params: PageParams, *, scope: Scope
) -> OrderPage:
    """Orders newest first, within the caller's region subtree."""
    query: Select[QualityRectificationOrder] = (
        select(QualityRectificationOrder)
        .where(
            catalog_scope.owned_by(
                scope,
                QualityRectificationOrder.region_code,
                QualityRectificationOrder.department_code,
            )
        )
        .order_by(QualityRectificationOrder.id.desc())
    )
    if filters.department_code:
        query = query.where(QualityRectificationOrder.department_code == filters.department_code)
    if filters.resource_code:
        query = query.where(QualityRectificationOrder.resource_code == filters.resource_code)
    if filters.status is not None:
        query = query.where(QualityRectificationOrder.status == filters.status.value)
    rows, total = paginate(session, query, params)
    return OrderPage(
        items=[order_read(o) for o in rows], total=total, page=params.page, size=params.size
    )


def order_of_batch(session: Session, batch_id: int) -> QualityRectificationOrder | None:
    return session.execute(
        select(QualityRectificationOrder).where(QualityRectificationOrder.batch_id == batch_id)
    ).scalar_one_or_none()


def _owns(scope: Scope, region_code: str, department_code: str) -> bool:
    """An order belongs to the caller: its region and its department are covered."""
    return catalog_scope.covers(scope, region_code) and scope.covers_department(department_code)
