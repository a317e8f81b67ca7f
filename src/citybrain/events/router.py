"""HTTP adapters of 事件 under ``/api/v1/events``: parse, authorise by permission code, one
service or query call with the caller's scope, answer a schema. The tracking view, the citizen
report and the category list answer without login (``PUBLIC_ROUTE_PATHS``)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from citybrain.core.errors import InvalidState
from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.web import AppSettings, DbSession
from citybrain.events import categories, queries, service
from citybrain.events.classify import store
from citybrain.events.dependencies import Actor, Configurer, Reader, Reporter, Settings
from citybrain.events.models import EventClassifierModel
from citybrain.events.schemas import (
    EventCategoryRead,
    EventCategoryUpdate,
    EventChannel,
    EventCitizenReport,
    EventClassifierRead,
    EventClassifierTrain,
    EventClassifyRequest,
    EventClassifyResult,
    EventCreate,
    EventFilter,
    EventPage,
    EventRead,
    EventReceipt,
    EventTrack,
    EventTransition,
)
from citybrain.events.workflow import EventStatus

PREFIX = "/api/v1/events"
router = APIRouter(prefix=PREFIX, tags=["events"])
PUBLIC_ROUTE_PATHS = frozenset(
    {f"{PREFIX}/track/{{code}}", f"{PREFIX}/citizen", f"{PREFIX}/categories"}
)
TrackingCode = Annotated[str, Path(min_length=6, max_length=16, pattern="^[0-9A-Za-z]+$")]
CategoryCode = Annotated[str, Path(min_length=1, max_length=32)]


@router.get(
    "", response_model=EventPage, summary="事件列表",
    description="本辖区及下级的事件; 部门用户只看派给本部门的事件。可按状态、渠道、标题筛选。",
)  # fmt: skip
def list_events(
    session: DbSession,
    principal: Reader,
    filters: Annotated[EventFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> EventPage:
    return queries.list_events(session, filters=filters, page=page, scope=Scope.of(principal))


@router.post(
    "", response_model=EventRead, status_code=status.HTTP_201_CREATED, summary="上报事件",
    description=(
        "部门系统 (API Key, 范围 events:report) 或用户上报事件; 坐标默认 GCJ-02, 落入网格时"
        "定位到网格。区划不在本辖区 403 region_out_of_scope; 分类不存在 404 "
        "event_category_not_found。有启用的分类模型时附上建议分类与部门。"
    ),
)  # fmt: skip
def create_event(
    session: DbSession, principal: Reporter, body: EventCreate, settings: AppSettings,
    events_settings: Settings,
) -> EventRead:  # fmt: skip
    scope = Scope.of(principal)
    classifier = store.active_classifier(
        session, data_dir=settings.data_dir, features=events_settings.classifier_features,
        threshold=events_settings.classifier_threshold, train_if_missing=False,
    )  # fmt: skip
    text = f"{body.title} {body.description}"
    suggestion = (
        store.suggest(session, classifier, text, threshold=events_settings.classifier_threshold)
        if classifier
        else None
    )
    event = service.create_event(
        session, spec=body, scope=scope, suggestion=suggestion,
        tracking_code_length=events_settings.tracking_code_length,
    )  # fmt: skip
    return queries.read_event(session, event, scope=scope)


@router.get(
    "/track/{code}", response_model=EventTrack, summary="事件公开查询",
    description="无需登录。凭查询码查看事件的状态与时间线, 不含姓名、电话与描述; 不存在 404。",
)  # fmt: skip
def track_event(session: DbSession, code: TrackingCode) -> EventTrack:
    return queries.track(session, code)


@router.post(
    "/citizen", response_model=EventReceipt, status_code=status.HTTP_201_CREATED,
    summary="市民上报", description="无需登录。提交问题描述、分类与地址, 返回查询码。",
)  # fmt: skip
def citizen_report(
    session: DbSession, body: EventCitizenReport, events_settings: Settings
) -> EventReceipt:
    spec = EventCreate(
        title=body.description.strip()[:40], description=body.description,
        category_code=body.category_code, channel=EventChannel.citizen_web,
        region_code=body.region_code, lng=body.lng, lat=body.lat, address=body.address,
        reporter_phone=body.reporter_phone,
    )  # fmt: skip
    event = service.create_event(
        session, spec=spec, scope=service.citizen_scope(body.region_code),
        tracking_code_length=events_settings.tracking_code_length,
    )  # fmt: skip
    return EventReceipt(
        id=event.id, tracking_code=event.tracking_code, status=EventStatus(event.status)
    )


@router.get(
    "/categories", response_model=list[EventCategoryRead], summary="事件分类",
    description="无需登录。12345 分类 (三级) 与 GB/T 30428 部件、事件大类; 可按 scheme 筛选。",
)  # fmt: skip
def list_categories(
    session: DbSession,
    scheme: Annotated[str | None, Query(max_length=16, description="12345/gbt30428_*")] = None,
) -> list[EventCategoryRead]:
    rows = categories.list_categories(session, scheme=scheme)
    return [EventCategoryRead.model_validate(r, from_attributes=True) for r in rows]


@router.patch(
    "/categories/{code}", response_model=EventCategoryRead, summary="修改事件分类",
    description="改名或停用一个分类; 不存在 404 event_category_not_found。",
)  # fmt: skip
def update_category(
    session: DbSession, principal: Configurer, code: CategoryCode, body: EventCategoryUpdate
) -> EventCategoryRead:
    row = categories.update_category(session, code=code, changes=body)
    return EventCategoryRead.model_validate(row, from_attributes=True)


@router.post(
    "/classify", response_model=EventClassifyResult, summary="智能分类",
    description=(
        "按文本建议 12345 一级分类与办理部门及置信度; 置信度低于阈值时 category 为 null "
        "(转人工派单)。尚无启用的模型时 409 classifier_not_trained (演示初始化或训练接口生成)。"
    ),
)  # fmt: skip
def classify(
    session: DbSession, principal: Reporter, body: EventClassifyRequest, settings: AppSettings,
    events_settings: Settings,
) -> EventClassifyResult:  # fmt: skip
    classifier = store.active_classifier(
        session, data_dir=settings.data_dir, features=events_settings.classifier_features,
        threshold=events_settings.classifier_threshold, train_if_missing=False,
    )  # fmt: skip
    if classifier is None:
        raise InvalidState("尚无启用的分类模型, 请先训练", code="classifier_not_trained")
    answer = store.suggest(
        session, classifier, body.text, threshold=events_settings.classifier_threshold
    )
    return EventClassifyResult(
        category=answer.category, department=answer.department, confidence=answer.confidence
    )


@router.get(
    "/classifier/models", response_model=list[EventClassifierRead], summary="分类模型版本",
    description="训练过的分类模型及其评测指标, 新版本在前。",
)  # fmt: skip
def list_models(session: DbSession, principal: Configurer) -> list[EventClassifierRead]:
    return [_model_read(row) for row in store.list_versions(session)]


@router.post(
    "/classifier/models", response_model=EventClassifierRead,
    status_code=status.HTTP_201_CREATED, summary="训练分类模型",
    description=(
        "用共享数据或本地已结案工单训练新版本并启用 (同步执行, 约十余秒), 附 5 折交叉验证等指标;"
        " 工单不足 422 not_enough_tickets。"
    ),
)  # fmt: skip
def train_model(
    session: DbSession, principal: Configurer, body: EventClassifierTrain, settings: AppSettings,
    events_settings: Settings,
) -> EventClassifierRead:  # fmt: skip
    row = store.train_version(
        session, features=body.features, source=body.source, data_dir=settings.data_dir,
        threshold=events_settings.classifier_threshold, measure=body.evaluate,
        department_limit=events_settings.department_sample_limit,
    )  # fmt: skip
    return _model_read(row)


@router.post(
    "/classifier/models/{model_id}/activate", response_model=EventClassifierRead,
    summary="启用分类模型", description="启用某一版本 (回滚即启用旧版本); 不存在 404。",
)  # fmt: skip
def activate_model(
    session: DbSession, principal: Configurer, model_id: RowId
) -> EventClassifierRead:
    return _model_read(store.activate_version(session, model_id=model_id))


@router.get(
    "/{event_id}", response_model=EventRead, summary="事件详情",
    description="事件与时间线; 不存在或无权查看 404 event_not_found。电话按权限脱敏。",
)  # fmt: skip
def get_event(session: DbSession, principal: Reader, event_id: RowId) -> EventRead:
    return queries.get_event(session, event_id, scope=Scope.of(principal))


@router.post(
    "/{event_id}/transitions", response_model=EventRead, summary="事件流转",
    description=(
        "派单、签收、退回、改派、办理、核查、结案。当前状态不允许 409 action_not_allowed; "
        "退回与核查不通过须填意见 409 reason_required。"
    ),
)  # fmt: skip
def transition(
    session: DbSession, principal: Actor, event_id: RowId, body: EventTransition
) -> EventRead:
    scope = Scope.of(principal)
    event = service.transition(session, event_id=event_id, change=body, scope=scope)
    return queries.read_event(session, event, scope=scope)


def _model_read(row: EventClassifierModel) -> EventClassifierRead:
    return EventClassifierRead(
        id=row.id, version=row.version, features=row.features, samples=row.samples,
        source=row.source, active=row.active, trained_by=row.trained_by,
        trained_at=row.trained_at, metrics=json.loads(row.metrics),
    )  # fmt: skip
