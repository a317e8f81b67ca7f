from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from citybrain.core.pagination import Page
from citybrain.events.workflow import EventAction, EventStatus
from citybrain.regions.geo import Crs


class EventChannel(StrEnum):
    citizen_web = "citizen_web"
    api = "api"
    open311 = "open311"
    excel_12345 = "excel_12345"
    grid = "grid"
    indicator_warning = "indicator_warning"
    sensor = "sensor"


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, description="标题")
    description: str = Field("", max_length=4000, description="事件描述")
    category_code: str | None = Field(None, max_length=32, description="分类编码")
    channel: EventChannel = Field(EventChannel.api, description="来源渠道")
    region_code: str | None = Field(
        None, max_length=15, description="所在区划; 缺省时由坐标定位网格, 再缺省为上报者辖区"
    )
    lng: float | None = Field(None, ge=-180, le=180, description="经度")
    lat: float | None = Field(None, ge=-90, le=90, description="纬度")
    crs: Crs = Field(Crs.gcj02, description="坐标系: gcj02 (国内地图) 或 wgs84")
    address: str = Field("", max_length=300, description="地址")
    reporter_name: str = Field("", max_length=64, description="上报人")
    reporter_phone: str = Field("", max_length=32, description="上报人电话 (加密保存)")
    external_id: str = Field("", max_length=64, description="来源系统中的编号")


class EventCitizenReport(BaseModel):
    """市民上报 (no login): text, category, address, optional place and phone."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=5, max_length=2000, description="问题描述")
    category_code: str | None = Field(None, max_length=32, description="分类编码")
    region_code: str = Field(min_length=2, max_length=15, description="所在县区")
    address: str = Field("", max_length=300, description="地址")
    lng: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    reporter_phone: str = Field("", max_length=32, description="联系电话 (选填, 加密保存)")


class EventTransition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: EventAction = Field(description="动作: dispatch/accept/return/reassign/handle/…")
    department_code: str | None = Field(None, max_length=32, description="派单或改派的部门")
    comment: str = Field("", max_length=1000, description="意见; 退回、核查不通过时必填")


class EventStepRead(BaseModel):
    action: str
    action_name: str
    from_status: str | None
    to_status: str
    department_code: str | None
    comment: str
    actor: str
    at: datetime


class EventSummary(BaseModel):
    id: int
    tracking_code: str
    title: str
    status: EventStatus
    status_name: str
    channel: str
    category_code: str | None
    category_name: str
    region_code: str
    grid_code: str | None
    department_code: str | None
    created_at: datetime
    updated_at: datetime


class EventRead(EventSummary):
    description: str
    address: str
    lng: float | None
    lat: float | None
    reporter_name: str
    reporter_phone: str  # masked unless the caller holds pii:unmask
    suggested_category: str | None
    suggested_department: str
    suggestion_confidence: float | None
    allowed_actions: list[EventAction]
    steps: list[EventStepRead]


EventPage = Page[EventSummary]


class EventFilter(BaseModel):
    status: EventStatus | None = None
    channel: EventChannel | None = None
    q: str = Field("", max_length=100, description="标题包含")


class EventReceipt(BaseModel):
    id: int
    tracking_code: str
    status: EventStatus


class EventTrackStep(BaseModel):
    status: str
    status_name: str
    at: datetime


class EventTrack(BaseModel):
    """公开查询: no names, no phone, no description (it may hold personal data)."""

    tracking_code: str
    title: str
    status: EventStatus
    status_name: str
    category_name: str
    created_at: datetime
    updated_at: datetime
    steps: list[EventTrackStep]


class EventCategoryRead(BaseModel):
    code: str
    scheme: str
    name: str
    parent_code: str | None
    level: int
    active: bool


class EventCategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    active: bool | None = None


class EventClassifyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="留言或事件描述")


class EventClassifyResult(BaseModel):
    category: str | None = Field(description="12345 一级分类; 置信度不足时为 null (转人工派单)")
    department: str | None = Field(description="建议办理部门 (部门类别)")
    confidence: float = Field(description="分类置信度 0–1")


class EventClassifierRead(BaseModel):
    id: int
    version: int
    features: str
    samples: int
    source: str
    active: bool
    trained_by: str
    trained_at: datetime
    metrics: dict[str, object]


class EventClassifierTrain(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: str = Field("char", pattern="^(char|jieba)$", description="char 或 jieba")
    source: str = Field(
        "shared", pattern="^(shared|tickets)$",
        description="shared: 共享数据; tickets: 已结案且有分类的本地工单",
    )  # fmt: skip
    evaluate: bool = Field(True, description="同时做 5 折交叉验证并记录指标 (多花约一分钟)")
