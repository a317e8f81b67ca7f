"""Pydantic shapes of sharing: requests, decisions, grants, deliveries, shared data, traces."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from citybrain.core.clock import utcnow
from citybrain.core.pagination import Page
from citybrain.datahub.sharing import rules
from citybrain.datahub.sharing.models import SharingDelivery, SharingGrant, SharingRequest
from citybrain.datahub.sharing.rules import DeliveryMethod, GrantState, Protection, RequestStatus

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class ShareRequestCreate(BaseModel):
    """A department asks for items of a resource, for a purpose, on a legal basis, for a period.

    ``protections`` may ask ``pseudonym`` for any item, or ``clear`` for a masked 公开/内部 item
    (needs ``pii:unmask`` and always an approver); items left out get the catalog's rule."""

    model_config = ConfigDict(str_strip_whitespace=True)

    resource_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    requester_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    items: Annotated[list[str], Field(min_length=1, max_length=500)]
    purpose: Text
    legal_basis: Text
    period_start: date
    period_end: date
    method: DeliveryMethod = DeliveryMethod.api
    protections: dict[str, Protection] = Field(default_factory=dict)


class DecisionBody(BaseModel):
    note: Note = ""


class RejectBody(BaseModel):
    note: Text


class RevokeBody(BaseModel):
    reason: Text


class ShareRequestRead(BaseModel):
    id: int
    resource_code: str
    resource_name: str
    requester_code: str
    share_type: str
    items: list[str]
    protections: dict[str, Protection]
    method: DeliveryMethod
    purpose: str
    legal_basis: str
    period_start: date
    period_end: date
    status: RequestStatus
    status_label: str
    decided_by: str
    decided_at: datetime | None
    decision_note: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(
        cls, request: SharingRequest, resource_code: str, resource_name: str
    ) -> ShareRequestRead:
        return cls(
            id=request.id, resource_code=resource_code, resource_name=resource_name,
            requester_code=request.requester_code, share_type=request.share_type,
            items=json.loads(request.items), protections=json.loads(request.protections),
            method=DeliveryMethod(request.method), purpose=request.purpose,
            legal_basis=request.legal_basis, period_start=request.period_start_on,
            period_end=request.period_end_on, status=RequestStatus(request.status),
            status_label=rules.STATUS_LABELS[request.status], decided_by=request.decided_by,
            decided_at=request.decided_at, decision_note=request.decision_note,
            created_by=request.created_by, created_at=request.created_at,
        )  # fmt: skip


class GrantRead(BaseModel):
    id: int
    request_id: int
    resource_code: str
    consumer_code: str
    items: list[str]
    protections: dict[str, Protection]
    method: DeliveryMethod
    period_start: date = Field(description="授权首日 (北京时间, 含当日)")
    period_end: date = Field(description="授权末日 (北京时间, 含当日)")
    revoked_at: datetime | None
    revoke_reason: str
    state: GrantState
    token_prefix: str = Field(description="令牌前缀; 空表示尚未领取令牌")
    token_issued_at: datetime | None
    rate_limit_per_minute: int
    created_at: datetime

    @classmethod
    def of(cls, grant: SharingGrant, resource_code: str) -> GrantRead:
        state = rules.grant_state(
            utcnow(), grant.period_start_on, grant.period_end_on, grant.revoked_at
        )
        return cls(
            id=grant.id, request_id=grant.request_id, resource_code=resource_code,
            consumer_code=grant.consumer_code, items=json.loads(grant.items),
            protections=json.loads(grant.protections), method=DeliveryMethod(grant.method),
            period_start=grant.period_start_on, period_end=grant.period_end_on,
            revoked_at=grant.revoked_at,
            revoke_reason=grant.revoke_reason, state=state, token_prefix=grant.token_prefix,
            token_issued_at=grant.token_issued_at,
            rate_limit_per_minute=grant.rate_limit_per_minute, created_at=grant.created_at,
        )  # fmt: skip


class ShareOutcomeRead(BaseModel):
    request: ShareRequestRead
    grant: GrantRead | None = None
    token: str | None = Field(
        None, description="共享令牌 (X-Share-Token), 只在此显示一次; 请求头 X-Share-Token 携带"
    )


class TokenRead(BaseModel):
    grant: GrantRead
    token: str = Field(description="共享令牌, 只显示这一次; 此前的令牌随即失效")


class DeliveryRead(BaseModel):
    id: int
    grant_id: int
    consumer_code: str
    resource_code: str
    items: list[str]
    row_count: int
    method: str
    page: int | None
    at: datetime
    actor: str
    source_ip: str
    batch_ids: list[int]

    @classmethod
    def of(cls, delivery: SharingDelivery, resource_code: str) -> DeliveryRead:
        return cls(
            id=delivery.id, grant_id=delivery.grant_id, consumer_code=delivery.consumer_code,
            resource_code=resource_code, items=json.loads(delivery.items),
            row_count=delivery.row_count, method=delivery.method, page=delivery.page,
            at=delivery.at, actor=delivery.actor, source_ip=delivery.source_ip,
            batch_ids=json.loads(delivery.batch_ids),
        )  # fmt: skip


class ShareRequestPage(Page[ShareRequestRead]):
    pass


class GrantPage(Page[GrantRead]):
    pass


class DeliveryPage(Page[DeliveryRead]):
    pass


class RequestFilter(BaseModel):
    status: RequestStatus | None = None
    resource_code: str | None = None
    requester_code: str | None = None


class GrantFilter(BaseModel):
    resource_code: str | None = None
    consumer_code: str | None = None
    live_only: bool = Field(False, description="只列出未撤销且未过期的授权")


class DeliveryFilter(BaseModel):
    grant_id: int | None = None
    resource_code: str | None = None
    consumer_code: str | None = None


class SharedDataPage(BaseModel):
    """Granted rows, protected; ``_trace`` in each row names its ingest batch and source row."""

    resource_code: str
    items: list[str]
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int
    delivery_id: int


class TraceRead(BaseModel):
    resource_code: str
    key: str
    version: Any
    batch_id: int
    source_row: int
    loaded_at: datetime
    batch: dict[str, Any] | None = Field(
        None, description="归集批次: 来源名称、清单校验值 (SM3)、行数、状态、操作人"
    )
