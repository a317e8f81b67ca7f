"""Pydantic shapes of rectification orders and resubmissions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from citybrain.core.pagination import Page


class OrderStatus(StrEnum):
    open = "open"  # 待整改
    resubmitted = "resubmitted"  # 已重报, being validated
    closed = "closed"  # 已办结: every row passed


ORDER_STATUS_LABELS: dict[str, str] = {
    "open": "待整改",
    "resubmitted": "已重报",
    "closed": "已办结",
}


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
