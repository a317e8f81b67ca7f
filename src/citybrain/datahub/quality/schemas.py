"""Pydantic shapes of quality rules, reports, scores and rectification orders."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citybrain.core.pagination import Page
from citybrain.datahub.quality.rules import RuleKind


class OrderStatus(StrEnum):
    open = "open"  # 待整改
    resubmitted = "resubmitted"  # 已重报, being validated
    closed = "closed"  # 已办结: every row passed


ORDER_STATUS_LABELS: dict[str, str] = {
    "open": "待整改",
    "resubmitted": "已重报",
    "closed": "已办结",
}


class RuleWrite(BaseModel):
    """One explicit rule; ``enabled=false`` switches off the default of the same item and kind."""

    item: str = Field(min_length=1, max_length=64)
    kind: RuleKind
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class RuleRead(BaseModel):
    item: str
    title: str
    kind: RuleKind
    label: str
    params: dict[str, Any]
    origin: str  # default | explicit


class RuleSetRead(BaseModel):
    resource_code: str
    rules: list[RuleRead]
    explicit: list[RuleWrite]


class ReportRead(BaseModel):
    id: int
    batch_id: int
    resource_code: str
    department_code: str
    total_rows: int
    passed_rows: int
    failed_rows: int
    score: float | None
    rules: list[dict[str, Any]]
    fields: list[dict[str, Any]]
    unknown_columns: list[str]
    created_at: datetime


class DepartmentScore(BaseModel):
    department_code: str
    batches: int
    total_rows: int
    passed_rows: int
    score: float | None
    open_orders: int


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    batch_id: int
    resource_code: str
    department_code: str
    region_code: str
    status: OrderStatus
    failed_rows: int
    remaining_rows: int
    deadline_on: date
    opened_at: datetime
    resubmission_count: int
    last_resubmitted_at: datetime | None
    last_batch_id: int | None
    closed_at: datetime | None
    overdue: bool = False


class OrderPage(Page[OrderRead]):
    pass


class OrderFilter(BaseModel):
    department_code: str | None = None
    resource_code: str | None = None
    status: OrderStatus | None = None


class ResubmitResult(BaseModel):
    order_id: int
    batch_id: int
    status: OrderStatus
    submitted_rows: int
    passed_rows: int
    failed_rows: int
    remaining_rows: int
    ignored_rows: int
