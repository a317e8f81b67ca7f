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


class QualityReportExample(BaseModel):
    """One failing row of a rule, as an example: its number in the source and its value MASKED
    (an example never shows an ID or a phone number in the clear; at most 64 characters)."""

    row: int
    value: str | None
    reason: str = Field(description="Stable reason code, e.g. bad_checksum")
    message: str = Field(description="The reason in Chinese")


class QualityReportRule(BaseModel):
    """Failures of one rule (``item.kind``) in a batch, with the first few examples."""

    rule: str = Field(description="item.kind")
    item: str
    title: str = Field(description="The item's Chinese title")
    kind: str = Field(description='A RuleKind value, or "source" for a cell that could not be read')
    label: str = Field(description="The rule's Chinese label")
    failed: int
    reasons: dict[str, int] = Field(description="Reason code → rows")
    examples: list[QualityReportExample]


class QualityReportField(BaseModel):
    """Failed checks on one item (a row failing two rules of the item counts twice)."""

    item: str
    title: str
    failed: int


class ReportRead(BaseModel):
    """The quality report of one ingest batch: counts, score and failures per rule and field."""

    id: int
    batch_id: int
    resource_code: str
    department_code: str
    total_rows: int
    passed_rows: int
    failed_rows: int
    score: float | None
    rules: list[QualityReportRule]
    fields: list[QualityReportField]
    unknown_columns: list[str]
    created_at: datetime


class DepartmentScore(BaseModel):
    department_code: str
    batches: int
    total_rows: int
    passed_rows: int
    score: float | None
    open_orders: int
