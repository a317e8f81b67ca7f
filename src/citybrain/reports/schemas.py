from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from citybrain.core.pagination import Page
from citybrain.reports.rules import ReportStatus

MAX_BODY_CHARS = 500_000


class ReportCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body_html: str = Field("", max_length=MAX_BODY_CHARS, description="富文本正文 (保存时清洗)")
    region_code: str | None = Field(
        None, max_length=15, description="所属区划; 缺省为撰写人所在区划"
    )
    department_code: str | None = Field(
        None, max_length=32, description="所属部门; 部门用户缺省且只能为本部门"
    )


class ReportUpdate(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    body_html: str | None = Field(None, max_length=MAX_BODY_CHARS)


class ReportFilter(BaseModel):
    status: ReportStatus | None = None
    q: str = Field("", max_length=100, description="标题关键字")


class AttachmentRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    uploaded_by: str
    created_at: datetime


class ReportSummary(BaseModel):
    id: int
    title: str
    status: ReportStatus
    region_code: str
    region_name: str
    department_code: str | None
    department_name: str
    author: str
    updated_at: datetime
    published_at: datetime | None
    attachment_count: int


class ReportDetail(ReportSummary):
    body_html: str
    published_by: str
    attachments: list[AttachmentRead]
    can_edit: bool = Field(description="调用者能否修改 (草稿且有撰写权限)")
    can_publish: bool = Field(description="调用者能否发布或撤回")


class ReportPage(Page[ReportSummary]):
    pass
