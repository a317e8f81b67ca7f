"""HTTP adapters of the boards under ``/api/v1/boards``: 板块导航, and 屏端管理 (screens, their
keys, and the screen a key belongs to)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from citybrain.boards import data, service
from citybrain.boards.permissions import MANAGE, VIEW
from citybrain.boards.schemas import (
    BoardData,
    BoardNavItem,
    ScreenCreate,
    ScreenCreated,
    ScreenRead,
)
from citybrain.core.errors import NotFound
from citybrain.core.pagination import RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession

router = APIRouter(prefix="/api/v1/boards", tags=["boards"])
Viewer = Annotated[Principal, Depends(require(VIEW))]
Manager = Annotated[Principal, Depends(require(MANAGE))]


@router.get(
    "",
    description="板块导航: 三块指挥中心大屏, 各自的地址与本辖区可见的已发布指标数。",
    response_model=list[BoardNavItem],
    summary="板块导航",
)
def list_boards(session: DbSession, principal: Viewer) -> list[BoardNavItem]:
    return service.board_navigation(session, scope=Scope.of(principal))


@router.get(
    "/screens",
    description="本辖区及下级登记的屏端: 尺寸、轮巡的大屏、密钥前缀、最近使用与吊销时间。",
    response_model=list[ScreenRead],
    summary="屏端列表",
)
def list_screens(session: DbSession, principal: Manager) -> list[ScreenRead]:
    return service.list_screens(session, scope=Scope.of(principal))


@router.post(
    "/screens",
    description=(
        "登记屏端并生成屏端密钥 (只显示这一次): 只读、只看汇总、限于屏端区划、可随时吊销, "
        "每次使用都记入审计。区划不在本人辖区 403 region_out_of_scope。"
    ),
    response_model=ScreenCreated,
    status_code=status.HTTP_201_CREATED,
    summary="登记屏端",
)
def create_screen(session: DbSession, principal: Manager, body: ScreenCreate) -> ScreenCreated:
    return service.create_screen(session, spec=body, scope=Scope.of(principal))


@router.post(
    "/screens/{screen_id}/revoke",
    description="吊销屏端密钥, 立即生效; 不存在或不在本人辖区 404 screen_not_found。",
    response_model=ScreenRead,
    summary="吊销屏端",
)
def revoke_screen(screen_id: RowId, session: DbSession, principal: Manager) -> ScreenRead:
    return service.revoke_screen(session, screen_id=screen_id, scope=Scope.of(principal))


@router.get(
    "/screens/current",
    description=(
        "以屏端密钥 (X-API-Key) 调用: 本屏端的尺寸与轮巡设置, 大屏页面据此运行; 每次调用记入审计。"
        "不是屏端密钥 404 screen_not_found。"
    ),
    response_model=ScreenRead,
    summary="当前屏端",
)
def current_screen(session: DbSession, principal: Viewer) -> ScreenRead:
    if principal.kind != "apikey":
        raise NotFound("请使用屏端密钥访问", code="screen_not_found")
    return service.current_screen(session, api_key_id=principal.id)


@router.get(
    "/{code}/data",
    description=(
        "一块大屏在某区划 (默认本人或屏端的区划) 的数据: 该板块已发布指标的最近一期数值、五色、"
        "近 12 期趋势与下级区划排行, 只含汇总。带 ETag, 未变化时 304; 数据最多缓存 5 秒。"
        "大屏不存在 404 board_not_found, 区划不在辖区内 403 out_of_scope。"
    ),
    response_model=BoardData,
    responses={304: {"description": "未变化 (If-None-Match)"}},
    summary="大屏数据",
)
def board_data(
    code: str,
    request: Request,
    response: Response,
    session: DbSession,
    principal: Viewer,
    region: Annotated[str | None, Query(max_length=15, description="区划代码")] = None,
) -> BoardData | Response:
    answer = data.board_data(session, code=code, region=region, scope=Scope.of(principal))
    headers = {"ETag": answer.etag, "Cache-Control": "private, max-age=0, must-revalidate"}
    if request.headers.get("if-none-match") == answer.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers.update(headers)
    return answer.data
