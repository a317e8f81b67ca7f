"""Reads of data sources, always inside the caller's region.

A source is visible to a caller when one of the two regions lies inside the other: the county
that registered it and every township below use it; the city above manages it. A source outside
that line is answered as absent (404), so its name and host are not disclosed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.datasources.models import Datasource
from citybrain.datahub.datasources.rules import DRIVER_LABELS, Driver
from citybrain.datahub.datasources.schemas import (
    DatasourceFilter,
    DatasourceOption,
    DatasourcePage,
    DatasourceRead,
)
from citybrain.regions.models import Region


def _visible(region_code: str) -> Select[Datasource]:
    return select(Datasource).where(
        catalog_scope.visible_clause(region_code, Datasource.region_code)
    )


def get_source(session: Session, *, source_id: int, region_code: str) -> Datasource:
    """The source ``source_id`` if the caller of ``region_code`` may see it.
    Raises NotFound ``datasource_not_found`` (also for a source of another region)."""
    source = session.execute(
        _visible(region_code).where(Datasource.id == source_id)
    ).scalar_one_or_none()
    if source is None:
        raise NotFound(f"数据源 {source_id} 不存在", code="datasource_not_found", detail=source_id)
    return source


def list_sources(
    session: Session, *, filters: DatasourceFilter, page: PageParams, region_code: str
) -> DatasourcePage:
    query = _visible(region_code).order_by(Datasource.name)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(or_(Datasource.name.like(like), Datasource.host.like(like)))
    if filters.driver:
        query = query.where(Datasource.driver == filters.driver)
    if filters.enabled is not None:
        query = query.where(Datasource.enabled.is_(filters.enabled))
    rows, total = paginate(session, query, page)
    return DatasourcePage(
        items=read_many(session, rows), total=total, page=page.page, size=page.size
    )


def options(session: Session, *, region_code: str) -> list[DatasourceOption]:
    """The enabled sources the caller may pull from, by name."""
    rows = list(
        session.execute(
            _visible(region_code).where(Datasource.enabled.is_(True)).order_by(Datasource.name)
        ).scalars()
    )
    names = _region_names(session, rows)
    return [
        DatasourceOption(
            id=row.id,
            name=row.name,
            driver_label=_driver_label(row.driver),
            region_name=names.get(row.region_code, row.region_code),
        )
        for row in rows
    ]


def read_many(session: Session, rows: Sequence[Datasource]) -> list[DatasourceRead]:
    names = _region_names(session, rows)
    return [
        DatasourceRead(
            id=row.id,
            name=row.name,
            driver=row.driver,
            driver_label=_driver_label(row.driver),
            host=row.host,
            port=row.port,
            database=row.database,
            username=row.username,
            secret_set=bool(row.secret_token),
            region_code=row.region_code,
            region_name=names.get(row.region_code, row.region_code),
            description=row.description,
            enabled=row.enabled,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_by=row.updated_by,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def _driver_label(driver: str) -> str:
    try:
        return DRIVER_LABELS[Driver(driver)]
    except ValueError:
        return driver


def _region_names(session: Session, rows: Sequence[Datasource]) -> dict[str, str]:
    codes = {row.region_code for row in rows}
    if not codes:
        return {}
    found = session.execute(select(Region.code, Region.name).where(Region.code.in_(codes)))
    return {code: name for code, name in found}
