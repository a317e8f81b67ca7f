"""Reads of data quality: a resource's rule set, batch reports, department scores."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.errors import InvalidState, NotFound
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries as catalog_queries
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.quality.config import get_quality_settings
from citybrain.datahub.quality.models import QualityReport, QualityRule
from citybrain.datahub.quality.rules import (
    KIND_LABELS,
    ItemSpec,
    ResourceSpec,
    RuleKind,
    RuleSpec,
    effective_rules,
)
from citybrain.datahub.quality.schemas import (
    DepartmentScore,
    ReportRead,
    RuleRead,
    RuleSetRead,
    RuleWrite,
)


def resource_spec(session: Session, code: str, *, scope: Scope) -> ResourceSpec:
    """The catalog resource ``code`` as a spec. NotFound ``resource_not_found`` (also when out
    of the reader's region scope); InvalidState ``resource_retired`` for a retired resource."""
    resource = catalog_queries.get_resource(session, code, scope=scope)
    if resource.status == "retired":
        raise InvalidState(f"资源已停用，不能再归集: {code}", code="resource_retired", detail=code)
    return ResourceSpec(
        code=resource.code,
        name=resource.name,
        department_code=resource.provider_code,
        region_code=resource.region_code,
        items=tuple(
            ItemSpec(i.name, i.title, i.type, i.length, i.mask or "none") for i in resource.items
        ),
        key_item=resource.key_item or "",
        version_item=resource.version_item or "",
        version=resource.version,
    )


def explicit_rules(session: Session, resource_code: str) -> list[RuleSpec]:
    rows = session.execute(
        select(QualityRule)
        .where(QualityRule.resource_code == resource_code)
        .order_by(QualityRule.item_name, QualityRule.kind)
    ).scalars()
    return [
        RuleSpec(r.item_name, RuleKind(r.kind), json.loads(r.params), r.enabled, "explicit")
        for r in rows
    ]


def rule_set(session: Session, resource_code: str, *, scope: Scope) -> RuleSetRead:
    """The effective rules of a resource (defaults with explicit rules applied) and the
    explicit rules as stored."""
    resource = resource_spec(session, resource_code, scope=scope)
    explicit = explicit_rules(session, resource.code)
    titles = {i.name: i.title for i in resource.items}
    return RuleSetRead(
        resource_code=resource.code,
        rules=[
            RuleRead(
                item=r.item,
                title=titles.get(r.item, r.item),
                kind=r.kind,
                label=KIND_LABELS[r.kind],
                params=dict(r.params),
                origin=r.origin,
            )
            for r in effective_rules(resource, explicit)
        ],
        explicit=[
            RuleWrite(item=r.item, kind=r.kind, params=dict(r.params), enabled=r.enabled)
            for r in explicit
        ],
    )


def report_of_batch(session: Session, batch_id: int) -> ReportRead | None:
    report = session.execute(
        select(QualityReport).where(QualityReport.batch_id == batch_id)
    ).scalar_one_or_none()
    return None if report is None else _report_read(report)


def get_report(session: Session, report_id: int, *, scope: Scope) -> ReportRead:
    """A batch report; NotFound ``report_not_found`` also outside the caller's region."""
    report = session.get(QualityReport, report_id)
    if report is None or not _owns(scope, report.region_code, report.department_code):
        raise NotFound(f"质量报告不存在: {report_id}", code="report_not_found", detail=report_id)
    return _report_read(report)


def _report_read(report: QualityReport) -> ReportRead:
    return ReportRead(
        id=report.id,
        batch_id=report.batch_id,
        resource_code=report.resource_code,
        department_code=report.department_code,
        total_rows=report.total_rows,
        passed_rows=report.passed_rows,
        failed_rows=report.failed_rows,
        score=report.score,
        rules=json.loads(report.rules),
        fields=json.loads(report.fields),
        unknown_columns=json.loads(report.unknown_columns),
        created_at=report.created_at,
    )


def department_scores(
    session: Session,
    *,
    scope: Scope,
    open_orders: Mapping[str, int],
    department_code: str | None = None,
    window_days: int | None = None,
) -> list[DepartmentScore]:
    """Each department's running score: passed rows / rows × 100 over its batches of the last
    ``window_days`` (setting ``CITYBRAIN_QUALITY_SCORE_WINDOW_DAYS``), so every batch weighs by
    its size; with the number of its orders not yet closed, counted by the caller (orders
    belong to ``rectification``, above quality). Aggregated in SQL. Only the departments
    ``scope`` covers (its region's, or its own), counting only reports of its region."""
    days = window_days or get_quality_settings().score_window_days
    since = utcnow() - timedelta(days=days)
    query = (
        select(
            QualityReport.department_code,
            func.count(QualityReport.id),
            func.coalesce(func.sum(QualityReport.total_rows), 0),
            func.coalesce(func.sum(QualityReport.passed_rows), 0),
        )
        .where(QualityReport.created_at >= since)
        .where(
            catalog_scope.owned_by(scope, QualityReport.region_code, QualityReport.department_code)
        )
        .group_by(QualityReport.department_code)
        .order_by(QualityReport.department_code)
    )
    if department_code is not None:
        query = query.where(QualityReport.department_code == department_code)
    scores = []
    for code, batches, total, passed in session.execute(query).all():
        total, passed = int(total), int(passed)
        scores.append(
            DepartmentScore(
                department_code=code,
                batches=int(batches),
                total_rows=total,
                passed_rows=passed,
                score=round(passed / total * 100, 2) if total else None,
                open_orders=open_orders.get(code, 0),
            )
        )
    return scores


def _owns(scope: Scope, region_code: str, department_code: str) -> bool:
    """A report belongs to the caller: its region and its department are covered."""
    return catalog_scope.covers(scope, region_code) and scope.covers_department(department_code)
