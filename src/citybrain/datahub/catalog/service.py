"""Commands of the catalog: register, change and retire resources; register and match demands.

Every command flushes (never commits), writes its audit record in the caller's transaction and,
for resources, a version snapshot. ``scope`` is the acting caller's
:class:`~citybrain.core.scope.Scope`: a caller only manages resources and demands of its
region's subtree; ``Scope.system()`` is the demo and the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from citybrain.core import domain_events
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, Conflict, InvalidState, NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.enums import DemandStatus, ResourceStatus, ShareType
from citybrain.datahub.catalog.models import (
    CatalogDemand,
    CatalogItem,
    CatalogResource,
    CatalogResourceVersion,
)
from citybrain.datahub.catalog.schemas import (
    DemandCreate,
    ResourceCreate,
    ResourceUpdate,
    RuleViolation,
    resource_fields,
)
from citybrain.iam.departments import Department

OUT_OF_SCOPE = "region_out_of_scope"
DEPARTMENT_OUT_OF_SCOPE = "department_out_of_scope"


def register_resource(session: Session, *, spec: ResourceCreate, scope: Scope) -> CatalogResource:
    """Register a new resource at version 1 and snapshot it.

    The provider department must exist and lie in the caller's subtree; the resource takes the
    department's region. Related codes must name registered resources.
    Raises Conflict ``resource_code_taken``, NotFound ``department_not_found``,
    PermissionDenied ``region_out_of_scope``, BadInput with the first broken rule's code
    (``share_condition_required``, ``share_basis_required``, ``duplicate_item_name``, …) and
    every broken rule in ``detail``. Audited as ``catalog.resource.create``.
    """
    if find_resource(session, spec.code) is not None:
        raise Conflict(f"资源代码已存在: {spec.code}", code="resource_code_taken", detail=spec.code)
    raise_problems(problems_of(session, spec, scope=scope))
    return insert_resource(session, spec=spec, status=ResourceStatus.active)


def update_resource(
    session: Session, *, code: str, changes: ResourceUpdate, scope: Scope
) -> CatalogResource:
    """Change a resource: the result is validated as a whole, then version + 1 and a snapshot.

    A change that alters nothing is a no-op (no version, no audit). Items are matched by
    ``name``: kept ones are updated in place, missing ones removed, new ones added.
    Raises NotFound ``resource_not_found``, PermissionDenied ``region_out_of_scope`` and the
    errors of :func:`register_resource`. Audited as ``catalog.resource.update`` with the
    changed fields.
    """
    resource = resource_for_edit(session, code, scope=scope)
    merged = {**resource_fields(resource), **changes.model_dump(exclude_unset=True)}
    status = ResourceStatus(merged.pop("status", None) or resource.status)
    try:
        spec = ResourceCreate.model_validate(merged)
    except ValidationError as exc:
        detail = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        raise BadInput("资源信息不合法", code="invalid_input", detail=detail) from exc
    raise_problems(problems_of(session, spec, scope=scope))
    return apply_change(session, resource, spec, status)


def retire_resource(
    session: Session, *, code: str, reason: str = "", scope: Scope
) -> CatalogResource:
    """Mark a resource 停用: it keeps its code, items and versions, leaves the open APIs and
    the default search, and cannot be matched to demands. Version + 1 and a snapshot.
    Raises NotFound ``resource_not_found``, PermissionDenied ``region_out_of_scope``,
    InvalidState ``resource_retired`` when it already is. Audited as ``catalog.resource.retire``.
    """
    resource = resource_for_edit(session, code, scope=scope)
    if resource.status == ResourceStatus.retired:
        raise InvalidState(f"资源已停用: {code}", code="resource_retired", detail=code)
    resource.status = ResourceStatus.retired.value
    _bump(session, resource)
    audit.record(
        session, action="catalog.resource.retire", object_type="catalog_resource",
        object_id=code, region_code=resource.region_code,
        detail={"reason": reason, "version": resource.version},
    )  # fmt: skip
    _publish_searchable(session, resource)
    return resource


def register_demand(session: Session, *, spec: DemandCreate, scope: Scope) -> CatalogDemand:
    """Register a department's data need as ``open`` in the supply–demand list.

    The requesting department must exist and lie in the caller's subtree.
    Raises NotFound ``department_not_found``, PermissionDenied ``region_out_of_scope``.
    Audited as ``catalog.demand.create``.
    """
    department = session.get(Department, spec.requester_code)
    if department is None:
        raise NotFound(
            f"部门不存在: {spec.requester_code}", code="department_not_found",
            detail=spec.requester_code,
        )  # fmt: skip
    if not catalog_scope.covers(scope, department.region_code):
        raise PermissionDenied(
            "只能为本辖区的部门登记需求", code=OUT_OF_SCOPE, detail=department.code
        )
    if not scope.covers_department(department.code):
        raise PermissionDenied(
            "只能以本部门的名义登记需求", code=DEPARTMENT_OUT_OF_SCOPE, detail=department.code
        )
    now = utcnow()
    demand = CatalogDemand(
        requester_code=department.code, region_code=department.region_code, title=spec.title,
        description=spec.description,
        wanted_items=json.dumps(spec.wanted_items, ensure_ascii=False),
        status=DemandStatus.open.value, match_note="", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(demand)
    session.flush()
    audit.record(
        session, action="catalog.demand.create", object_type="catalog_demand",
        object_id=str(demand.id), region_code=demand.region_code,
        detail={"title": demand.title, "requester": demand.requester_code},
    )  # fmt: skip
    return demand


def match_demand(
    session: Session,
    *,
    demand_id: int,
    resource_code: str,
    note: str = "",
    scope: Scope,
) -> CatalogDemand:
    """Answer a demand with a resource (status ``matched``); a matched demand may be re-matched.

    The resource must be active, shareable (not 不予共享) and visible from the demand's region.
    Raises NotFound ``demand_not_found`` / ``resource_not_found``, InvalidState
    ``demand_closed`` / ``resource_retired`` / ``resource_not_shareable``.
    Audited as ``catalog.demand.match``.
    """
    demand = demand_for_edit(session, demand_id, scope=scope)
    if demand.status == DemandStatus.closed:
        raise InvalidState("需求已关闭", code="demand_closed", detail=demand_id)
    resource = find_resource(session, resource_code)
    if resource is None or not catalog_scope.visible(demand.region_code, resource.region_code):
        raise NotFound(
            f"资源不存在: {resource_code}", code="resource_not_found", detail=resource_code
        )
    if resource.status == ResourceStatus.retired:
        raise InvalidState(f"资源已停用: {resource_code}", code="resource_retired")
    if resource.share_type == ShareType.none:
        raise InvalidState(
            f"资源不予共享, 不能用于供需对接: {resource_code}", code="resource_not_shareable"
        )
    demand.status = DemandStatus.matched.value
    demand.matched_resource_id = resource.id
    demand.match_note = note
    demand.updated_at = utcnow()
    session.flush()
    audit.record(
        session, action="catalog.demand.match", object_type="catalog_demand",
        object_id=str(demand.id), region_code=demand.region_code,
        detail={"resource": resource.code, "note": note},
    )  # fmt: skip
    return demand


def close_demand(session: Session, *, demand_id: int, note: str, scope: Scope) -> CatalogDemand:
    """Close a demand that no resource can meet, saying why (status ``closed``).
    Raises NotFound ``demand_not_found``, InvalidState ``demand_closed``.
    Audited as ``catalog.demand.close``."""
    demand = demand_for_edit(session, demand_id, scope=scope)
    if demand.status == DemandStatus.closed:
        raise InvalidState("需求已关闭", code="demand_closed", detail=demand_id)
    demand.status = DemandStatus.closed.value
    demand.match_note = note
    demand.updated_at = utcnow()
    session.flush()
    audit.record(
        session, action="catalog.demand.close", object_type="catalog_demand",
        object_id=str(demand.id), region_code=demand.region_code, detail={"note": note},
    )  # fmt: skip
    return demand


# --- shared with the Excel import -------------------------------------------------------------


def find_resource(session: Session, code: str) -> CatalogResource | None:
    return session.execute(
        select(CatalogResource).where(CatalogResource.code == code.strip())
    ).scalar_one_or_none()


def resource_for_edit(session: Session, code: str, *, scope: Scope) -> CatalogResource:
    """The resource, if the caller may change it (404 when it cannot even see it)."""
    resource = find_resource(session, code)
    if resource is None or not catalog_scope.sees(scope, resource.region_code):
        raise NotFound(f"资源不存在: {code}", code="resource_not_found", detail=code)
    if not catalog_scope.covers(scope, resource.region_code):
        raise PermissionDenied("只能管理本辖区的资源", code=OUT_OF_SCOPE, detail=code)
    if not scope.covers_department(resource.provider_code):
        raise PermissionDenied(
            "只能管理本部门提供的资源", code=DEPARTMENT_OUT_OF_SCOPE, detail=code
        )
    return resource


def demand_for_edit(session: Session, demand_id: int, *, scope: Scope) -> CatalogDemand:
    demand = session.get(CatalogDemand, demand_id)
    if demand is None or not catalog_scope.covers(scope, demand.region_code):
        raise NotFound(f"需求不存在: {demand_id}", code="demand_not_found", detail=demand_id)
    return demand


def problems_of(
    session: Session,
    spec: ResourceCreate,
    *,
    scope: Scope,
    pending_codes: Collection[str] = (),
) -> list[RuleViolation]:
    """Broken rules of ``spec`` including those needing the database: the provider exists and
    is in scope, related codes are registered (or ``pending_codes``, being imported with it)."""
    found = spec.rule_violations()
    department = session.get(Department, spec.provider_code)
    if department is None:
        message = f"部门不存在: {spec.provider_code}"
        found.append(RuleViolation("provider_code", "department_not_found", message))
    elif not catalog_scope.covers(scope, department.region_code):
        message = f"部门不在本辖区: {spec.provider_code}"
        found.append(RuleViolation("provider_code", OUT_OF_SCOPE, message))
    elif not scope.covers_department(department.code):
        message = f"只能登记本部门提供的资源: {spec.provider_code}"
        found.append(RuleViolation("provider_code", DEPARTMENT_OUT_OF_SCOPE, message))
    missing = [c for c in spec.related_codes if c not in pending_codes]
    if missing:
        known = set(
            session.execute(
                select(CatalogResource.code).where(CatalogResource.code.in_(missing))
            ).scalars()
        )
        for code in missing:
            if code not in known:
                found.append(
                    RuleViolation(
                        "related_codes", "related_resource_not_found", f"关联资源不存在: {code}"
                    )
                )
    return found


def raise_problems(problems: list[RuleViolation]) -> None:
    if not problems:
        return
    first = problems[0]
    detail = [{"field": p.field, "code": p.code, "message": p.message} for p in problems]
    if first.code == "department_not_found":
        raise NotFound(first.message, code=first.code, detail=detail)
    if first.code in (OUT_OF_SCOPE, DEPARTMENT_OUT_OF_SCOPE):
        raise PermissionDenied(first.message, code=first.code, detail=detail)
    raise BadInput(first.message, code=first.code, detail=detail)


def insert_resource(
    session: Session, *, spec: ResourceCreate, status: ResourceStatus
) -> CatalogResource:
    """Write a new resource whose ``spec`` already passed :func:`problems_of`: version 1, its
    snapshot and the ``catalog.resource.create`` audit record."""
    resource = CatalogResource(code=spec.code, version=1)
    _apply(session, resource, spec, status)
    session.add(resource)
    session.flush()
    _snapshot(session, resource)
    audit.record(
        session, action="catalog.resource.create", object_type="catalog_resource",
        object_id=resource.code, region_code=resource.region_code,
        detail={"name": resource.name, "version": 1, "status": resource.status},
    )  # fmt: skip
    _publish_searchable(session, resource)
    return resource


def apply_change(
    session: Session, resource: CatalogResource, spec: ResourceCreate, status: ResourceStatus
) -> CatalogResource:
    """Write an already-validated state onto ``resource``; a new version only if it differs."""
    before = state_of(resource)
    after = {**spec.model_dump(mode="json"), "status": status.value}
    after["region_code"] = _department(session, spec.provider_code).region_code
    if before == after:
        return resource
    changed = sorted(k for k in after if before.get(k) != after[k])
    _apply(session, resource, spec, status)
    _bump(session, resource)
    audit.record(
        session, action="catalog.resource.update", object_type="catalog_resource",
        object_id=resource.code, region_code=resource.region_code,
        detail={"version": resource.version, "changed": changed},
    )  # fmt: skip
    _publish_searchable(session, resource)
    return resource


def state_of(resource: CatalogResource) -> dict[str, Any]:
    """The versioned state of a resource as JSON-able data (what a snapshot holds)."""
    spec = ResourceCreate.model_validate(resource_fields(resource))
    return {
        **spec.model_dump(mode="json"),
        "status": resource.status,
        "region_code": resource.region_code,
    }


# --- global search (the contract: citybrain/search/contract.py) ---------------------------------

SEARCH_KIND = "catalog_resource"


def searchable(session: Session, resource: CatalogResource) -> dict[str, Any]:
    """The resource as a ``searchable.changed`` payload: found by its name, summary, code,
    provider and item titles; seen by catalog readers of its region and below (shared down the
    tree, as the catalog shows it), whatever their department."""
    department = session.get(Department, resource.provider_code)
    provider = department.name if department is not None else resource.provider_code
    items = "、".join(item.title for item in resource.items)
    return {
        "kind": SEARCH_KIND, "key": resource.code, "title": resource.name,
        "body": "\n".join(filter(None, (resource.summary, items, provider, resource.code))),
        "path": ["数据目录", provider, resource.name],
        "url": f"/datahub/catalog?q={resource.code}", "region_code": resource.region_code,
        "department_code": None, "permission": "catalog:read", "shared_down": True,
        "updated_at": resource.updated_at,
    }  # fmt: skip


def searchable_documents(session: Session) -> Iterator[dict[str, Any]]:
    """Every resource in use as a search document (``citybrain search reindex``)."""
    query = (
        select(CatalogResource)
        .options(selectinload(CatalogResource.items))
        .where(CatalogResource.status == ResourceStatus.active.value)
        .order_by(CatalogResource.code)
    )
    for resource in session.execute(query).scalars():
        yield searchable(session, resource)


def _publish_searchable(session: Session, resource: CatalogResource) -> None:
    # A retired resource leaves the default search, as it leaves the open APIs.
    if resource.status == ResourceStatus.active:
        domain_events.publish(session, "searchable.changed", **searchable(session, resource))
    else:
        domain_events.publish(session, "searchable.removed", kind=SEARCH_KIND, key=resource.code)


# --- internals --------------------------------------------------------------------------------


def _department(session: Session, code: str) -> Department:
    department = session.get(Department, code)
    if department is None:  # checked by problems_of before any write
        raise NotFound(f"部门不存在: {code}", code="department_not_found", detail=code)
    return department


def _apply(
    session: Session, resource: CatalogResource, spec: ResourceCreate, status: ResourceStatus
) -> None:
    resource.name = spec.name
    resource.provider_code = spec.provider_code
    resource.region_code = _department(session, spec.provider_code).region_code
    resource.summary = spec.summary
    resource.category = spec.category.value
    resource.format = spec.format
    resource.share_type = spec.share_type.value
    resource.share_condition = spec.share_condition
    resource.share_basis = spec.share_basis
    resource.share_method = spec.share_method.value
    resource.open_attribute = spec.open_attribute.value
    resource.update_cycle = spec.update_cycle.value
    resource.released_on = spec.released_on
    resource.related_codes = json.dumps(spec.related_codes, ensure_ascii=False)
    resource.key_item = spec.key_item
    resource.version_item = spec.version_item
    resource.status = status.value
    resource.updated_at = utcnow()
    # Matched by name so that no flush ever holds two rows with one (resource, name).
    existing = {item.name: item for item in resource.items}
    items: list[CatalogItem] = []
    for position, item_spec in enumerate(spec.items, start=1):
        item = existing.get(item_spec.name) or CatalogItem(name=item_spec.name)
        item.position = position
        item.title = item_spec.title
        item.type = item_spec.type.value
        item.length = item_spec.length
        item.description = item_spec.description
        item.sensitivity = item_spec.sensitivity.value
        item.mask = item_spec.mask.value
        items.append(item)
    resource.items = items


def _bump(session: Session, resource: CatalogResource) -> None:
    resource.version += 1
    resource.updated_at = utcnow()
    session.flush()
    _snapshot(session, resource)


def _snapshot(session: Session, resource: CatalogResource) -> None:
    session.add(
        CatalogResourceVersion(
            resource_id=resource.id, version=resource.version,
            snapshot=json.dumps(state_of(resource), ensure_ascii=False, sort_keys=True),
            changed_by=actor_of(session).actor, changed_at=utcnow(),
        )
    )  # fmt: skip
    session.flush()
