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

from citybrain.analytics.hub import HubStore
from citybrain.analytics.hub.deps import HubDep
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
    summary="提交共享申请",
    description=(
        "以本部门名义申请共享某一信息资源的部分信息项, 须填写用途、依据与共享期限; "
        "无条件共享且无需解除保护的申请自动同意, 返回授权与只显示一次的令牌, 其余待提供方审核。"
        "不予共享的资源返回 409 share_refused (申请仍记录, 附依据); 同部门同资源已有待审申请时 409 "
        "request_pending; 其他拒绝如 resource_retired、unknown_item、protection_not_allowed、"
        "period_too_long、department_out_of_scope。"
    ),
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


@router.get(
    "/requests",
    summary="列出共享申请",
    description=(
        "分页列出调用者可见的共享申请 (本部门提出的, 或待本部门作为提供方审核的), 可按状态、资源、"
        "部门筛选。"
    ),
)
def list_requests(
    session: DbSession,
    principal: Participant,
    filters: Annotated[RequestFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> ShareRequestPage:
    return queries.list_requests(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get(
    "/requests/{request_id}",
    summary="查看共享申请",
    description=(
        "一条共享申请的详情 (信息项、保护方式、期限、审核结果); 不存在或不可见时 404 "
        "request_not_found。"
    ),
)
def get_request(request_id: RowId, session: DbSession, principal: Participant) -> ShareRequestRead:
    return queries.get_request(session, request_id, scope=Scope.of(principal))


@router.post(
    "/requests/{request_id}/approve",
    summary="同意共享申请",
    description=(
        "提供方部门同意一条待审申请并生成共享授权 (令牌由申请部门另行领取, 不向审核人显示)。"
        "不能审核本人提交的申请 (403 self_approval); 已审核的申请 409 request_not_pending; "
        "资源已停用 resource_retired, 期限已过 period_in_past; 非本部门资源 "
        "department_out_of_scope。"
    ),
)
def approve_request(
    request_id: RowId, body: DecisionBody, session: DbSession, principal: Approver
) -> ShareOutcomeRead:
    outcome = service.approve(
        session, request_id=request_id, note=body.note, scope=Scope.of(principal)
    )
    return _outcome(session, outcome)


@router.post(
    "/requests/{request_id}/reject",
    summary="驳回共享申请",
    description=(
        "提供方部门驳回一条待审申请, 须说明理由 (否则 422 note_required); 返回驳回后的申请。"
        "不能驳回本人提交的申请 (self_approval), 已审核的申请 request_not_pending。"
    ),
)
def reject_request(
    request_id: RowId, body: RejectBody, session: DbSession, principal: Approver
) -> ShareRequestRead:
    request = service.reject(
        session, request_id=request_id, note=body.note, scope=Scope.of(principal)
    )
    return queries.read_requests(session, [request])[0]


@router.get(
    "/grants",
    summary="列出共享授权",
    description=(
        "分页列出调用者可见的共享授权 (本部门获得的或本部门提供的), 含状态与期限, 不含令牌。"
    ),
)
def list_grants(
    session: DbSession,
    principal: Participant,
    filters: Annotated[GrantFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> GrantPage:
    return queries.list_grants(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get(
    "/grants/{grant_id}",
    summary="查看共享授权",
    description=(
        "一项共享授权的详情 (信息项、保护方式、交付方式、期限、令牌前缀); 不存在或不可见时 404 "
        "grant_not_found。"
    ),
)
def get_grant(grant_id: RowId, session: DbSession, principal: Participant) -> GrantRead:
    return queries.get_grant(session, grant_id, scope=Scope.of(principal))


@router.post(
    "/grants/{grant_id}/token",
    summary="领取共享令牌",
    description=(
        "申请部门为已生效的授权领取新令牌 (cbs_…, 只显示这一次), 此前的令牌随即失效; "
        "部门系统凭它调用 /data、/data.csv 或 /data.xlsx。只能为本部门领取 ("
        "department_out_of_scope); 授权已撤销或已过期时 403 grant_revoked / grant_expired。"
    ),
)
def issue_token(grant_id: RowId, session: DbSession, principal: Requester) -> TokenRead:
    grant, token = service.issue_token(session, grant_id=grant_id, scope=Scope.of(principal))
    return TokenRead(grant=queries.read_grants(session, [grant])[0], token=token)


@router.post(
    "/grants/{grant_id}/revoke",
    summary="撤销共享授权",
    description=(
        "立即撤销共享授权, 其令牌随即不可用, 申请状态变为已撤销; 须说明理由 (422 reason_required)。"
        "重复撤销不作改变。无权管理该授权时 403 region_out_of_scope。"
    ),
)
def revoke_grant(
    grant_id: RowId, body: RevokeBody, session: DbSession, principal: Participant
) -> GrantRead:
    grant = service.revoke_grant(
        session, grant_id=grant_id, reason=body.reason, scope=Scope.of(principal)
    )
    return queries.read_grants(session, [grant])[0]


@router.get(
    "/deliveries",
    summary="共享交付记录",
    description=(
        "分页列出每一次数据交付 (接口分页或文件下载) 的记录: 授权、使用部门、信息项、行数、"
        "来源地址与时间。"
    ),
)
def list_deliveries(
    session: DbSession,
    principal: Manager,
    filters: Annotated[DeliveryFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> DeliveryPage:
    return queries.list_deliveries(session, scope=Scope.of(principal), filters=filters, page=page)


@router.get(
    "/trace",
    summary="追溯数据来源",
    description=(
        "根据记录主键, 或使用方收到的 _trace (批次号与源行号), 查出中枢库中该行来自哪个归集批次、"
        "源文件第几行及其校验值。两者都未给出时 422 trace_target_required; 找不到时 404 "
        "hub_row_not_found 或 resource_not_found。"
    ),
)
def trace_row(
    session: DbSession,
    principal: Manager,
    hub: HubDep,
    resource_code: str,
    key: str | None = None,
    batch_id: int | None = None,
    source_row: int | None = None,
) -> TraceRead:
    found = delivery.trace(
        session, resource_code=resource_code, key=key, batch_id=batch_id,
        source_row=source_row, scope=Scope.of(principal), store=hub,
    )  # fmt: skip
    return TraceRead.model_validate(found, from_attributes=True)


@router.get(
    "/data",
    summary="获取共享数据 (接口分页)",
    description=(
        "部门系统凭请求头 X-Share-Token 中的共享令牌分页获取授权的数据, "
        "各信息项按授权的保护方式处理, 每行附 _trace 便于追溯; 每次调用都记入交付记录与审计。"
        "令牌无效 401 invalid_share_token; 授权已撤销、已过期、未生效或为文件交付方式时 403 "
        "grant_revoked / grant_expired / grant_not_started / wrong_delivery_method; 超过频率限制 "
        "429 rate_limited。"
    ),
)
def shared_data(
    request: Request,
    session: DbSession,
    token: ApiToken,
    hub: HubDep,
    page: Annotated[int, Query(ge=1, le=MAX_ID // 10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> SharedDataPage:
    found = delivery.deliver_rows(
        session, token=token, page=page, size=size, source_ip=_client_ip(request), store=hub
    )
    return SharedDataPage.model_validate(found, from_attributes=True)


@router.get(
    "/data.csv",
    summary="下载共享数据 (CSV)",
    description=(
        "凭 X-Share-Token 下载授权的全部数据 (UTF-8 带 BOM, 中文表头, 追溯列在最后), "
        "记入交付记录与审计。令牌与授权的拒绝同 /data (接口交付方式的授权为 403 "
        "wrong_delivery_method); 行数超过文件上限时 422 too_many_rows, 请改用接口分页; "
        "超过频率限制 429 rate_limited。"
    ),
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def shared_csv(request: Request, session: DbSession, token: FileToken, hub: HubDep) -> Response:
    return _file(session, token, "csv", request, hub)


@router.get(
    "/data.xlsx",
    summary="下载共享数据 (Excel)",
    description=(
        "凭 X-Share-Token 以 Excel 下载授权的全部数据 (中文表头, 追溯列在最后), "
        "记入交付记录与审计。拒绝同 /data.csv (wrong_delivery_method、too_many_rows、rate_limited "
        "等)。"
    ),
    response_class=Response,
    responses={
        200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}
    },
)
def shared_xlsx(request: Request, session: DbSession, token: FileToken, hub: HubDep) -> Response:
    return _file(session, token, "xlsx", request, hub)


def _file(
    session: DbSession, token: str, file_format: str, request: Request, hub: HubStore
) -> Response:
    found = delivery.deliver_file(
        session, token=token, file_format=file_format, source_ip=_client_ip(request), store=hub
    )
    return Response(
        found.content, media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"',
                 "X-Delivery-Id": str(found.delivery_id)},
    )  # fmt: skip


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
