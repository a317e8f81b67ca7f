"""HTTP adapters of problem feedback under ``/api/v1/indicators/feedback`` (included before the
indicator routes, like the warnings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require, require_any
from citybrain.core.web import DbSession
from citybrain.indicators.feedback import service
from citybrain.indicators.feedback.schemas import (
    IndicatorFeedbackAssign,
    IndicatorFeedbackCreate,
    IndicatorFeedbackFilter,
    IndicatorFeedbackNote,
    IndicatorFeedbackPage,
    IndicatorFeedbackRead,
)
from citybrain.indicators.feedback.workflow import FeedbackAction
from citybrain.indicators.permissions import FEEDBACK, RESPOND

router = APIRouter(prefix="/api/v1/indicators/feedback", tags=["indicators"])

Filer = Annotated[Principal, Depends(require(FEEDBACK))]
Responder = Annotated[Principal, Depends(require(RESPOND))]
Party = Annotated[Principal, Depends(require_any(FEEDBACK, RESPOND))]


def _read(session: DbSession, row: object) -> IndicatorFeedbackRead:
    return service.read_many(session, [row])[0]  # type: ignore[list-item]  # one feedback row


@router.get(
    "",
    description="分页列出本人提交的与本部门 (本辖区) 承办的问题反馈, 可按状态、指标筛选。",
    response_model=IndicatorFeedbackPage,
    summary="问题反馈列表",
)
def list_feedback(
    session: DbSession,
    principal: Party,
    filters: Annotated[IndicatorFeedbackFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> IndicatorFeedbackPage:
    return service.list_feedback(session, scope=Scope.of(principal), filters=filters, page=page)


@router.post(
    "",
    description=(
        "对指标某区划某期间的数值 (indicator_code, region_code, period) 或对板块 (board_code)"
        " 提交问题反馈; 自动交指标责任部门承办。"
    ),
    response_model=IndicatorFeedbackRead,
    status_code=status.HTTP_201_CREATED,
    summary="提交问题反馈",
)
def file_feedback(
    spec: IndicatorFeedbackCreate, session: DbSession, principal: Filer
) -> IndicatorFeedbackRead:
    row = service.file_feedback(
        session, spec=spec, scope=Scope.of(principal),
        filer_user_id=principal.id if principal.kind == "user" else None,
    )  # fmt: skip
    return _read(session, row)


@router.get(
    "/{feedback_id}",
    description="一条问题反馈 (本人提交的, 或本部门承办的)。",
    response_model=IndicatorFeedbackRead,
    summary="问题反馈详情",
)
def read_feedback(
    feedback_id: RowId, session: DbSession, principal: Party
) -> IndicatorFeedbackRead:
    return _read(session, service.get_feedback(session, feedback_id, scope=Scope.of(principal)))


@router.post(
    "/{feedback_id}/assign",
    description="受理并指定承办人 (仅承办部门)。",
    response_model=IndicatorFeedbackRead,
    summary="受理问题反馈",
)
def assign(
    feedback_id: RowId, body: IndicatorFeedbackAssign, session: DbSession, principal: Responder
) -> IndicatorFeedbackRead:
    row = service.act(
        session, feedback_id=feedback_id, action=FeedbackAction.assign, note=body.note,
        assignee=body.assignee, scope=Scope.of(principal),
    )  # fmt: skip
    return _read(session, row)


@router.post(
    "/{feedback_id}/resolve",
    description="填写办理说明后办结, 并通过消息中心告知提交人 (仅承办部门)。",
    response_model=IndicatorFeedbackRead,
    summary="办结问题反馈",
)
def resolve(
    feedback_id: RowId, body: IndicatorFeedbackNote, session: DbSession, principal: Responder
) -> IndicatorFeedbackRead:
    row = service.act(
        session, feedback_id=feedback_id, action=FeedbackAction.resolve, note=body.note,
        scope=Scope.of(principal),
    )  # fmt: skip
    return _read(session, row)


@router.post(
    "/{feedback_id}/reject",
    description="填写理由后退回, 并告知提交人 (仅承办部门)。",
    response_model=IndicatorFeedbackRead,
    summary="退回问题反馈",
)
def reject(
    feedback_id: RowId, body: IndicatorFeedbackNote, session: DbSession, principal: Responder
) -> IndicatorFeedbackRead:
    row = service.act(
        session, feedback_id=feedback_id, action=FeedbackAction.reject, note=body.note,
        scope=Scope.of(principal),
    )  # fmt: skip
    return _read(session, row)
