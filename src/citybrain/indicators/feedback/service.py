"""Commands and reads of problem feedback (问题反馈). Filed by any reader on a value of a
published indicator inside the filer's region, or on a board; handled by the indicator's owner
department (a board's feedback: the bureau staff of its region). The filer always sees their
own; the filer is told through the message centre when it is resolved or rejected. Every
change is audited; functions flush, never commit."""

from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.errors import BadInput, DomainError, NotFound, PermissionDenied
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.indicators.feedback.models import IndicatorFeedback
from citybrain.indicators.feedback.schemas import (
    IndicatorFeedbackCreate,
    IndicatorFeedbackFilter,
    IndicatorFeedbackPage,
    IndicatorFeedbackRead,
)
from citybrain.indicators.feedback.workflow import FeedbackAction, FeedbackStatus, next_status
from citybrain.indicators.models import Indicator, IndicatorBoard
from citybrain.indicators.periods import Granularity, PeriodError, check_label
from citybrain.indicators.service import get_board, get_indicator
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import normalise_code

log = logging.getLogger(__name__)


def file_feedback(
    session: Session, *, spec: IndicatorFeedbackCreate, scope: Scope, filer_user_id: int | None
) -> IndicatorFeedback:
    """File feedback; it goes to the indicator's owner department (a board's: none, i.e. the
    bureau). Raises NotFound ``indicator_not_found`` / ``indicator_board_not_found``,
    PermissionDenied ``out_of_scope`` (a region outside the caller's), BadInput
    ``region_outside_indicator``, ``bad_period``. Audited ``indicator.feedback.file``."""
    now = utcnow()
    row = IndicatorFeedback(
        content=spec.content.strip(), status=FeedbackStatus.open.value, filed_by=scope.actor,
        filer_user_id=filer_user_id, created_at=now, updated_at=now, period="",
        assignee="", handled_by="", note="",
    )  # fmt: skip
    if spec.indicator_code is not None:
        indicator = get_indicator(session, spec.indicator_code, scope=scope)
        if indicator.live_revision is None:
            raise NotFound(f"指标 {indicator.code} 不存在", code="indicator_not_found")
        region = normalise_code(spec.region_code) if spec.region_code else scope.region_code
        if not region or not scope.covers_region(region):
            raise PermissionDenied(f"区划 {region} 不在本人辖区内", code="out_of_scope")
        if not region.startswith(indicator.region_code):
            raise BadInput("该区划不在指标的统计范围内", code="region_outside_indicator")
        if spec.period:
            try:
                row.period = check_label(spec.period, Granularity(indicator.granularity))
            except PeriodError as exc:
                raise BadInput(str(exc), code="bad_period", detail=spec.period) from exc
        row.indicator_id, row.region_code = indicator.id, region
        row.department_code = indicator.owner_department_code
    else:
        board = get_board(session, spec.board_code or "", scope=scope)
        row.board_id, row.region_code, row.department_code = board.id, board.region_code, None
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="indicator.feedback.file",
        object_type="indicator_feedback",
        object_id=str(row.id),
        region_code=row.region_code,
        detail={"indicator": spec.indicator_code, "board": spec.board_code, "period": row.period},
    )
    return row


def _visible(scope: Scope):  # type: ignore[no-untyped-def]  # a Select of IndicatorFeedback
    handled = catalog_scope.owned_by(
        scope,
        IndicatorFeedback.region_code,
        IndicatorFeedback.department_code,  # type: ignore[arg-type]  # nullable: the bureau
    )
    return select(IndicatorFeedback).where(or_(handled, IndicatorFeedback.filed_by == scope.actor))


def get_feedback(session: Session, feedback_id: int, *, scope: Scope) -> IndicatorFeedback:
    """Feedback the caller filed or handles; NotFound ``feedback_not_found`` otherwise."""
    row: IndicatorFeedback | None = session.execute(
        _visible(scope).where(IndicatorFeedback.id == feedback_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"反馈 {feedback_id} 不存在", code="feedback_not_found", detail=feedback_id)
    return row


def _handled(session: Session, feedback_id: int, scope: Scope) -> IndicatorFeedback:
    row = get_feedback(session, feedback_id, scope=scope)
    if not scope.covers(region_code=row.region_code, department_code=row.department_code):
        raise NotFound(f"反馈 {feedback_id} 不存在", code="feedback_not_found", detail=feedback_id)
    return row


def act(
    session: Session, *, feedback_id: int, action: FeedbackAction, note: str, scope: Scope,
    assignee: str = "",
) -> IndicatorFeedback:  # fmt: skip
    """Assign, resolve or reject (``workflow.next_status``; InvalidState
    ``feedback_transition_not_allowed``); only the handling department (NotFound
    ``feedback_not_found``). Resolving or rejecting tells the filer. Audited
    ``indicator.feedback.<action>``."""
    row = _handled(session, feedback_id, scope)
    row.status = next_status(FeedbackStatus(row.status), action).value
    now = utcnow()
    if action is FeedbackAction.assign:
        row.assignee, row.assigned_at = assignee.strip(), now
    else:
        row.handled_by, row.handled_at = scope.actor, now
    if note.strip():
        row.note = note.strip()
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        action=f"indicator.feedback.{action.value}",
        object_type="indicator_feedback",
        object_id=str(row.id),
        region_code=row.region_code,
        detail={"status": row.status, "assignee": row.assignee, "note": row.note[:200]},
    )
    if action is not FeedbackAction.assign:
        _tell_filer(session, row)
    return row


def _tell_filer(session: Session, row: IndicatorFeedback) -> None:
    from citybrain.messages import service as messages
    from citybrain.messages.audience import Audience

    if row.filer_user_id is None:  # filed by an API key: nobody to tell
        return
    outcome = "已办结" if row.status == FeedbackStatus.resolved.value else "已退回"
    try:
        with session.begin_nested():
            messages.send(
                session, scope=Scope.system(), sender=None,
                audience=Audience(users=(row.filer_user_id,)),
                title=f"您提交的问题反馈{outcome}", body=f"办理说明: {row.note or '无'}",
                kind="notice", link=f"/indicators/feedback?id={row.id}",
            )  # fmt: skip
    except DomainError as exc:  # the filer's account is gone or disabled: the change stands
        log.warning("feedback %s: filer not told: %s", row.id, exc.code)


def list_feedback(
    session: Session, *, scope: Scope, filters: IndicatorFeedbackFilter, page: PageParams
) -> IndicatorFeedbackPage:
    query = _visible(scope).order_by(IndicatorFeedback.id.desc())
    if filters.status:
        query = query.where(IndicatorFeedback.status == filters.status.value)
    if filters.mine:
        query = query.where(IndicatorFeedback.filed_by == scope.actor)
    if filters.indicator:
        query = query.join(Indicator, Indicator.id == IndicatorFeedback.indicator_id).where(
            Indicator.code == filters.indicator
        )
    rows, total = paginate(session, query, page)
    return IndicatorFeedbackPage(
        items=read_many(session, rows), total=total, page=page.page, size=page.size
    )


def read_many(session: Session, rows: list[IndicatorFeedback]) -> list[IndicatorFeedbackRead]:
    indicators = {
        i: (c, n)
        for i, c, n in session.execute(
            select(Indicator.id, Indicator.code, Indicator.name).where(
                Indicator.id.in_({r.indicator_id for r in rows if r.indicator_id})
            )
        )
    }
    boards = {
        i: (c, n)
        for i, c, n in session.execute(
            select(IndicatorBoard.id, IndicatorBoard.code, IndicatorBoard.name).where(
                IndicatorBoard.id.in_({r.board_id for r in rows if r.board_id})
            )
        )
    }
    names = region_queries.names_of(session, {r.region_code for r in rows})
    out = []
    for r in rows:
        code, name = indicators.get(r.indicator_id or 0, (None, ""))
        board, board_name = boards.get(r.board_id or 0, (None, ""))
        out.append(
            IndicatorFeedbackRead(
                id=r.id,
                indicator_code=code,
                indicator_name=name,
                board_code=board,
                board_name=board_name,
                region_code=r.region_code,
                region_name=names.get(r.region_code, ""),
                period=r.period,
                department_code=r.department_code,
                content=r.content,
                status=FeedbackStatus(r.status),
                filed_by=r.filed_by,
                assignee=r.assignee,
                assigned_at=r.assigned_at,
                handled_by=r.handled_by,
                handled_at=r.handled_at,
                note=r.note,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        )
    return out
