"""Reads of the catalog: search, one resource, its versions, demands, and the open catalog.

``scope`` is the reader's :class:`~citybrain.core.scope.Scope`: a reader sees the resources of
its subtree and of its ancestors (see :mod:`citybrain.datahub.catalog.scope`);
``Scope.system()`` reads everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session, selectinload

from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.enums import OpenAttribute, ResourceStatus, ShareType
from citybrain.datahub.catalog.models import (
    CatalogDemand,
    CatalogItem,
    CatalogResource,
    CatalogResourceVersion,
)
from citybrain.datahub.catalog.schemas import (
    DemandFilter,
    DemandPage,
    DemandRead,
    DemandSuggestion,
    ResourceFilter,
    ResourcePage,
    ResourceRead,
    VersionRead,
)
from citybrain.iam.departments import Department

PUBLISHED = (OpenAttribute.open.value, OpenAttribute.conditional.value)


def search_resources(
    session: Session,
    *,
    filters: ResourceFilter,
    page: PageParams,
    scope: Scope,
) -> ResourcePage:
    """One page of resources matching ``filters``, ordered by code.

    The hottest read of the catalog, so it reads rows, not ORM objects, in two queries (the
    page with its total and provider names, then its items) from statements prepared once
    per shape of filter and scope, and validates each answer once."""
    count, listing, params = _statements(filters, scope)
    params = {**params, "limit": page.size, "offset": (page.page - 1) * page.size}
    rows = session.execute(listing, params).mappings().all()
    # The total rides on every row (count(*) over the filtered rows); past the last page
    # there is no row to carry it.
    total = rows[0]["total"] if rows else session.execute(count, params).scalar_one()
    items: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    if items:
        for item in session.execute(_ITEMS, {"ids": list(items)}).mappings():
            items[item["resource_id"]].append(dict(item))
    return ResourcePage(
        items=[
            ResourceRead.of_row(row, items[row["id"]], row["provider_name"] or "") for row in rows
        ],
        total=int(total),
        page=page.page,
        size=page.size,
    )


_RESOURCE_COLUMNS = tuple(CatalogResource.__table__.columns)
_ITEMS = (
    select(*(column for column in CatalogItem.__table__.columns if column.name != "id"))
    .where(CatalogItem.resource_id.in_(bindparam("ids", expanding=True)))
    .order_by(CatalogItem.resource_id, CatalogItem.position)
)
_EQUAL_FILTERS = ("category", "provider_code", "share_type", "open_attribute", "status")


def _statements(
    filters: ResourceFilter, scope: Scope
) -> tuple[Select[Any], Select[Any], dict[str, Any]]:
    """The count and the page statements for ``filters`` and ``scope``, and their values."""
    set_filters = tuple(name for name in _EQUAL_FILTERS if getattr(filters, name) is not None)
    params = {name: str(getattr(filters, name)) for name in set_filters}
    if filters.q.strip():  # free text: rare enough to build each time
        return _build(_filters(filters, scope), params)
    shape = catalog_scope.sees_shape(scope)
    return (*_prepared(shape, set_filters), {**params, **catalog_scope.sees_params(scope)})


@lru_cache(maxsize=128)
def _prepared(
    shape: catalog_scope.SeesShape, set_filters: tuple[str, ...]
) -> tuple[Select[Any], Select[Any]]:
    where = [catalog_scope.sees_clause_prepared(shape, CatalogResource.region_code)]
    where += [getattr(CatalogResource, name) == bindparam(name) for name in set_filters]
    count, listing, _ = _build(where, {})
    return count, listing


def _build(
    where: list[ColumnElement[bool]], params: dict[str, Any]
) -> tuple[Select[Any], Select[Any], dict[str, Any]]:
    count = select(func.count()).select_from(CatalogResource).where(*where)
    listing = (
        select(
            *_RESOURCE_COLUMNS,
            Department.name.label("provider_name"),
            func.count().over().label("total"),
        )
        .select_from(CatalogResource)
        .outerjoin(Department, Department.code == CatalogResource.provider_code)
        .where(*where)
        .order_by(CatalogResource.code)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, listing, params


def _filters(filters: ResourceFilter, scope: Scope) -> list[ColumnElement[bool]]:
    where = [catalog_scope.sees_clause(scope, CatalogResource.region_code)]
    text = filters.q.strip()
    if text:
        in_items = select(CatalogItem.resource_id).where(
            CatalogItem.title.icontains(text, autoescape=True)
        )
        where.append(
            CatalogResource.name.icontains(text, autoescape=True)
            | CatalogResource.summary.icontains(text, autoescape=True)
            | CatalogResource.code.icontains(text, autoescape=True)
            | CatalogResource.id.in_(in_items)
        )
    for name in _EQUAL_FILTERS:
        if getattr(filters, name) is not None:
            where.append(getattr(CatalogResource, name) == bindparam(name))
    return where


def get_resource(session: Session, code: str, *, scope: Scope) -> CatalogResource:
    """The resource with ``code``; NotFound ``resource_not_found`` also when out of sight."""
    resource = session.execute(
        select(CatalogResource)
        .options(selectinload(CatalogResource.items))
        .where(CatalogResource.code == code.strip())
    ).scalar_one_or_none()
    if resource is None or not catalog_scope.sees(scope, resource.region_code):
        raise NotFound(f"资源不存在: {code}", code="resource_not_found", detail=code)
    return resource


def read_resource(session: Session, code: str, *, scope: Scope) -> ResourceRead:
    return read_many(session, [get_resource(session, code, scope=scope)])[0]


def read_many(session: Session, resources: Sequence[CatalogResource]) -> list[ResourceRead]:
    names = department_names(session, (r.provider_code for r in resources))
    return [ResourceRead.of(r, names.get(r.provider_code, "")) for r in resources]


def department_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(Department.code, Department.name).where(Department.code.in_(wanted))
    )
    return {code: name for code, name in rows}


def list_versions(session: Session, code: str, *, scope: Scope) -> list[VersionRead]:
    """Every version of a resource, newest first, each with its full snapshot."""
    resource = get_resource(session, code, scope=scope)
    rows = session.execute(
        select(CatalogResourceVersion)
        .where(CatalogResourceVersion.resource_id == resource.id)
        .order_by(CatalogResourceVersion.version.desc())
    ).scalars()
    return [
        VersionRead(
            version=v.version, changed_by=v.changed_by, changed_at=v.changed_at,
            snapshot=json.loads(v.snapshot),
        )
        for v in rows
    ]  # fmt: skip


def get_version(session: Session, code: str, version: int, *, scope: Scope) -> VersionRead:
    for entry in list_versions(session, code, scope=scope):
        if entry.version == version:
            return entry
    raise NotFound(f"资源版本不存在: {code} v{version}", code="version_not_found", detail=version)


def all_resources(
    session: Session, *, scope: Scope, managed_only: bool = True
) -> list[CatalogResource]:
    """Every resource the caller manages (or sees), items loaded, ordered by code."""
    clause = (catalog_scope.covers_clause if managed_only else catalog_scope.sees_clause)(
        scope, CatalogResource.region_code
    )
    query = (
        select(CatalogResource)
        .options(selectinload(CatalogResource.items))
        .where(clause)
        .order_by(CatalogResource.code)
    )
    return list(session.execute(query).scalars())


def first_registered(session: Session, resource_ids: Iterable[int]) -> dict[int, datetime]:
    """When each resource was registered (the time of its version 1)."""
    wanted = sorted(set(resource_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(CatalogResourceVersion.resource_id, CatalogResourceVersion.changed_at).where(
            CatalogResourceVersion.resource_id.in_(wanted), CatalogResourceVersion.version == 1
        )
    )
    return {resource_id: at for resource_id, at in rows}


def published_resources(session: Session) -> list[CatalogResource]:
    """Active resources whose open attribute is 无条件开放 or 有条件开放, ordered by code."""
    query = (
        select(CatalogResource)
        .options(selectinload(CatalogResource.items))
        .where(
            CatalogResource.open_attribute.in_(PUBLISHED),
            CatalogResource.status == ResourceStatus.active.value,
        )
        .order_by(CatalogResource.code)
    )
    return list(session.execute(query).scalars())


def list_demands(
    session: Session,
    *,
    filters: DemandFilter,
    page: PageParams,
    scope: Scope,
) -> DemandPage:
    """One page of demands of the caller's subtree, newest first."""
    query = (
        select(CatalogDemand)
        .where(catalog_scope.covers_clause(scope, CatalogDemand.region_code))
        .order_by(CatalogDemand.created_at.desc(), CatalogDemand.id.desc())
    )
    if filters.status is not None:
        query = query.where(CatalogDemand.status == filters.status.value)
    if filters.requester_code:
        query = query.where(CatalogDemand.requester_code == filters.requester_code)
    rows, total = paginate(session, query, page)
    return DemandPage(
        items=[read_demand(session, d) for d in rows], total=total, page=page.page, size=page.size
    )


def read_demand(session: Session, demand: CatalogDemand) -> DemandRead:
    code = None
    if demand.matched_resource_id is not None:
        matched = session.get(CatalogResource, demand.matched_resource_id)
        code = matched.code if matched else None
    return DemandRead.of(demand, code)


def get_demand(session: Session, demand_id: int, *, scope: Scope) -> DemandRead:
    demand = session.get(CatalogDemand, demand_id)
    if demand is None or not catalog_scope.covers(scope, demand.region_code):
        raise NotFound(f"需求不存在: {demand_id}", code="demand_not_found", detail=demand_id)
    return read_demand(session, demand)


def suggest_resources(
    session: Session, demand_id: int, *, scope: Scope, limit: int = 10
) -> list[DemandSuggestion]:
    """Active, shareable resources visible from the demand's region that hold the most of the
    wanted item titles (ties: by code). Resources holding none of them are left out."""
    demand = get_demand(session, demand_id, scope=scope)
    wanted = set(demand.wanted_items)
    if not wanted:
        return []
    query = (
        select(CatalogResource)
        .options(selectinload(CatalogResource.items))
        .where(
            catalog_scope.visible_clause(demand.region_code, CatalogResource.region_code),
            CatalogResource.status == ResourceStatus.active.value,
            CatalogResource.share_type != ShareType.none.value,
            CatalogResource.id.in_(
                select(CatalogItem.resource_id).where(CatalogItem.title.in_(wanted))
            ),
        )
    )
    scored = []
    for resource in session.execute(query).scalars():
        matched = [item.title for item in resource.items if item.title in wanted]
        scored.append((-len(matched), resource.code, resource, matched))
    scored.sort(key=lambda entry: (entry[0], entry[1]))
    return [
        DemandSuggestion(
            resource_code=r.code, resource_name=r.name, provider_code=r.provider_code,
            matched_items=m, share_type=ShareType(r.share_type),
        )
        for _, _, r, m in scored[:limit]
    ]  # fmt: skip
