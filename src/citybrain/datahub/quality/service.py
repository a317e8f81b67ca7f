"""Commands of data quality: explicit rules and batch reports.

Every command flushes (never commits) and writes its audit record in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.quality.models import QualityReport, QualityRule
from citybrain.datahub.quality.queries import explicit_rules, resource_spec
from citybrain.datahub.quality.report import QualityTally
from citybrain.datahub.quality.rules import ResourceSpec, RuleSpec, check_rule
from citybrain.datahub.quality.schemas import RuleWrite

__all__ = ["explicit_rules", "record_report", "set_rules"]


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
        rules=json.dumps(
            [rule.model_dump(mode="json") for rule in tally.report_rules()], ensure_ascii=False
        ),
        fields=json.dumps(
            [item.model_dump(mode="json") for item in tally.report_fields()], ensure_ascii=False
        ),
        unknown_columns=json.dumps(list(unknown_columns), ensure_ascii=False),
        created_at=utcnow(),
    )
    session.add(report)
    session.flush()
    return report
