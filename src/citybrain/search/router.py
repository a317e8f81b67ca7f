"""HTTP adapter of global search under ``/api/v1/search``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession
from citybrain.search import queries
from citybrain.search.schemas import SearchFilter, SearchPage

router = APIRouter(prefix="/api/v1/search", tags=["search"])

Searcher = Annotated[Principal, Depends(require("search:read"))]


@router.get(
    "",
    response_model=SearchPage,
    summary="全局检索",
    description=(
        "在数据目录、专报 (及今后的指标、事件、新闻) 中检索, 只返回调用者所在辖区及下级、且有权"
        "查看的内容。每条结果给出所在位置 (如 数据目录 › 民政局 › 低保对象名册)、标题与摘要中"
        "命中的片段, 以及各类的命中数; kind 只检索一类。"
    ),
)
def search(
    session: DbSession, principal: Searcher, filters: Annotated[SearchFilter, Query()]
) -> SearchPage:
    return queries.search(session, filters=filters, scope=Scope.of(principal))
