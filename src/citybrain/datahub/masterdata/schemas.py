"""Pydantic shapes of the base libraries. Personal values are masked unless ``masked`` is False
(an audited unmask)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from citybrain.core.pagination import Page

PERSON_ATTRIBUTE_LABELS: dict[str, str] = {
    "name": "姓名",
    "id_number": "公民身份号码",
    "gender": "性别",
    "birth_date": "出生日期",
    "phone": "联系电话",
    "address": "地址",
    "town_code": "所属乡镇",
}
ENTITY_ATTRIBUTE_LABELS: dict[str, str] = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "legal_rep_name": "法定代表人",
    "address": "注册地址",
    "established_on": "成立日期",
    "status": "经营状态",
}


class SearchKind(StrEnum):
    name = "name"  # 姓名前缀
    id_number = "id_number"  # 身份证号, exact through the blind index
    phone = "phone"  # 手机号, exact through the blind index
    all = "all"  # no query: every master in scope


class AttributeValue(BaseModel):
    """One value of a master as a source gave it: 来源部门、资源、批次和时间."""

    attribute: str
    label: str
    value: str
    resource_code: str
    department_code: str
    batch_id: int
    observed_at: datetime
    records: int = Field(1, description="同一资源中给出该值的记录数")


class PersonSummary(BaseModel):
    master_id: str
    name: str
    id_number: str | None
    gender: str | None
    birth_on: date | None
    region_code: str
    region_name: str = Field("", description="所属区划名称 (未载入区划时为空)")
    record_count: int


class PersonPage(Page[PersonSummary]):
    kind: SearchKind = SearchKind.all


class PersonProfile(BaseModel):
    """一人一档: the master's surviving values and every value each source gave."""

    master_id: str
    requested_id: str = Field(description="请求的主档编号; 已合并的主档指向存续主档")
    masked: bool
    name: str
    id_number: str | None
    phone: str | None
    gender: str | None
    birth_on: date | None
    address: str | None
    region_code: str
    region_name: str = Field("", description="所属区划名称 (未载入区划时为空)")
    record_count: int
    updated_at: datetime
    merged_ids: list[str] = Field(default_factory=list, description="已并入本档的主档编号")
    attributes: list[AttributeValue]


class UnmaskRequest(BaseModel):
    reason: str = Field("", max_length=500, description="查看原因 (至少 4 个字), 记入审计")


class EntitySummary(BaseModel):
    master_id: str
    uscc: str | None
    name: str
    legal_rep_name: str | None
    status: str | None
    established_on: date | None
    record_count: int


class EntityPage(Page[EntitySummary]):
    pass


class EntityProfile(BaseModel):
    """一企一档."""

    master_id: str
    requested_id: str
    uscc: str | None
    name: str
    legal_rep_name: str | None
    address: str | None
    established_on: date | None
    status: str | None
    region_code: str
    region_name: str = Field("", description="所属区划名称 (未载入区划时为空)")
    record_count: int
    updated_at: datetime
    attributes: list[AttributeValue]
