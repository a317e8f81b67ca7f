"""A page of results: the one shape every list endpoint answers with."""

from __future__ import annotations

from typing import Annotated, Final, Generic, TypeVar

from fastapi import Path
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

# Every id and count we store is a signed 64-bit integer (BIGINT, SQLite INTEGER); a bigger
# number from a URL can name nothing, and handed to a driver it overflows (a 500), so it is
# refused where it enters, with 422.
MAX_ID: Final = 2**63 - 1
MAX_PAGE_SIZE: Final = 500
# The largest page whose offset, (page - 1) * size, still fits in 64 bits.
MAX_PAGE: Final = MAX_ID // MAX_PAGE_SIZE

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="记录编号")]
"""A path parameter naming a row by its integer id: ``batch_id: RowId``."""

Version = Annotated[int, Path(ge=1, le=2**31 - 1, description="版本号")]
"""A path parameter naming a version number."""


class PageParams(BaseModel):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    size: int = Field(20, ge=1, le=MAX_PAGE_SIZE)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


def paginate(session: Session, query: Select[T], params: PageParams) -> tuple[list[T], int]:
    """The rows of one page and the total count, both computed in SQL."""
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.limit(params.size).offset((params.page - 1) * params.size))
    return list(rows.scalars()), int(total)
