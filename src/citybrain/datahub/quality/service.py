"""Commands of data quality: explicit rules, batch reports, rectification orders.

Every command flushes (never commits) and writes its audit record in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, InvalidState, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.quality.config import get_quality_settings
from citybrain.datahub.quality.models import QualityRectificationOrder, QualityReport, QualityRule
from citybrain.datahub.quality.queries import explicit_rules, get_order, resource_spec
from citybrain.datahub.quality.report import QualityTally
from citybrain.datahub.quality.rules import ResourceSpec, RuleSpec, check_rule
from citybrain.datahub.quality.schemas import OrderStatus, RuleWrite

__all__ = [
    "begin_resubmission",
    "explicit_rules",
    "open_order",
    "record_report",
    "set_rules",
    "settle_order",
]


def set_rules(
    session: Session,
    *,
    resource_code: str,
    rules: Sequence[RuleWrite],
    scope: Scope,
) -> list[QualityRule]:
    """Replace the explicit rules of a resource with ``rules`` (defaults stay derived).

    Every rule is checked against the resource first, so nothing changes when one is wrong.
    Raises NotFound ``resource_not_found``, PermissionDenied ``region_out_of_scope`` (the
    resource lies outside the caller's region), BadInput ``unknown_item``,
    ``bad_rule_params``, ``rule_not_applicable`` or ``duplicate_rule``. Audited as
    ``quality.rules.set`` with the rules as detail.
    """
    resource = resource_spec(session, resource_code, scope=scope)
    if not catalog_scope.covers(scope, resource.region_code):
        raise PermissionDenied(
            f"资源 {resource.code} 不在本级管辖范围",
            code="region_out_of_scope",
            detail=resource.code,
        )
    seen: set[tuple[str, str]] = set()
    checked: list[tuple[RuleWrite, dict[str, object]]] = []
    for rule in rules:
        if (rule.item, rule.kind.value) in seen:
            raise BadInput(
                f"规则重复: {rule.item}.{rule.kind.value}",
                code="duplicate_rule",
                detail=f"{rule.item}.{rule.kind.value}",
            )
        seen.add((rule.item, rule.kind.value))
        params = check_rule(resource, RuleSpec(rule.item, rule.kind, rule.params, rule.enabled))
        checked.append((rule, params))
    session.execute(delete(QualityRule).where(QualityRule.resource_code == resource.code))
    now, actor = utcnow(), actor_of(session).actor
    rows = [
        QualityRule(
            resource_code=resource.code,
            item_name=rule.item,
            kind=rule.kind.value,
            params=json.dumps(params, ensure_ascii=False, sort_keys=True),
            enabled=rule.enabled,
            updated_by=actor,
            updated_at=now,
        )
        for rule, params in checked
    ]
    session.add_all(rows)
    audit.record(
        session,
        action="quality.rules.set",
        object_type="catalog_resource",
        object_id=resource.code,
        region_code=resource.region_code,
        detail={
            "rules": [
                {"item": r.item, "kind": r.kind.value, "params": p, "enabled": r.enabled}
                for r, p in checked
            ]
        },
    )
    session.flush()
    return rows


def record_report(
    session: Session,
    *,
    batch_id: int,
    resource: ResourceSpec,
    tally: QualityTally,
    unknown_columns: Sequence[str],
) -> QualityReport:
    """Store the quality report of a batch (one per batch; examples are already masked)."""
    report = QualityReport(
        batch_id=batch_id,
        resource_code=resource.code,
        department_code=resource.department_code,
        region_code=resource.region_code,
        total_rows=tally.total,
        passed_rows=tally.passed,
        failed_rows=tally.failed_rows,
        score=tally.score,
        rules=json.dumps(tally.rules_json(), ensure_ascii=False),
        fields=json.dumps(tally.fields_json(), ensure_ascii=False),
        unknown_columns=json.dumps(list(unknown_columns), ensure_ascii=False),
        created_at=utcnow(),
    )
    session.add(report)
    session.flush()
    return report


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
