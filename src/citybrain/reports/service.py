"""Commands of 专报: write, change and delete drafts, publish and withdraw, add and remove
attachments. Each flushes (never commits), audits in the caller's transaction and, when what
readers may find changes, publishes the ``searchable.*`` event (citybrain/search/contract.py).

``scope`` is the acting caller's :class:`~citybrain.core.scope.Scope`; every function raises
NotFound ``report_not_found`` for a report the caller cannot see (so its existence does not
leak), PermissionDenied when it can see but not change it, InvalidState ``report_published``
when a published report is to be changed (withdraw it first).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from citybrain.core import domain_events
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, InvalidState, NotFound, PermissionDenied, TooLarge
from citybrain.core.scope import Scope
from citybrain.iam.departments import Department
from citybrain.regions import queries as region_queries
from citybrain.regions import scope as regions_scope
from citybrain.reports import rules
from citybrain.reports.config import ReportsSettings, get_reports_settings
from citybrain.reports.models import Report, ReportAttachment
from citybrain.reports.permissions import PUBLISH, READ, WRITE
from citybrain.reports.rules import ReportStatus
from citybrain.reports.schemas import ReportCreate, ReportUpdate

SEARCH_KIND = "report"
FILES_DISCARDED = "reports.files_discarded"


def attachment_folder(settings: Settings) -> Path:
    return settings.home / "reports"


def create_report(session: Session, *, spec: ReportCreate, scope: Scope) -> Report:
    """A new draft. Its department is the caller's (a department user may name no other); a
    bureau caller may name any department of its region, or none. Its region is the one given,
    else the department's, else the caller's, and must lie in the caller's.
    Raises PermissionDenied ``permission_denied``/``region_out_of_scope``/
    ``department_out_of_scope``, NotFound ``department_not_found``, BadInput ``bad_region``.
    Audited as ``report.create``."""
    if not scope.has(WRITE):
        raise PermissionDenied("没有撰写专报的权限", code="permission_denied", detail=WRITE)
    department_code = spec.department_code or scope.department_code
    department = None
    if department_code is not None:
        department = session.get(Department, department_code)
        if department is None:
            raise NotFound(
                f"部门不存在: {department_code}", code="department_not_found",
                detail=department_code,
            )  # fmt: skip
        if not scope.covers_department(department_code):
            raise PermissionDenied(
                "只能撰写本部门的专报", code="department_out_of_scope", detail=department_code
            )
    raw_region = (
        spec.region_code or (department.region_code if department else scope.region_code) or ""
    )
    region_code = regions_scope.try_normalise(raw_region.strip())
    if region_code is None:
        raise BadInput(f"区划代码无效: {raw_region}", code="bad_region", detail=raw_region)
    if not rules.covers_region(scope, region_code):
        raise PermissionDenied(
            "只能撰写本辖区的专报", code="region_out_of_scope", detail=region_code
        )
    now = utcnow()
    body = rules.sanitise_html(spec.body_html)
    report = Report(
        title=spec.title.strip(), body_html=body, body_text=rules.html_to_text(body),
        status=ReportStatus.draft.value, region_code=region_code,
        department_code=department_code, author=actor_of(session).actor, created_at=now,
        updated_at=now, published_at=None, published_by="",
    )  # fmt: skip
    session.add(report)
    session.flush()
    _audit(session, "report.create", report, {"title": report.title})
    return report


def update_report(
    session: Session, *, report_id: int, changes: ReportUpdate, scope: Scope
) -> Report:
    """Change a draft's title or body (the body is sanitised again). Audited as
    ``report.update`` with the changed fields; a change that alters nothing is not recorded."""
    report = _for_change(session, report_id, scope=scope, code=WRITE)
    _require_draft(report)
    changed: list[str] = []
    if changes.title is not None and changes.title.strip() != report.title:
        report.title = changes.title.strip()
        changed.append("title")
    if changes.body_html is not None:
        body = rules.sanitise_html(changes.body_html)
        if body != report.body_html:
            report.body_html = body
            report.body_text = rules.html_to_text(body)
            changed.append("body_html")
    if changed:
        report.updated_at = utcnow()
        session.flush()
        _audit(session, "report.update", report, {"changed": changed})
    return report


def delete_report(session: Session, *, report_id: int, scope: Scope, settings: Settings) -> None:
    """Delete a draft and, after commit, its files. Audited as ``report.delete``."""
    report = _for_change(session, report_id, scope=scope, code=WRITE)
    _require_draft(report)
    paths = [str(attachment_folder(settings) / a.stored_name) for a in report.attachments]
    _audit(session, "report.delete", report, {"title": report.title})
    session.delete(report)
    session.flush()
    if paths:
        domain_events.publish(session, FILES_DISCARDED, paths=paths)


def publish_report(session: Session, *, report_id: int, scope: Scope) -> Report:
    """Publish a draft: readers of its region and below see it and search finds it.
    Raises InvalidState ``report_published`` when it already is, BadInput ``report_empty``
    for a report with neither text nor attachments. Audited as ``report.publish``."""
    report = _for_change(session, report_id, scope=scope, code=PUBLISH)
    _require_draft(report)
    if not report.body_text.strip() and not report.attachments:
        raise BadInput("专报没有正文也没有附件, 不能发布", code="report_empty", detail=report_id)
    now = utcnow()
    report.status = ReportStatus.published.value
    report.published_at = now
    report.published_by = actor_of(session).actor
    report.updated_at = now
    session.flush()
    _audit(session, "report.publish", report, {"title": report.title})
    domain_events.publish(session, "searchable.changed", **searchable(session, report))
    return report


def withdraw_report(session: Session, *, report_id: int, reason: str, scope: Scope) -> Report:
    """Take a published report back to draft (readers no longer see it, search forgets it).
    Raises InvalidState ``report_not_published``. Audited as ``report.withdraw``."""
    report = _for_change(session, report_id, scope=scope, code=PUBLISH)
    if report.status != ReportStatus.published:
        raise InvalidState("专报未发布", code="report_not_published", detail=report_id)
    report.status = ReportStatus.draft.value
    report.published_at = None
    report.published_by = ""
    report.updated_at = utcnow()
    session.flush()
    _audit(session, "report.withdraw", report, {"reason": reason})
    domain_events.publish(session, "searchable.removed", kind=SEARCH_KIND, key=str(report.id))
    return report


def add_attachment(
    session: Session,
    *,
    report_id: int,
    filename: str,
    data: bytes,
    scope: Scope,
    settings: Settings,
    limits: ReportsSettings | None = None,
) -> ReportAttachment:
    """Attach a file to a draft. Its type comes from an allowed extension confirmed by its
    content (PDF, OFD, Office Open XML, PNG, JPEG, text); it is stored under a random name.
    Raises TooLarge ``attachment_too_large``, BadInput ``attachment_type_not_allowed`` /
    ``attachment_type_mismatch`` / ``attachment_empty`` / ``too_many_attachments``.
    Audited as ``report.attachment.add``."""
    config = limits or get_reports_settings()
    report = _for_change(session, report_id, scope=scope, code=WRITE)
    _require_draft(report)
    if len(data) > config.max_attachment_bytes:
        raise TooLarge(
            f"附件不能超过 {config.max_attachment_bytes // (1024 * 1024)} MB",
            code="attachment_too_large", detail=config.max_attachment_bytes,
        )  # fmt: skip
    if len(report.attachments) >= config.max_attachments:
        raise BadInput(
            f"每篇专报最多 {config.max_attachments} 个附件", code="too_many_attachments",
            detail=config.max_attachments,
        )  # fmt: skip
    name = rules.clean_filename(filename)
    kind, problem = rules.check_file(name, data)
    if problem is not None or kind is None:
        allowed = "、".join(sorted(rules.FILE_KINDS))
        messages = {
            rules.FileProblem.not_allowed: f"不支持的附件类型, 允许: {allowed}",
            rules.FileProblem.mismatch: "附件内容与扩展名不符",
            rules.FileProblem.empty: "附件是空文件",
        }
        problem = problem or rules.FileProblem.not_allowed
        raise BadInput(messages[problem], code=problem.value, detail=name)
    folder = attachment_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = folder / stored_name
    path.write_bytes(data)
    try:
        attachment = ReportAttachment(
            filename=name, stored_name=stored_name, content_type=kind.content_type,
            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor_of(session).actor, created_at=utcnow(),
        )  # fmt: skip
        report.attachments.append(attachment)
        report.updated_at = utcnow()
        session.flush()
        _audit(
            session, "report.attachment.add", report,
            {"attachment": attachment.id, "filename": name, "size": len(data)},
        )  # fmt: skip
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return attachment


def remove_attachment(
    session: Session, *, report_id: int, attachment_id: int, scope: Scope, settings: Settings
) -> None:
    """Remove a draft's attachment; its file goes after commit.
    Raises NotFound ``attachment_not_found``. Audited as ``report.attachment.remove``."""
    report = _for_change(session, report_id, scope=scope, code=WRITE)
    _require_draft(report)
    attachment = next((a for a in report.attachments if a.id == attachment_id), None)
    if attachment is None:
        raise NotFound("附件不存在", code="attachment_not_found", detail=attachment_id)
    report.attachments.remove(attachment)
    report.updated_at = utcnow()
    session.flush()
    _audit(
        session, "report.attachment.remove", report,
        {"attachment": attachment_id, "filename": attachment.filename},
    )  # fmt: skip
    domain_events.publish(
        session, FILES_DISCARDED, paths=[str(attachment_folder(settings) / attachment.stored_name)]
    )


# --- global search (the contract: citybrain/search/contract.py) ---------------------------------


def searchable(session: Session, report: Report) -> dict[str, Any]:
    """A published report as a ``searchable.changed`` payload: found by its title, text and
    attachment names; seen by ``reports:read`` holders of its region and below."""
    region = region_queries.names_of(session, [report.region_code]).get(report.region_code, "")
    department = session.get(Department, report.department_code) if report.department_code else None
    path = ["专报", region or report.region_code]
    if department is not None:
        path.append(department.name)
    files = " ".join(a.filename for a in report.attachments)
    return {
        "kind": SEARCH_KIND, "key": str(report.id), "title": report.title,
        "body": "\n".join(filter(None, (report.body_text, files))),
        "path": [*path, report.title], "url": f"/reports/{report.id}",
        "region_code": report.region_code, "department_code": None, "permission": READ,
        "shared_down": False, "updated_at": report.published_at,
    }  # fmt: skip


def searchable_documents(session: Session) -> Iterator[dict[str, Any]]:
    """Every published report as a search document (``citybrain search reindex``)."""
    query = (
        select(Report)
        .options(selectinload(Report.attachments))
        .where(Report.status == ReportStatus.published.value)
        .order_by(Report.id)
    )
    for report in session.execute(query).scalars():
        yield searchable(session, report)


# --- internals --------------------------------------------------------------------------------


def find_visible(session: Session, report_id: int, *, scope: Scope) -> Report:
    """The report if ``scope`` may read it, else NotFound ``report_not_found``."""
    report = session.get(Report, report_id)
    if report is None or not rules.may_read(
        scope, status=report.status, region_code=report.region_code,
        department_code=report.department_code,
    ):  # fmt: skip
        raise NotFound(f"专报不存在: {report_id}", code="report_not_found", detail=report_id)
    return report


def _for_change(session: Session, report_id: int, *, scope: Scope, code: str) -> Report:
    report = find_visible(session, report_id, scope=scope)
    if not rules.may_change(
        scope, code=code, region_code=report.region_code, department_code=report.department_code
    ):
        raise PermissionDenied(f"没有权限: {code}", code="permission_denied", detail=code)
    return report


def _require_draft(report: Report) -> None:
    if report.status != ReportStatus.draft:
        raise InvalidState("专报已发布, 请先撤回再修改", code="report_published", detail=report.id)


def _audit(session: Session, action: str, report: Report, detail: dict[str, Any]) -> None:
    audit.record(
        session, action=action, object_type="report", object_id=str(report.id),
        region_code=report.region_code, detail=detail,
    )  # fmt: skip
