"""Pydantic shapes of five-colour warnings and their rules (``IndicatorWarning*``: OpenAPI names
are unique across modules)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from citybrain.core.pagination import Page
from citybrain.indicators.warnings import rules
from citybrain.indicators.warnings.rules import Colour, WarningStatus

LIMIT = 1e15  # thresholds beyond this are typing mistakes, not rules


class IndicatorWarningBand(BaseModel):
    colour: Colour
    lower: float | None = Field(None, ge=-LIMIT, le=LIMIT, description="下限 (含), 空为不设")
    upper: float | None = Field(None, ge=-LIMIT, le=LIMIT, description="上限 (不含), 空为不设")


class IndicatorWarningChange(BaseModel):
    percent: float = Field(description="环比变差达到此百分比时预警")
    colour: Colour


class IndicatorWarningRank(BaseModel):
    bottom: int = Field(description="在同级区划中排名倒数前几位时预警")
    colour: Colour


class IndicatorWarningRuleSpec(BaseModel):
    """A rule: colour bands covering every value once, worsening towards the indicator's bad
    side; optional change and rank rules; colours for missing or late data; escalation after
    N consecutive red periods."""

    bands: list[IndicatorWarningBand] = Field(min_length=1, max_length=5)
    hysteresis: float = Field(0.0, ge=-LIMIT, le=LIMIT, description="回差 (指标单位)")
    change: IndicatorWarningChange | None = None
    rank: IndicatorWarningRank | None = None
    missing_colour: Colour | None = Colour.yellow
    late_colour: Colour | None = Colour.orange
    late_after_days: int = Field(15, description="期末后多少天仍无数据视为迟报")
    escalate_after: int = Field(3, description="连续多少期红色后上报")

    def to_rule(self) -> rules.Rule:
        return rules.Rule(
            bands=tuple(rules.Band(b.colour, b.lower, b.upper) for b in self.bands),
            hysteresis=self.hysteresis,
            change=rules.ChangeRule(self.change.percent, self.change.colour)
            if self.change
            else None,
            rank=rules.RankRule(self.rank.bottom, self.rank.colour) if self.rank else None,
            missing_colour=self.missing_colour,
            late_colour=self.late_colour,
            late_after_days=self.late_after_days,
            escalate_after=self.escalate_after,
        )


class IndicatorWarningRuleRead(BaseModel):
    id: int
    indicator_code: str
    region_code: str = Field(description="空: 指标的默认规则; 否则仅对该区划生效的覆盖规则")
    spec: IndicatorWarningRuleSpec
    updated_by: str
    updated_at: datetime


class IndicatorWarningRules(BaseModel):
    indicator_code: str
    direction: str
    default: IndicatorWarningRuleRead | None
    overrides: list[IndicatorWarningRuleRead]


class IndicatorWarningRead(BaseModel):
    id: int
    indicator_code: str
    indicator_name: str
    region_code: str
    region_name: str
    period: str
    department_code: str
    value: float | None
    colour: Colour
    reason: str
    status: WarningStatus
    consecutive_red: int
    escalated_at: datetime | None
    acknowledged_by: str
    acknowledged_at: datetime | None
    closed_by: str
    closed_at: datetime | None
    close_note: str
    created_at: datetime
    updated_at: datetime


class IndicatorWarningPage(Page[IndicatorWarningRead]):
    pass


class IndicatorWarningFilter(BaseModel):
    colour: Colour | None = None
    status: WarningStatus | None = None
    region: str | None = Field(None, max_length=15, description="区划 (含下级)")
    indicator: str | None = Field(None, max_length=64, description="指标代码")
    include_green: bool = Field(False, description="是否包含绿色 (正常) 记录")


class IndicatorWarningClose(BaseModel):
    note: str = Field(min_length=1, max_length=2000, description="关闭说明")
