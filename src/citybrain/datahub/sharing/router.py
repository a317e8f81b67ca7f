"""HTTP API of sharing (``/api/v1/sharing``).

People manage requests, decisions, grants, the delivery log and traces with their session.
Department systems fetch granted data from ``/data``, ``/data.csv`` and ``/data.xlsx`` with the
grant token in ``X-Share-Token``: those routes carry no user session, so they are listed in
:data:`PUBLIC_ROUTE_PATHS`, and their dependency validates the token before the handler runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Query, Request, Response, Security
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader

from citybrain.core.errors import error_body
from citybrain.core.pagination import MAX_ID, PageParams, RowId
from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require, require_any
from citybrain.core.web import DbSession
from citybrain.datahub.sharing import delivery, queries, service
from citybrain.datahub.sharing.rules import DeliveryMethod
from citybrain.datahub.sharing.schemas import (
    DecisionBody,
    DeliveryFilter,
    DeliveryPage,
    GrantFilter,
    GrantPage,
    GrantRead,
    RejectBody,
    RequestFilter,
    RevokeBody,
    SharedDataPage,
    ShareOutcomeRead,
    ShareRequestCreate,
    ShareRequestPage,
    ShareRequestRead,
    TokenRead,
    TraceRead,
)

PREFIX: Final = "/api/v1/sharing"
PUBLIC_ROUTE_PATHS: Final = frozenset(
    {f"{PREFIX}/data", f"{PREFIX}/data.csv", f"{PREFIX}/data.xlsx"}
)
"""Routes authenticated by a grant token instead of a user session (see the module doc)."""

router = APIRouter(prefix=PREFIX, tags=["sharing"])
share_token_header = APIKeyHeader(
    name="X-Share-Token", scheme_name="ShareToken", auto_error=False,
    description="共享授权令牌 (cbs_…), 在授权时只显示一次",
)  # fmt: skip

Requester = Annotated[Principal, Depends(require("sharing:request"))]
Approver = Annotated[Principal, Depends(require("sharing:approve"))]
Manager = Annotated[Principal, Depends(require("sharing:manage"))]
Participant = Annotated[
    Principal, Depends(require_any("sharing:request", "sharing:approve", "sharing:manage"))
]
"""Anyone who takes part in sharing; the queries narrow each list to what the caller may see."""


def _valid_token(method: DeliveryMethod) -> Callable[..., str]:
    def check(
        session: DbSession, token: Annotated[str | None, Security(share_token_header)] = None
    ) -> str:
        service.authenticate_grant(session, token=token or "", method=method)
        return token or ""

    check.__name__ = f"valid_share_token_{method.value}"
    return check


ApiToken = Annotated[str, Depends(_valid_token(DeliveryMethod.api))]
FileToken = Annotated[str, Depends(_valid_token(DeliveryMethod.file))]


def _outcome(session: DbSession, outcome: service.ShareOutcome) -> ShareOutcomeRead:
    request = queries.read_requests(session, [outcome.request])[0]
    grant = queries.read_grants(session, [outcome.grant])[0] if outcome.grant else None
    return ShareOutcomeRead(request=request, grant=grant, token=outcome.token)


@router.post(
    "/requests",
    status_code=201,
    response_model=ShareOutcomeRead,
    responses={409: {"description": "不予共享 (share_refused): 申请已记录, 附依据"}},
)
def create_request(
    body: ShareRequestCreate, session: DbSession, principal: Requester
) -> ShareOutcomeRead | JSONResponse:
    outcome = service.request_share(
        session, resource_code=body.resource_code, requester_code=body.requester_code,
        items=body.items, purpose=body.purpose, legal_basis=body.legal_basis,
        period_start=body.period_start, period_end=body.period_end, method=body.method,
        protections=body.protections, scope=Scope.of(principal),
    )  # fmt: skip
    read = _outcome(session, outcome)
    if outcome.refusal is not None:  # answered, not raised: the refused request is kept
        refusal = outcome.refusal
        detail = {**refusal.detail, "request": read.request} if refusal.detail else read.request
        body_ = error_body(refusal.code, refusal.message, jsonable_encoder(detail))
        return JSONResponse(body_, status_code=refusal.status_code)
    return read


@router.get("/requests")
def list_requests(
    session: DbSession,
    principal: Participant,
    filters: Annotated[RequestFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> ShareRequestPage:
    return queries.list_requests(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get("/requests/{request_id}")
def get_request(request_id: RowId, session: DbSession, principal: Participant) -> ShareRequestRead:
    return queries.get_request(session, request_id, scope=Scope.of(principal))


@router.post("/requests/{request_id}/approve")
def approve_request(
    request_id: RowId, body: DecisionBody, session: DbSession, principal: Approver
) -> ShareOutcomeRead:
    outcome = service.approve(
        session, request_id=request_id, note=body.note, scope=Scope.of(principal)
    )
    return _outcome(session, outcome)


@router.post("/requests/{request_id}/reject")
def reject_request(
    request_id: RowId, body: RejectBody, session: DbSession, principal: Approver
) -> ShareRequestRead:
    request = service.reject(
        session, request_id=request_id, note=body.note, scope=Scope.of(principal)
    )
    return queries.read_requests(session, [request])[0]


@router.get("/grants")
def list_grants(
    session: DbSession,
    principal: Participant,
    filters: Annotated[GrantFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> GrantPage:
    return queries.list_grants(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get("/grants/{grant_id}")
def get_grant(grant_id: RowId, session: DbSession, principal: Participant) -> GrantRead:
    return queries.get_grant(session, grant_id, scope=Scope.of(principal))


@router.post("/grants/{grant_id}/token")
def issue_token(grant_id: RowId, session: DbSession, principal: Requester) -> TokenRead:
    grant, token = service.issue_token(session, grant_id=grant_id, scope=Scope.of(principal))
    return TokenRead(grant=queries.read_grants(session, [grant])[0], token=token)


@router.post("/grants/{grant_id}/revoke")
def revoke_grant(
    grant_id: RowId, body: RevokeBody, session: DbSession, principal: Participant
) -> GrantRead:
    grant = service.revoke_grant(
        session, grant_id=grant_id, reason=body.reason, scope=Scope.of(principal)
    )
    return queries.read_grants(session, [grant])[0]


@router.get("/deliveries")
def list_deliveries(
    session: DbSession,
    principal: Manager,
    filters: Annotated[DeliveryFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> DeliveryPage:
    return queries.list_deliveries(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get("/trace")
def trace_row(
    session: DbSession,
    principal: Manager,
    resource_code: str,
    key: str | None = None,
    batch_id: int | None = None,
    source_row: int | None = None,
) -> TraceRead:
    found = delivery.trace(
        session, resource_code=resource_code, key=key, batch_id=batch_id,
        source_row=source_row, scope=Scope.of(principal),
    )  # fmt: skip
    return TraceRead.model_validate(found, from_attributes=True)


@router.get("/data")
def shared_data(
    request: Request,
    session: DbSession,
    token: ApiToken,
    page: Annotated[int, Query(ge=1, le=MAX_ID // 10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> SharedDataPage:
    found = delivery.deliver_rows(
        session, token=token, page=page, size=size, source_ip=_client_ip(request)
    )
    return SharedDataPage.model_validate(found, from_attributes=True)


@router.get("/data.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def shared_csv(request: Request, session: DbSession, token: FileToken) -> Response:
    return _file(session, token, "csv", request)


@router.get(
    "/data.xlsx",
    response_class=Response,
    responses={
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def shared_xlsx(request: Request, session: DbSession, token: FileToken) -> Response:
    return _file(session, token, "xlsx", request)


def _file(session: DbSession, token: str, file_format: str, request: Request) -> Response:
    found = delivery.deliver_file(
        session, token=token, file_format=file_format, source_ip=_client_ip(request)
    )
    return Response(
        found.content, media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"',
                 "X-Delivery-Id": str(found.delivery_id)},
    )  # fmt: skip


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
