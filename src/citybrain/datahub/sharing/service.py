"""Commands of sharing: request, approve, reject, issue a token, revoke, expire, and the token
check every delivery starts with. Each flushes and audits in the caller's transaction; none
commits. Grant commands (token, revocation, the token check) live in
:mod:`~citybrain.datahub.sharing.grants` and are re-exported here; delivery lives in
:mod:`~citybrain.datahub.sharing.delivery`.

Who may act (the caller's :class:`~citybrain.core.scope.Scope`: region and department):

* requesting for a department needs ``sharing:request``, the department inside the caller's
  region and the caller a member of it (no request in another department's name; bureau staff
  without a department file none); the resource must be visible from the department's region;
* approving or rejecting needs ``sharing:approve``, the resource inside the caller's region and
  provided by a department the caller covers; nobody decides a request they filed;
* issuing a token needs ``sharing:request`` and the caller a member of the consumer;
* revoking needs ``sharing:manage`` with the resource or the consumer side covered, or
  ``sharing:approve`` with the provider side covered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.errors import (
    BadInput,
    Conflict,
    DomainError,
    InvalidState,
    NotFound,
    PermissionDenied,
)
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries as catalog_queries
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.enums import ResourceStatus, ShareType
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.sharing import grants, rules
from citybrain.datahub.sharing.config import get_sharing_settings
from citybrain.datahub.sharing.grants import (
    DEPARTMENT_OUT_OF_SCOPE,
    OUT_OF_SCOPE,
    authenticate_grant,
    get_grant,
    issue_token,
    may_manage_grant,
    revoke_grant,
)
from citybrain.datahub.sharing.models import SharingGrant, SharingRequest
from citybrain.datahub.sharing.rules import DeliveryMethod, Protection, RequestStatus
from citybrain.iam.departments import get_department

__all__ = [
    "ShareOutcome", "approve", "authenticate_grant", "expire_due", "get_grant", "issue_token",
    "may_manage_grant", "reject", "request_share", "revoke_grant",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ShareOutcome:
    """The stored request, its grant when one exists, the token when just issued (shown once),
    and for a 不予共享 refusal the error the caller answers with (the request is still stored)."""

    request: SharingRequest
    grant: SharingGrant | None = None
    token: str | None = None
    refusal: DomainError | None = None


def request_share(
    session: Session,
    *,
    resource_code: str,
    requester_code: str,
    items: list[str],
    purpose: str,
    legal_basis: str,
    period_start: date,
    period_end: date,
    method: DeliveryMethod = DeliveryMethod.api,
    protections: dict[str, Protection] | None = None,
    scope: Scope,
) -> ShareOutcome:
    """Store a share request and settle what can be settled at once.

    无条件共享: approved, grant created and its token returned (once). 有条件共享, or any item
    asked for in clear against its mask: pending for the provider. 不予共享: stored as
    ``refused`` with the resource's legal basis as the decision note, and returned with
    ``refusal`` = InvalidState ``share_refused`` (not raised, so the refusal is kept).
    Raises NotFound ``resource_not_found`` / ``department_not_found``, PermissionDenied
    ``region_out_of_scope`` / ``department_out_of_scope`` / ``unmask_not_permitted``, BadInput
    ``no_items``, ``unknown_item`` (naming it), ``protection_not_allowed``, ``purpose_required``,
    ``legal_basis_required``,
    ``period_reversed`` / ``period_in_past`` / ``period_too_long``, InvalidState
    ``resource_retired``, Conflict ``request_pending`` (same department and resource pending).
    Audited as ``sharing.request.create`` (+ ``sharing.grant.create`` when granted).
    """
    department = get_department(session, requester_code)
    if not catalog_scope.covers(scope, department.region_code):
        raise PermissionDenied("只能为本辖区的部门申请共享", code=OUT_OF_SCOPE)
    if not scope.acts_for(department.code):
        raise PermissionDenied(
            "只能以本部门的名义申请共享", code=DEPARTMENT_OUT_OF_SCOPE, detail=department.code
        )
    # Visible from the requesting department's region (its subtree and ancestors).
    resource = catalog_queries.get_resource(
        session, resource_code, scope=Scope(region_code=department.region_code)
    )
    if resource.status != ResourceStatus.active.value:
        raise InvalidState(f"资源已停用: {resource.code}", code="resource_retired")
    names = _check_items(resource, items)
    chosen, defaults = _protections(resource, names, protections or {}, scope)
    _check_text(purpose, "purpose_required", "请填写使用用途")
    _check_text(legal_basis, "legal_basis_required", "请填写申请依据")
    now = utcnow()
    problem = rules.period_problem(
        period_start, period_end, rules.china_today(now), get_sharing_settings().max_period_days
    )
    if problem:
        raise BadInput(_PERIOD_MESSAGES[problem], code=problem)
    _refuse_duplicate(session, resource.id, department.code)
    request = SharingRequest(
        resource_id=resource.id, resource_region_code=resource.region_code,
        requester_code=department.code, region_code=department.region_code,
        share_type=resource.share_type, items=json.dumps(names, ensure_ascii=False),
        protections=json.dumps({n: p.value for n, p in chosen.items()}), method=method.value,
        purpose=purpose.strip(), legal_basis=legal_basis.strip(), period_start_on=period_start,
        period_end_on=period_end, status=RequestStatus.pending.value,
        created_by=grants.actor_name(session, scope), created_at=now,
    )  # fmt: skip
    session.add(request)
    session.flush()
    refusal: DomainError | None = None
    if resource.share_type == ShareType.none.value:
        basis = resource.share_basis or "未登记依据"
        _decide(session, request, RequestStatus.refused, f"不予共享。依据: {basis}", scope)
        refusal = InvalidState(
            f"资源“{resource.name}”不予共享。依据: {basis}", code="share_refused",
            detail={"request_id": request.id, "resource_code": resource.code, "basis": basis},
        )  # fmt: skip
    _audit(session, "sharing.request.create", request, resource.code, status=request.status)
    if refusal is not None or rules.needs_approval(resource.share_type, chosen, defaults):
        return ShareOutcome(request, refusal=refusal)
    _decide(session, request, RequestStatus.approved, "无条件共享，自动同意", scope)
    grant, token = grants.create_grant(session, request, resource, issue=True)
    return ShareOutcome(request, grant, token)


def approve(session: Session, *, request_id: int, note: str = "", scope: Scope) -> ShareOutcome:
    """Approve a pending request and create its grant (without a token: the consumer issues
    it with :func:`issue_token`, so it is never shown to the approver).

    Raises NotFound ``request_not_found``, PermissionDenied ``region_out_of_scope`` /
    ``department_out_of_scope`` (not a resource of the caller's department) /
    ``self_approval`` (the caller filed it), InvalidState ``request_not_pending`` /
    ``resource_retired`` / ``period_in_past``.
    Audited as ``sharing.request.approve`` and ``sharing.grant.create``.
    """
    request = _pending_for_decision(session, request_id, scope)
    resource = _resource(session, request.resource_id)
    if resource.status != ResourceStatus.active.value:
        raise InvalidState(f"资源已停用: {resource.code}", code="resource_retired")
    if request.period_end_on < rules.china_today(utcnow()):
        raise InvalidState("申请的共享期限已过，请重新申请", code="period_in_past")
    _decide(session, request, RequestStatus.approved, note.strip(), scope)
    _audit(session, "sharing.request.approve", request, resource.code, note=note.strip())
    grant, _ = grants.create_grant(session, request, resource, issue=False)
    return ShareOutcome(request, grant)


def reject(session: Session, *, request_id: int, note: str, scope: Scope) -> SharingRequest:
    """Reject a pending request; the note (the reason) is required.

    Raises BadInput ``note_required``, NotFound ``request_not_found``, PermissionDenied
    ``region_out_of_scope`` / ``department_out_of_scope`` / ``self_approval``, InvalidState
    ``request_not_pending``. Audited as ``sharing.request.reject``.
    """
    _check_text(note, "note_required", "驳回须说明理由")
    request = _pending_for_decision(session, request_id, scope)
    _decide(session, request, RequestStatus.rejected, note.strip(), scope)
    resource = _resource(session, request.resource_id)
    _audit(session, "sharing.request.reject", request, resource.code, note=note.strip())
    return request


def expire_due(session: Session) -> int:
    """Mark approved requests whose grant has expired as ``expired`` (a scheduled task; use is
    refused on expiry regardless). Returns how many changed; audited once when any did."""
    today = rules.china_today(utcnow())  # the SQL form of rules.grant_state
    rows = session.execute(
        select(SharingRequest)
        .join(SharingGrant, SharingGrant.request_id == SharingRequest.id)
        .where(SharingRequest.status == RequestStatus.approved.value)
        .where(SharingGrant.period_end_on < today)
    ).scalars()
    ids = []
    for request in rows:
        request.status = RequestStatus.expired.value
        ids.append(request.id)
    if ids:
        session.flush()
        audit.record(
            session, action="sharing.request.expire", object_type="sharing_request",
            object_id=",".join(map(str, ids[:20])), detail={"count": len(ids), "ids": ids},
        )  # fmt: skip
    return len(ids)


# --- helpers ------------------------------------------------------------------------------

_PERIOD_MESSAGES = {
    "period_reversed": "共享期限的结束日期早于开始日期",
    "period_in_past": "共享期限已过",
    "period_too_long": "共享期限过长",
}


def _check_items(resource: CatalogResource, items: list[str]) -> list[str]:
    wanted = [name.strip() for name in items if name.strip()]
    if not wanted:
        raise BadInput("请至少选择一个信息项", code="no_items")
    unknown = rules.unknown_items(wanted, [i.name for i in resource.items])
    if unknown:
        raise BadInput(
            f"信息项“{unknown[0]}”不属于资源 {resource.code}", code="unknown_item",
            detail={"unknown": unknown},
        )  # fmt: skip
    chosen = set(wanted)
    return [i.name for i in resource.items if i.name in chosen]  # catalog order


def _protections(
    resource: CatalogResource,
    names: list[str],
    wanted: dict[str, Protection],
    scope: Scope,
) -> tuple[dict[str, Protection], dict[str, Protection]]:
    extra = rules.unknown_items(list(wanted), names)
    if extra:
        raise BadInput(
            f"保护方式指定的信息项“{extra[0]}”不在申请的信息项中", code="unknown_item",
            detail={"unknown": extra},
        )  # fmt: skip
    # Held explicitly: the system scope never asks for data in clear on anyone's behalf.
    may_unmask = "pii:unmask" in scope.permissions
    by_name = {i.name: i for i in resource.items}
    chosen, defaults = {}, {}
    for name in names:
        item = by_name[name]
        defaults[name] = rules.default_protection(item.sensitivity, item.mask)
        chosen[name] = rules.choose_protection(
            name, item.sensitivity, item.mask, wanted.get(name), may_unmask=may_unmask
        )
    return chosen, defaults


def _check_text(value: str, code: str, message: str) -> None:
    if not value or not value.strip():
        raise BadInput(message, code=code)


def _refuse_duplicate(session: Session, resource_id: int, requester_code: str) -> None:
    pending = session.execute(
        select(SharingRequest.id).where(
            SharingRequest.resource_id == resource_id,
            SharingRequest.requester_code == requester_code,
            SharingRequest.status == RequestStatus.pending.value,
        )
    ).first()
    if pending is not None:
        raise Conflict(
            "该部门对此资源已有待审核的申请",
            code="request_pending",
            detail={"request_id": pending[0]},
        )


def _pending_for_decision(session: Session, request_id: int, scope: Scope) -> SharingRequest:
    request = session.get(SharingRequest, request_id)
    if request is None:
        raise NotFound(f"共享申请不存在: {request_id}", code="request_not_found", detail=request_id)
    if not catalog_scope.covers(scope, request.resource_region_code):
        raise PermissionDenied("只能审核本辖区提供的资源的申请", code=OUT_OF_SCOPE)
    if not scope.covers_department(_resource(session, request.resource_id).provider_code):
        raise PermissionDenied(
            "只能审核本部门提供的资源的申请", code=DEPARTMENT_OUT_OF_SCOPE, detail=request_id
        )
    if not scope.unrestricted and request.created_by == scope.actor:
        raise PermissionDenied("不能审核本人提交的申请", code="self_approval", detail=request_id)
    if request.status != RequestStatus.pending.value:
        raise InvalidState(
            f"申请状态为{rules.STATUS_LABELS[request.status]}，不能再审核",
            code="request_not_pending", detail={"status": request.status},
        )  # fmt: skip
    return request


def _resource(session: Session, resource_id: int) -> CatalogResource:
    resource = session.get(CatalogResource, resource_id)
    if resource is None:  # a foreign key guarantees it; kept for the type checker
        raise NotFound(f"资源不存在: {resource_id}", code="resource_not_found")
    return resource


def _decide(
    session: Session,
    request: SharingRequest,
    status: RequestStatus,
    note: str,
    scope: Scope,
) -> None:
    request.status = status.value
    request.decided_by = (
        grants.actor_name(session, scope) if status is not RequestStatus.refused else "system"
    )
    request.decided_at = utcnow()
    request.decision_note = note
    session.flush()


def _audit(
    session: Session, action: str, request: SharingRequest, resource_code: str, **extra: str
) -> None:
    audit.record(
        session, action=action, object_type="sharing_request", object_id=str(request.id),
        region_code=request.resource_region_code,
        detail={"resource_code": resource_code, "requester_code": request.requester_code,
                "items": json.loads(request.items), **extra},
    )  # fmt: skip
