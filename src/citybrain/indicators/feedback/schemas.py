"""Pydantic shapes of problem feedback (``IndicatorFeedback*``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from citybrain.core.pagination import Page
from citybrain.indicators.feedback.workflow import FeedbackStatus


class IndicatorFeedbackCreate(BaseModel):
    """On an indicator's value (indicator_code, region_code, period) or on a board
    (board_code): exactly one of the two."""

    indicator_code: str | None = Field(None, min_length=2, max_length=64)
    board_code: str | None = Field(None, min_length=1, max_length=64)
    region_code: str | None = Field(None, max_length=15, description="默认本人辖区")
    period: str | None = Field(None, max_length=10)
    content: str = Field(min_length=1, max_length=2000, description="问题描述")

    @model_validator(mode="after")
    def _one_target(self) -> IndicatorFeedbackCreate:
        if (self.indicator_code is None) == (self.board_code is None):
            raise ValueError("须且只能指定指标或板块之一")
        return self


class IndicatorFeedbackRead(BaseModel):
    id: int
    indicator_code: str | None
    indicator_name: str
    board_code: str | None
    board_name: str
    region_code: str
    region_name: str
    period: str
    department_code: str | None
    content: str
    status: FeedbackStatus
    filed_by: str
    assignee: str
    assigned_at: datetime | None
    handled_by: str
    handled_at: datetime | None
    note: str
    created_at: datetime
    updated_at: datetime


class IndicatorFeedbackPage(Page[IndicatorFeedbackRead]):
    pass


class IndicatorFeedbackFilter(BaseModel):
    status: FeedbackStatus | None = None
    mine: bool = Field(False, description="只看本人提交的")
    indicator: str | None = Field(None, max_length=64)


class IndicatorFeedbackAssign(BaseModel):
    assignee: str = Field(min_length=1, max_length=128, description="承办人")
    note: str = Field("", max_length=2000)


class IndicatorFeedbackNote(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="办理说明")
