"""Share requests, grants and the delivery log (SQLAlchemy only)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class SharingRequest(Base):
    """A department's request to use a resource (共享申请): which items, why, on what legal basis,
    for which period. Status: pending → approved | rejected; refused (不予共享) at once;
    approved → revoked | expired. ``region_code`` is the requester department's region."""

    __tablename__ = "sharing_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    resource_region_code: Mapped[str] = mapped_column(String(15), index=True)
    requester_code: Mapped[str] = mapped_column(ForeignKey("iam_department.code"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    share_type: Mapped[str] = mapped_column(String(16))  # the resource's, when asked
    items: Mapped[str] = mapped_column(Text)  # JSON list of item names
    protections: Mapped[str] = mapped_column(Text, default="{}")  # JSON {item: Protection}
    method: Mapped[str] = mapped_column(String(8), default="api")  # rules.DeliveryMethod
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    period_start_on: Mapped[date]
    period_end_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), index=True)  # rules.RequestStatus
    decided_by: Mapped[str] = mapped_column(String(128), default="")
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(index=True)


class SharingGrant(Base):
    """The right of one consumer department to receive the listed items of one resource, each
    protected as ``protections`` says, on the China-time days ``period_start_on`` through
    ``period_end_on`` (both included; dates, not instants: see ``rules.grant_state``) until
    revoked.

    The token is ``cbs_<token_prefix>_<secret>``; only HMAC-SM3(session key, token) is kept, so
    the token is shown once (on grant for 无条件共享, else when the consumer issues it). An
    empty ``token_hash`` means no token has been issued yet."""

    __tablename__ = "sharing_grant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sharing_request.id"), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    resource_region_code: Mapped[str] = mapped_column(String(15), index=True)
    consumer_code: Mapped[str] = mapped_column(ForeignKey("iam_department.code"), index=True)
    consumer_region_code: Mapped[str] = mapped_column(String(15), index=True)
    items: Mapped[str] = mapped_column(Text)  # JSON list of item names, in catalog order
    protections: Mapped[str] = mapped_column(Text)  # JSON {item: Protection}
    method: Mapped[str] = mapped_column(String(8))  # rules.DeliveryMethod
    period_start_on: Mapped[date]
    period_end_on: Mapped[date] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str] = mapped_column(String(128), default="")
    revoke_reason: Mapped[str] = mapped_column(Text, default="")
    token_prefix: Mapped[str] = mapped_column(String(16), default="", index=True)
    token_hash: Mapped[str] = mapped_column(String(64), default="")
    token_issued_at: Mapped[datetime | None] = mapped_column(default=None)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]


class SharingDelivery(Base):
    """One delivery of shared data: who received which items of which resource, how many rows,
    when, from where, and the distinct hub batches the rows came from (for tracing)."""

    __tablename__ = "sharing_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("sharing_grant.id"), index=True)
    consumer_code: Mapped[str] = mapped_column(String(32), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    resource_region_code: Mapped[str] = mapped_column(String(15), index=True)
    items: Mapped[str] = mapped_column(Text)  # JSON list of item names
    row_count: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(8))  # api, csv, xlsx
    page: Mapped[int | None] = mapped_column(Integer, default=None)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    source_ip: Mapped[str] = mapped_column(String(64), default="")
    batch_ids: Mapped[str] = mapped_column(Text, default="[]")  # JSON sorted list of batch ids
