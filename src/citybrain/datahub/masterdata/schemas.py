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


class ReviewStatus(StrEnum):
    pending = "pending"  # 待审核
    merged = "merged"  # 已合并
    apart = "apart"  # 不是同一人
    superseded = "superseded"  # 已由其他操作归并或拆分, 无需审核


class SourceRecordRead(BaseModel):
    """One department's record of a person (masked): what the steward compares."""

    source_record_id: str
    master_id: str
    resource_code: str
    department_code: str
    batch_id: int
    observed_at: datetime | None
    name: str | None
    id_number: str | None
    gender: str | None
    birth_date: str | None
    phone: str | None
    address: str | None
    town_code: str | None


class ReviewSide(SourceRecordRead):
    """A record of the pair and the master it is in now."""

    master_name: str = Field(description="主档姓名 (脱敏)")
    master_record_count: int
    region_code: str
    region_name: str = ""


class ReviewPairSummary(BaseModel):
    id: int
    status: ReviewStatus
    match_weight: float = Field(description="匹配权重 (log2 贝叶斯因子), 介于两个阈值之间")
    match_probability: float
    left_master_id: str
    right_master_id: str
    left_name: str = Field(description="左侧主档姓名 (脱敏)")
    right_name: str
    region_code: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class ReviewPairPage(Page[ReviewPairSummary]):
    pass


class ReviewPairDetail(BaseModel):
    id: int
    status: ReviewStatus
    origin: str = Field(description="linkage: 关联时发现; split: 拆分档案时记下")
    match_weight: float
    match_probability: float
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    note: str
    left: ReviewSide
    right: ReviewSide


class ReviewDecisionRequest(BaseModel):
    note: str = Field("", max_length=500, description="说明 (可选), 记入审计")


class ReviewDecisionRead(BaseModel):
    pair_id: int
    status: ReviewStatus
    surviving_master_id: str | None = Field(None, description="合并后存续的主档")
    master_ids: list[str]


class SplitRequest(BaseModel):
    source_record_ids: list[str] = Field(
        min_length=1, max_length=1000, description="移入新主档的来源记录 (本档案的一部分)"
    )
    note: str = Field("", max_length=500, description="拆分原因, 记入审计")


class SplitRead(BaseModel):
    master_id: str
    new_master_id: str


class LinkageModelStatus(BaseModel):
    """The 人口库 linkage model in use and its drift."""

    model_id: int | None
    trained_at: datetime | None
    trained_records: int
    reason: str | None = Field(
        None, description="build: 首次生成; manual: 手工重训; drift: 漂移重训"
    )
    link_match_weight: float = Field(description="自动合并阈值 (匹配权重)")
    review_match_weight: float = Field(description="人工审核阈值 (匹配权重)")
    baseline_band_share: float | None = Field(description="训练时审核区间内记录对的占比")
    batch_pairs_scored: int = Field(description="此后各批次评分的记录对数")
    batch_pairs_band: int
    batch_band_share: float | None
    drift: bool = Field(description="审核区间占比超出界限 (将自动重训)")
    pending_reviews: int = Field(description="本辖区待审核的疑似重复人员")


class RetrainQueued(BaseModel):
    queued: bool = Field(True, description="已排入后台任务 masterdata.retrain (任务页可查看)")
