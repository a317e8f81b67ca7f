"""Commands of five-colour warnings: saving and deleting rules (the indicator's owner department
only; an override for region R applies to R alone), acknowledging and closing a warning (the
owner department). Every function flushes, never commits, and audits its change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.errors import BadInput, InvalidState, NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.indicators.models import Indicator
from citybrain.indicators.rules import Direction
from citybrain.indicators.service import editable_indicator
from citybrain.indicators.warnings import evaluate, rules
from citybrain.indicators.warnings.models import IndicatorWarning, IndicatorWarningRule
from citybrain.indicators.warnings.rules import WarningStatus
from citybrain.indicators.warnings.schemas import IndicatorWarningRuleSpec
from citybrain.regions.scope import normalise_code


def _override_region(indicator: Indicator, region: str | None, scope: Scope) -> str:
    if not region:
        return ""
    code = normalise_code(region)  # BadInput bad_region_code
    if code == indicator.region_code or not code.startswith(indicator.region_code):
        raise BadInput(
            f"覆盖规则的区划 {code} 须在指标所属区划 {indicator.region_code} 之下",
            code="warning_rule_region_bad",
            detail=code,
        )
    if not scope.covers_region(code):
        raise PermissionDenied(f"区划 {code} 不在本人辖区内", code="out_of_scope", detail=code)
    return code


def save_rule(
    session: Session,
    *,
    code: str,
    region_code: str | None,
    spec: IndicatorWarningRuleSpec,
    scope: Scope,
) -> IndicatorWarningRule:
    """Create or replace the indicator's rule (``region_code`` None) or its override for one
    region below the indicator's, then colour every current value again. Raises NotFound
    ``indicator_not_found`` (not the caller's department), RuleRefused (``rules.check_rule``
    codes), BadInput ``warning_rule_region_bad``, PermissionDenied ``out_of_scope``. Audited
    ``indicator.warning.rule.save``."""
    indicator = editable_indicator(session, code, scope=scope)
    region = _override_region(indicator, region_code, scope)
    rules.check_rule(spec.to_rule(), Direction(indicator.direction))
    now = utcnow()
    row = session.execute(
        select(IndicatorWarningRule).where(
            IndicatorWarningRule.indicator_id == indicator.id,
            IndicatorWarningRule.region_code == region,
        )
    ).scalar_one_or_none()
    if row is None:
        row = IndicatorWarningRule(
            indicator_id=indicator.id, region_code=region, created_at=now, spec="", updated_by=""
        )
        session.add(row)
    row.spec, row.updated_by, row.updated_at = evaluate.spec_json(spec), scope.actor, now
    session.flush()
    audit.record(
        session,
        action="indicator.warning.rule.save",
        object_type="indicator_warning_rule",
        object_id=str(row.id),
        region_code=region or indicator.region_code,
        detail={
            "indicator": indicator.code,
            "region": region,
            "spec": spec.model_dump(mode="json"),
        },
    )
    evaluate.evaluate_indicator(session, indicator=indicator, today=now.date())
    return row


def delete_rule(session: Session, *, code: str, region_code: str | None, scope: Scope) -> None:
    """Remove a rule or an override (NotFound ``warning_rule_not_found``); colours already
    given stay until the next evaluation. Audited ``indicator.warning.rule.delete``."""
    indicator = editable_indicator(session, code, scope=scope)
    region = _override_region(indicator, region_code, scope)
    row = session.execute(
        select(IndicatorWarningRule).where(
            IndicatorWarningRule.indicator_id == indicator.id,
            IndicatorWarningRule.region_code == region,
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("预警规则不存在", code="warning_rule_not_found", detail=region)
    audit.record(
        session,
        action="indicator.warning.rule.delete",
        object_type="indicator_warning_rule",
        object_id=str(row.id),
        region_code=region or indicator.region_code,
        detail={"indicator": indicator.code, "region": region},
    )
    session.delete(row)
    session.flush()
    evaluate.evaluate_indicator(session, indicator=indicator, today=utcnow().date())


def get_warning(session: Session, warning_id: int, *, scope: Scope) -> IndicatorWarning:
    """A warning of the caller's region subtree; NotFound ``warning_not_found`` otherwise."""
    row = session.get(IndicatorWarning, warning_id)
    if row is None or not scope.covers_region(row.region_code):
        raise NotFound(f"预警 {warning_id} 不存在", code="warning_not_found", detail=warning_id)
    return row


def _handled(session: Session, warning_id: int, scope: Scope) -> IndicatorWarning:
    row = get_warning(session, warning_id, scope=scope)
    if not scope.covers(region_code=row.region_code, department_code=row.department_code):
        raise NotFound(f"预警 {warning_id} 不存在", code="warning_not_found", detail=warning_id)
    return row


def acknowledge(session: Session, *, warning_id: int, scope: Scope) -> IndicatorWarning:
    """签收: open → acknowledged, by the owner department (NotFound ``warning_not_found`` for
    another's); InvalidState ``warning_not_open``. Audited ``indicator.warning.acknowledge``."""
    row = _handled(session, warning_id, scope)
    if row.status != WarningStatus.open.value:
        raise InvalidState("只有未签收的预警可以签收", code="warning_not_open", detail=row.status)
    now = utcnow()
    row.status, row.acknowledged_by, row.acknowledged_at = "acknowledged", scope.actor, now
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        action="indicator.warning.acknowledge",
        object_type="indicator_warning",
        object_id=str(row.id),
        region_code=row.region_code,
        detail={"colour": row.colour, "period": row.period},
    )
    return row


def close(session: Session, *, warning_id: int, note: str, scope: Scope) -> IndicatorWarning:
    """关闭 with a note: open or acknowledged → closed, by the owner department; InvalidState
    ``warning_closed``, BadInput ``note_required``. Audited ``indicator.warning.close``."""
    row = _handled(session, warning_id, scope)
    if row.status == WarningStatus.closed.value:
        raise InvalidState("预警已关闭", code="warning_closed")
    if not note.strip():
        raise BadInput("关闭预警须填写说明", code="note_required")
    now = utcnow()
    row.status, row.closed_by, row.closed_at = WarningStatus.closed.value, scope.actor, now
    row.close_note, row.updated_at = note.strip(), now
    session.flush()
    audit.record(
        session,
        action="indicator.warning.close",
        object_type="indicator_warning",
        object_id=str(row.id),
        region_code=row.region_code,
        detail={"colour": row.colour, "period": row.period, "note": row.close_note[:200]},
    )
    return row
