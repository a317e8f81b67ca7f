from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from citybrain.core.pagination import MAX_PAGE


class AuditRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    region_code: str
    outcome: str
    source_ip: str
    request_id: str
    detail: str


class AuditRecordPage(BaseModel):
    items: list[AuditRecordRead]
    total: int
    page: int
    size: int


class AuditFilter(BaseModel):
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    object_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE)
    size: int = Field(50, ge=1, le=500)


class AuditVerifyRead(BaseModel):
    ok: bool
    checked: int
    breach: str | None
    seq: int | None
    message: str
