from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from citybrain.core.audit.present import PresentedRecord
from citybrain.core.pagination import MAX_PAGE


class AuditRecordRead(BaseModel):
    """A record with its codes and, beside them, the names a person reads."""

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
    actor_name: str = Field(description="操作人姓名 (无姓名时为账号)")
    role_title: str = Field(description="角色名称")
    region_name: str = Field(description="区划名称 (无名称时为代码)")
    action_title: str = Field(description="操作名称")
    object_type_title: str = Field(description="对象类型名称")
    outcome_title: str = Field(description="结果 (成功/失败)")
    detail_text: str = Field(description="详情 (可读文本)")

    @classmethod
    def of(cls, p: PresentedRecord) -> AuditRecordRead:
        r = p.record
        return cls(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            role=r.role,
            action=r.action,
            object_type=r.object_type,
            object_id=r.object_id,
            region_code=r.region_code,
            outcome=r.outcome,
            source_ip=r.source_ip,
            request_id=r.request_id,
            detail=r.detail,
            actor_name=p.actor_name,
            role_title=p.role_title,
            region_name=p.region_name,
            action_title=p.action_title,
            object_type_title=p.object_type_title,
            outcome_title=p.outcome_title,
            detail_text=p.detail_text,
        )


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
    region_code: str | None = Field(None, description="只看该区划及其下级 (在本人管辖范围内)")
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
    checkpoint_seq: int | None = Field(None, description="最近一个链外检查点的序号")
    warnings: list[str] = Field(default_factory=list)


class AuditActionRead(BaseModel):
    code: str
    title: str
