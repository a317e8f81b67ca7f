"""Grants: creating one for an approved request, issuing and checking its token, revoking it.
Each command flushes and audits in the caller's transaction; none commits.

A grant is usable on the China-time days of its period (dates, both included), until revoked;
expiry and revocation are checked on every use against ``utcnow()`` by ``rules.grant_state``.
Refusals of a known token are 403 (``grant_revoked``, ``grant_expired``, ``grant_not_started``,
``wrong_delivery_method``): the credential is genuine but confers no right any more. An unknown,
forged or replaced token is 401 ``invalid_share_token``.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of, set_actor
from citybrain.core.errors import BadInput, NotFound, PermissionDenied, Unauthenticated
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.sharing import rules, tokens
from citybrain.datahub.sharing.config import get_sharing_settings
from citybrain.datahub.sharing.models import SharingGrant, SharingRequest
from citybrain.datahub.sharing.rules import DeliveryMethod, GrantState, RequestStatus

OUT_OF_SCOPE = "region_out_of_scope"
DEPARTMENT_OUT_OF_SCOPE = "department_out_of_scope"


def issue_token(session: Session, *, grant_id: int, scope: Scope) -> tuple[SharingGrant, str]:
    """A new token for a live grant, returned once; any earlier token stops working.

    Raises NotFound ``grant_not_found``, PermissionDenied ``region_out_of_scope`` (the consumer
    is outside the caller's region or the caller is not its member),
    ``grant_revoked`` / ``grant_expired``. Audited as
    ``sharing.grant.token_issue`` (the prefix, never the token).
    """
    grant = get_grant(session, grant_id)
    if not catalog_scope.covers(scope, grant.consumer_region_code):
        raise PermissionDenied("只能为本辖区的部门领取令牌", code=OUT_OF_SCOPE)
    if not scope.acts_for(grant.consumer_code):
        raise PermissionDenied("只能为本部门领取令牌", code=DEPARTMENT_OUT_OF_SCOPE)
    _ensure_usable(grant, allow_not_started=True)
    token = _set_token(grant)
    session.flush()
    audit.record(
        session, action="sharing.grant.token_issue", object_type="sharing_grant",
        object_id=str(grant.id), region_code=grant.consumer_region_code,
        detail={"prefix": grant.token_prefix, "consumer_code": grant.consumer_code},
    )  # fmt: skip
    return grant, token


def revoke_grant(session: Session, *, grant_id: int, reason: str, scope: Scope) -> SharingGrant:
    """Revoke a grant at once: its token stops working and the request becomes ``revoked``.
    Revoking an already revoked grant changes nothing (idempotent).

    Raises BadInput ``reason_required``, NotFound ``grant_not_found``, PermissionDenied
    ``region_out_of_scope``. Audited as ``sharing.grant.revoke``.
    """
    if not reason.strip():
        raise BadInput("撤销授权须说明理由", code="reason_required")
    grant = get_grant(session, grant_id)
    provider = session.get_one(CatalogResource, grant.resource_id).provider_code
    if not may_manage_grant(scope, grant, provider_code=provider):
        raise PermissionDenied("无权撤销该共享授权", code=OUT_OF_SCOPE)
    if grant.revoked_at is not None:
        return grant
    grant.revoked_at = utcnow()
    grant.revoked_by = actor_name(session, scope)
    grant.revoke_reason = reason.strip()
    request = session.get(SharingRequest, grant.request_id)
    if request is not None:
        request.status = RequestStatus.revoked.value
    session.flush()
    audit.record(
        session, action="sharing.grant.revoke", object_type="sharing_grant",
        object_id=str(grant.id), region_code=grant.resource_region_code,
        detail={"consumer_code": grant.consumer_code, "reason": grant.revoke_reason},
    )  # fmt: skip
    return grant


def authenticate_grant(
    session: Session, *, token: str, method: DeliveryMethod | None = None
) -> SharingGrant:
    """The live grant behind a token; the session's actor becomes the consumer's token.

    Raises Unauthenticated ``invalid_share_token`` (missing, malformed, unknown, forged or
    replaced), PermissionDenied ``grant_revoked``, ``grant_expired``, ``grant_not_started``,
    ``wrong_delivery_method`` (an API grant used for a file or the reverse).
    """
    prefix = tokens.prefix_of(token or "")
    invalid = Unauthenticated("共享令牌无效", code="invalid_share_token")
    if prefix is None:
        raise invalid
    candidates = session.execute(
        select(SharingGrant).where(SharingGrant.token_prefix == prefix)
    ).scalars()
    grant = next((g for g in candidates if tokens.matches(token, g.token_hash)), None)
    if grant is None:
        raise invalid
    set_actor(
        session, actor=f"share:{grant.consumer_code}:{prefix}", role="share_token",
        region_code=grant.consumer_region_code,
    )  # fmt: skip
    _ensure_usable(grant)
    if method is not None and grant.method != method.value:
        wanted = "接口调用" if grant.method == DeliveryMethod.api.value else "文件下载"
        raise PermissionDenied(
            f"该共享授权的交付方式为{wanted}", code="wrong_delivery_method",
            detail={"grant_method": grant.method},
        )  # fmt: skip
    return grant


def get_grant(session: Session, grant_id: int) -> SharingGrant:
    grant = session.get(SharingGrant, grant_id)
    if grant is None:
        raise NotFound(f"共享授权不存在: {grant_id}", code="grant_not_found", detail=grant_id)
    return grant


def may_manage_grant(scope: Scope, grant: SharingGrant, *, provider_code: str) -> bool:
    """``sharing:manage`` over the resource's or the consumer's side, or the provider side
    (``sharing:approve`` over the resource's region and providing department)."""
    if scope.unrestricted:
        return True
    over_resource = catalog_scope.covers(
        scope, grant.resource_region_code
    ) and scope.covers_department(provider_code)
    over_consumer = catalog_scope.covers(
        scope, grant.consumer_region_code
    ) and scope.covers_department(grant.consumer_code)
    if scope.has("sharing:manage") and (over_resource or over_consumer):
        return True
    return scope.has("sharing:approve") and over_resource


# --- helpers ------------------------------------------------------------------------------

_GRANT_REFUSALS = {
    GrantState.revoked: ("grant_revoked", "共享授权已撤销"),
    GrantState.expired: ("grant_expired", "共享授权已过期"),
    GrantState.not_started: ("grant_not_started", "共享授权尚未生效"),
}


def _ensure_usable(grant: SharingGrant, *, allow_not_started: bool = False) -> None:
    state = rules.grant_state(
        utcnow(), grant.period_start_on, grant.period_end_on, grant.revoked_at
    )
    if state is GrantState.active or (allow_not_started and state is GrantState.not_started):
        return
    code, message = _GRANT_REFUSALS[state]
    raise PermissionDenied(
        message, code=code,
        detail={"grant_id": grant.id, "period_start": grant.period_start_on.isoformat(),
                "period_end": grant.period_end_on.isoformat()},
    )  # fmt: skip


def create_grant(
    session: Session, request: SharingRequest, resource: CatalogResource, *, issue: bool
) -> tuple[SharingGrant, str | None]:
    grant = SharingGrant(
        request_id=request.id, resource_id=resource.id,
        resource_region_code=resource.region_code, consumer_code=request.requester_code,
        consumer_region_code=request.region_code, items=request.items,
        protections=request.protections, method=request.method,
        period_start_on=request.period_start_on, period_end_on=request.period_end_on,
        rate_limit_per_minute=get_sharing_settings().rate_limit_per_minute,
        created_at=utcnow(),
    )  # fmt: skip
    token = _set_token(grant) if issue else None
    session.add(grant)
    session.flush()
    audit.record(
        session, action="sharing.grant.create", object_type="sharing_grant",
        object_id=str(grant.id), region_code=resource.region_code,
        detail={"request_id": request.id, "resource_code": resource.code,
                "consumer_code": grant.consumer_code, "items": json.loads(grant.items),
                "protections": json.loads(grant.protections),
                "period_end": grant.period_end_on.isoformat(), "prefix": grant.token_prefix},
    )  # fmt: skip
    return grant, token


def _set_token(grant: SharingGrant) -> str:
    token, prefix = tokens.new_token()
    grant.token_prefix = prefix
    grant.token_hash = tokens.digest(token)
    grant.token_issued_at = utcnow()
    return token


def actor_name(session: Session, scope: Scope) -> str:
    return actor_of(session).actor if scope.unrestricted else scope.actor
