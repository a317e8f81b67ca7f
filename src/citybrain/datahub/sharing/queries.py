"""Reads of sharing, confined by the caller's :class:`~citybrain.core.scope.Scope` (region,
department, permissions).

* requests: a holder of ``sharing:request`` sees the requests of the departments it covers
  (its own department, or all of its region for bureau staff); a holder of
  ``sharing:approve`` sees the requests for resources those departments provide;
* grants: ``sharing:request`` — grants to covered departments; ``sharing:approve`` — grants
  on resources covered departments provide; ``sharing:manage`` — both;
* deliveries: ``sharing:manage`` — deliveries of covered resources or to covered departments.

A record outside every scope the caller holds is answered as not found.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from citybrain.core.clock import utcnow
from citybrain.core.errors import NotFound, PermissionDenied
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.sharing import rules
from citybrain.datahub.sharing.models import SharingDelivery, SharingGrant, SharingRequest
from citybrain.datahub.sharing.schemas import (
    DeliveryFilter,
    DeliveryPage,
    DeliveryRead,
    GrantFilter,
    GrantPage,
    GrantRead,
    RequestFilter,
    ShareRequestPage,
    ShareRequestRead,
)


def _clause(
    scope: Scope, by_permission: Iterable[tuple[str, ColumnElement[bool]]]
) -> ColumnElement[bool]:
    if scope.unrestricted:
        return true()  # the system itself (CLI, tasks), spelled Scope.system()
    clauses = [clause for code, clause in by_permission if scope.has(code)]
    if not clauses:
        raise PermissionDenied("没有查看共享数据的权限", code="permission_denied")
    return or_(false(), *clauses)


def provided_by(scope: Scope, resource_id: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """SQL: the resource behind ``resource_id`` is provided by a department the caller covers."""
    if scope.unrestricted or scope.all_departments:
        return true()
    return resource_id.in_(
        select(CatalogResource.id).where(scope.department_clause(CatalogResource.provider_code))
    )


def _consumer_side(
    scope: Scope, region: InstrumentedAttribute[str], department: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    return and_(catalog_scope.covers_clause(scope, region), scope.department_clause(department))


def _provider_side(
    scope: Scope, region: InstrumentedAttribute[str], resource_id: InstrumentedAttribute[int]
) -> ColumnElement[bool]:
    return and_(catalog_scope.covers_clause(scope, region), provided_by(scope, resource_id))


def _request_scope(scope: Scope) -> ColumnElement[bool]:
    consumer = _consumer_side(scope, SharingRequest.region_code, SharingRequest.requester_code)
    provider = _provider_side(
        scope, SharingRequest.resource_region_code, SharingRequest.resource_id
    )
    return _clause(scope, [("sharing:request", consumer), ("sharing:approve", provider)])


def _grant_scope(scope: Scope) -> ColumnElement[bool]:
    consumer = _consumer_side(scope, SharingGrant.consumer_region_code, SharingGrant.consumer_code)
    provider = _provider_side(scope, SharingGrant.resource_region_code, SharingGrant.resource_id)
    return _clause(
        scope,
        [("sharing:request", consumer), ("sharing:approve", provider),
         ("sharing:manage", provider), ("sharing:manage", consumer)],
    )  # fmt: skip


def _resource_names(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(CatalogResource.id, CatalogResource.code, CatalogResource.name).where(
            CatalogResource.id.in_(wanted)
        )
    )
    return {rid: (code, name) for rid, code, name in rows}


def _resource_id(session: Session, code: str) -> int:
    found = session.execute(
        select(CatalogResource.id).where(CatalogResource.code == code.strip())
    ).scalar_one_or_none()
    return -1 if found is None else found  # an unknown code filters everything out


def read_requests(session: Session, requests: list[SharingRequest]) -> list[ShareRequestRead]:
    names = _resource_names(session, (r.resource_id for r in requests))
    return [ShareRequestRead.of(r, *names.get(r.resource_id, ("", ""))) for r in requests]


def read_grants(session: Session, grants: list[SharingGrant]) -> list[GrantRead]:
    names = _resource_names(session, (g.resource_id for g in grants))
    return [GrantRead.of(g, names.get(g.resource_id, ("", ""))[0]) for g in grants]


def list_requests(
    session: Session, *, scope: Scope, filters: RequestFilter, page: PageParams
) -> ShareRequestPage:
    """Requests in the caller's scope, newest first."""
    query = (
        select(SharingRequest)
        .where(_request_scope(scope))
        .order_by(SharingRequest.created_at.desc(), SharingRequest.id.desc())
    )
    if filters.status is not None:
        query = query.where(SharingRequest.status == filters.status.value)
    if filters.requester_code:
        query = query.where(SharingRequest.requester_code == filters.requester_code)
    if filters.resource_code:
        query = query.where(
            SharingRequest.resource_id == _resource_id(session, filters.resource_code)
        )
    rows, total = paginate(session, query, page)
    return ShareRequestPage(
        items=read_requests(session, rows), total=total, page=page.page, size=page.size
    )


def get_request(session: Session, request_id: int, *, scope: Scope) -> ShareRequestRead:
    row = session.execute(
        select(SharingRequest).where(SharingRequest.id == request_id, _request_scope(scope))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"共享申请不存在: {request_id}", code="request_not_found", detail=request_id)
    return read_requests(session, [row])[0]


def grant_of_request(session: Session, request_id: int) -> SharingGrant | None:
    return session.execute(
        select(SharingGrant).where(SharingGrant.request_id == request_id)
    ).scalar_one_or_none()


def list_grants(
    session: Session, *, scope: Scope, filters: GrantFilter, page: PageParams
) -> GrantPage:
    """Grants in the caller's scope, newest first."""
    query = (
        select(SharingGrant)
        .where(_grant_scope(scope))
        .order_by(SharingGrant.created_at.desc(), SharingGrant.id.desc())
    )
    if filters.consumer_code:
        query = query.where(SharingGrant.consumer_code == filters.consumer_code)
    if filters.resource_code:
        query = query.where(
            SharingGrant.resource_id == _resource_id(session, filters.resource_code)
        )
    if filters.live_only:
        today = rules.china_today(utcnow())  # the SQL form of rules.grant_state
        query = query.where(SharingGrant.revoked_at.is_(None), SharingGrant.period_end_on >= today)
    rows, total = paginate(session, query, page)
    return GrantPage(items=read_grants(session, rows), total=total, page=page.page, size=page.size)


def get_grant(session: Session, grant_id: int, *, scope: Scope) -> GrantRead:
    row = session.execute(
        select(SharingGrant).where(SharingGrant.id == grant_id, _grant_scope(scope))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"共享授权不存在: {grant_id}", code="grant_not_found", detail=grant_id)
    return read_grants(session, [row])[0]


def list_deliveries(
    session: Session, *, scope: Scope, filters: DeliveryFilter, page: PageParams
) -> DeliveryPage:
    """The delivery log in the caller's scope (``sharing:manage``), newest first."""
    query = (
        select(SharingDelivery)
        .join(SharingGrant, SharingGrant.id == SharingDelivery.grant_id)
        .where(
            _clause(
                scope,
                [("sharing:manage",
                  _provider_side(scope, SharingDelivery.resource_region_code,
                                 SharingDelivery.resource_id)),
                 ("sharing:manage",
                  _consumer_side(scope, SharingGrant.consumer_region_code,
                                 SharingGrant.consumer_code))],
            )
        )
        .order_by(SharingDelivery.at.desc(), SharingDelivery.id.desc())
    )  # fmt: skip
    if filters.grant_id is not None:
        query = query.where(SharingDelivery.grant_id == filters.grant_id)
    if filters.consumer_code:
        query = query.where(SharingDelivery.consumer_code == filters.consumer_code)
    if filters.resource_code:
        query = query.where(
            SharingDelivery.resource_id == _resource_id(session, filters.resource_code)
        )
    rows, total = paginate(session, query, page)
    names = _resource_names(session, (d.resource_id for d in rows))
    items = [DeliveryRead.of(d, names.get(d.resource_id, ("", ""))[0]) for d in rows]
    return DeliveryPage(items=items, total=total, page=page.page, size=page.size)
