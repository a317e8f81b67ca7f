"""Pydantic shapes of quality rules, reports and department scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from citybrain.datahub.quality.rules import RuleKind


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
