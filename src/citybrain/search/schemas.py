from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from citybrain.core.pagination import MAX_PAGE, Page
from citybrain.search.contract import KIND_PATTERN


class SearchFilter(BaseModel):
    q: str = Field(min_length=1, max_length=100, description="检索词 (中文按词或字对切分)")
    kind: str | None = Field(
        None, pattern=KIND_PATTERN, description="只检索一类: catalog_resource、report …"
    )
    page: int = Field(1, ge=1, le=MAX_PAGE)
    size: int = Field(20, ge=1, le=100)


class TextPart(BaseModel):
    text: str
    hit: bool = Field(description="是否命中检索词 (前端高亮)")


class SearchHit(BaseModel):
    kind: str
    kind_title: str
    key: str
    title: str
    title_parts: list[TextPart]
    snippet: list[TextPart]
    path: list[str] = Field(description="所在位置, 从上到下, 如 [数据目录, 民政局, 低保对象名册]")
    url: str = Field(description="前端页面路径")
    region_code: str
    updated_at: datetime | None


class KindCount(BaseModel):
    kind: str
    title: str
    total: int


class SearchPage(Page[SearchHit]):
    kinds: list[KindCount] = Field(description="本次检索在各类中的命中数 (不受 kind 筛选影响)")


class ReindexResult(BaseModel):
    counts: dict[str, int]
