"""Reads of 专报: a page of the reports a caller may see, one report, one attachment's file.

What a caller sees is :func:`citybrain.reports.rules.may_read` in SQL (``visible_clause``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session, selectinload

from citybrain.core.config import Settings
from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.iam.departments import Department
from citybrain.regions import queries as region_queries
from citybrain.reports import rules
from citybrain.reports.models import Report, ReportAttachment
from citybrain.reports.permissions import PUBLISH, READ, WRITE
from citybrain.reports.rules import ReportStatus
from citybrain.reports.schemas import (
    AttachmentRead,
    ReportDetail,
    ReportFilter,
    ReportPage,
    ReportSummary,
)
from citybrain.reports.service import attachment_folder, find_visible


def visible_clause(scope: Scope) -> ColumnElement[bool]:
    if scope.unrestricted:
        return true()
    mine = rules.canonical(scope.region_code) if scope.region_code.strip() else ""
    if not mine:
        return false()
    region = Report.region_code.startswith(mine, autoescape=True)
    published = Report.status == ReportStatus.published.value
    if not (scope.has(READ) or scope.has(WRITE) or scope.has(PUBLISH)):
        return false()
    drafts: ColumnElement[bool] = false()
    if scope.has(WRITE) or scope.has(PUBLISH):
        # NULL (a bureau report) matches only the callers who cover every department.
        department = scope.department_clause(Report.department_code)  # type: ignore[arg-type]
        drafts = and_(Report.status == ReportStatus.draft.value, department)
    return and_(region, or_(published, drafts))


def list_reports(
    session: Session, *, filters: ReportFilter, page: PageParams, scope: Scope
) -> ReportPage:
    """One page of the reports ``scope`` sees, newest change first."""
    query = (
        select(Report)
        .options(selectinload(Report.attachments))
        .where(visible_clause(scope))
        .order_by(Report.updated_at.desc(), Report.id.desc())
    )
    if filters.status is not None:
        query = query.where(Report.status == filters.status.value)
    if filters.q.strip():
        query = query.where(Report.title.icontains(filters.q.strip(), autoescape=True))
    rows, total = paginate(session, query, page)
    return ReportPage(items=summaries(session, rows), total=total, page=page.page, size=page.size)


def summaries(session: Session, reports: list[Report]) -> list[ReportSummary]:
    regions = region_queries.names_of(session, {r.region_code for r in reports})
    codes = {r.department_code for r in reports if r.department_code}
    departments: dict[str, str] = {}
    if codes:
        rows = session.execute(
            select(Department.code, Department.name).where(Department.code.in_(codes))
        )
        departments = {str(code): str(name) for code, name in rows}
    return [
        ReportSummary(
            id=r.id, title=r.title, status=ReportStatus(r.status), region_code=r.region_code,
            region_name=regions.get(r.region_code, ""), department_code=r.department_code,
            department_name=departments.get(r.department_code or "", ""), author=r.author,
            updated_at=r.updated_at, published_at=r.published_at,
            attachment_count=len(r.attachments),
        )
        for r in reports
    ]  # fmt: skip


def read_report(session: Session, report: Report, *, scope: Scope) -> ReportDetail:
    summary = summaries(session, [report])[0]
    draft = report.status == ReportStatus.draft
    region, department = report.region_code, report.department_code
    return ReportDetail(
        **summary.model_dump(),
        body_html=report.body_html,
        published_by=report.published_by,
        attachments=[
            AttachmentRead(
                id=a.id, filename=a.filename, content_type=a.content_type, size=a.size,
                uploaded_by=a.uploaded_by, created_at=a.created_at,
            )
            for a in report.attachments
        ],
        can_edit=draft
        and rules.may_change(scope, code=WRITE, region_code=region, department_code=department),
        can_publish=rules.may_change(
            scope, code=PUBLISH, region_code=region, department_code=department
        ),
    )  # fmt: skip


def get_report(session: Session, report_id: int, *, scope: Scope) -> ReportDetail:
    """The report; NotFound ``report_not_found`` also when the caller may not see it."""
    return read_report(session, find_visible(session, report_id, scope=scope), scope=scope)


def attachment_file(
    session: Session, *, report_id: int, attachment_id: int, scope: Scope, settings: Settings
) -> tuple[ReportAttachment, Path]:
    """An attachment of a report the caller may see, and where its file is.
    Raises NotFound ``report_not_found`` / ``attachment_not_found``."""
    report = find_visible(session, report_id, scope=scope)
    attachment = session.execute(
        select(ReportAttachment).where(
            ReportAttachment.report_id == report.id, ReportAttachment.id == attachment_id
        )
    ).scalar_one_or_none()
    path = attachment_folder(settings) / attachment.stored_name if attachment else None
    if attachment is None or path is None or not path.is_file():
        raise NotFound("附件不存在", code="attachment_not_found", detail=attachment_id)
    return attachment, path
