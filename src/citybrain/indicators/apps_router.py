"""HTTP adapters of 应用管理 under ``/api/v1/indicators/apps``: the applications (big screens,
cockpits, reports) that use indicators, with their requester and department."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from citybrain.core.pagination import PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.web import AppSettings, DbSession
from citybrain.indicators import apps
from citybrain.indicators.dependencies import Editor, Reader
from citybrain.indicators.schemas import AppCreate, AppFilter, AppPage, AppRead, AppUpdate

apps_router = APIRouter()


@apps_router.get(
    "/apps",
    description=(
        "应用管理: 使用指标的应用 (大屏、驾驶舱、报表) 及其申请人、部门、期限; 电话脱敏显示。"
    ),
    response_model=AppPage,
    summary="指标应用列表",
)
def list_apps(
    session: DbSession,
    principal: Reader,
    filters: Annotated[AppFilter, Query()],
    page: Annotated[PageParams, Query()],
) -> AppPage:
    return apps.list_apps(session, filters=filters, page=page, scope=Scope.of(principal))


@apps_router.post(
    "/apps",
    description="登记使用指标的应用; 引用的指标须存在 (422 indicator_not_found)。",
    response_model=AppRead,
    status_code=status.HTTP_201_CREATED,
    summary="登记指标应用",
)
def create_app(
    session: DbSession, principal: Editor, settings: AppSettings, body: AppCreate
) -> AppRead:
    row = apps.create_app(session, spec=body, scope=Scope.of(principal), settings=settings)
    return apps.read_many(session, [row])[0]


@apps_router.patch(
    "/apps/{app_id}",
    description="修改指标应用; 不存在或不在本人辖区与部门 404 indicator_app_not_found。",
    response_model=AppRead,
    summary="修改指标应用",
)
def update_app(
    app_id: RowId, session: DbSession, principal: Editor, settings: AppSettings, body: AppUpdate
) -> AppRead:
    row = apps.update_app(
        session, app_id=app_id, changes=body, scope=Scope.of(principal), settings=settings
    )
    return apps.read_many(session, [row])[0]


@apps_router.delete(
    "/apps/{app_id}",
    description="删除指标应用; 不存在 404 indicator_app_not_found。",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="删除指标应用",
)
def delete_app(app_id: RowId, session: DbSession, principal: Editor) -> None:
    apps.delete_app(session, app_id=app_id, scope=Scope.of(principal))
