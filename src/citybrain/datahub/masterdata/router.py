"""HTTP adapters of the base libraries under ``/api/v1/masterdata``: person and entity search
and profiles (masked), and the audited unmask of a person's profile. Each handler parses,
authorises by permission code, makes one service or query call with the caller's region as
scope, and answers a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from citybrain.core.config import Settings
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession, single_hop
from citybrain.datahub.masterdata import queries, service
from citybrain.datahub.masterdata.schemas import (
    EntityPage,
    EntityProfile,
    PersonPage,
    PersonProfile,
    UnmaskRequest,
)

router = APIRouter(prefix="/api/v1/masterdata", tags=["masterdata"])

MasterdataReader = Annotated[Principal, Depends(require("masterdata:read"))]
Unmasker = Annotated[Principal, Depends(require("pii:unmask"))]
SearchText = Annotated[str, Query(max_length=64, description="姓名、身份证号或手机号")]


async def _settings(request: Request) -> Settings:  # async: no hop to a worker thread
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(_settings)]


@router.get(
    "/persons",
    description=(
        "按姓名、证件号等检索本辖区人口库 (一人一档的归并结果), 证件号、电话等个人信息脱敏显示。"
    ),
    response_model=PersonPage,
    summary="检索人口库 (脱敏)",
)
def search_persons(
    session: DbSession,
    principal: MasterdataReader,
    settings: AppSettings,
    page: Annotated[PageParams, Query()],
    q: SearchText = "",
) -> PersonPage:
    return service.search_persons(
        session, q=q, page=page, scope=Scope.of(principal), settings=settings
    )


@router.get(
    "/persons/{master_id}",
    description=(
        "一人一档 (脱敏): 归并的各来源记录与关联信息; 每次查看记入审计。不存在或不在本辖区时 404 "
        "person_not_found。"
    ),
    response_model=PersonProfile,
    summary="一人一档 (脱敏)",
)
@single_hop
def read_person(
    master_id: str, session: DbSession, principal: MasterdataReader, settings: AppSettings
) -> PersonProfile:
    return service.read_person_profile(
        session, master_id=master_id, scope=Scope.of(principal), settings=settings
    )


@router.post(
    "/persons/{master_id}/unmask",
    description=(
        "查看一人一档的个人信息原文, 须持有 pii:unmask 权限并说明理由 (少于 4 个字 422 "
        "reason_required); 理由与显示的字段记入审计。不存在 404 person_not_found。"
    ),
    response_model=PersonProfile,
    summary="查看一人一档原文 (审计)",
)
def unmask_person(
    master_id: str,
    body: UnmaskRequest,
    session: DbSession,
    principal: Unmasker,
    settings: AppSettings,
) -> PersonProfile:
    return service.unmask(
        session, master_id=master_id, reason=body.reason, principal=principal, settings=settings
    )


@router.get(
    "/entities",
    description="按名称或统一社会信用代码检索本辖区法人库 (一企一档)。",
    response_model=EntityPage,
    summary="检索法人库",
)
def search_entities(
    session: DbSession,
    principal: MasterdataReader,
    page: Annotated[PageParams, Query()],
    q: SearchText = "",
) -> EntityPage:
    return queries.search_entities(session, q=q, page=page, scope=Scope.of(principal))


@router.get(
    "/entities/{master_id}",
    description="一企一档: 法人的归并信息与各来源记录; 不存在或不在本辖区时 404。",
    response_model=EntityProfile,
    summary="一企一档",
)
def read_entity(master_id: str, session: DbSession, principal: MasterdataReader) -> EntityProfile:
    return queries.entity_profile(session, master_id=master_id, scope=Scope.of(principal))
