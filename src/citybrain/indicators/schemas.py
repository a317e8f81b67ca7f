"""Pydantic shapes of the indicator platform's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from citybrain.core.pagination import Page
from citybrain.indicators.periods import Granularity
from citybrain.indicators.rules import Direction, EngineKind, Frequency, Kind, Rollup
from citybrain.indicators.workflow import RevisionStatus
from citybrain.regions.scope import Level

CODE_FIELD = Field(
    pattern=r"^[a-z][a-z0-9_]{1,63}$", description="代码: 小写字母开头, 字母数字下划线"
)


class IndicatorDefinition(BaseModel):
    """Everything an author writes about an indicator (saved as one revision)."""

    name: str = Field(min_length=1, max_length=200)
    set_code: str = Field(min_length=1, max_length=64)
    caliber: str = Field("", max_length=4000, description="口径: 用文字说明统计什么、怎么统计")
    unit: str = Field("", max_length=32)
    owner_department_code: str = Field(min_length=1, max_length=64)
    kind: Kind = Kind.base
    sql_text: str = Field("", max_length=20000, description="基础指标的 SQL (DuckDB 方言)")
    formula: str = Field("", max_length=2000, description="派生指标的公式, 如 a / b * 100")
    engine: EngineKind = EngineKind.hub
    datasource_id: int | None = Field(None, ge=1, le=2**63 - 1)
    update_frequency: Frequency = Frequency.monthly
    region_level: Level = Level.town
    granularity: Granularity = Granularity.month
    direction: Direction = Direction.higher
    weight: float = Field(0.0, ge=0, le=100)
    rollup: Rollup = Rollup.sum
    ratio_scale: float = Field(1.0, gt=0, le=1_000_000)
    timeout_seconds: int = Field(60, ge=1, le=3600)


class IndicatorCreate(IndicatorDefinition):
    code: str = CODE_FIELD
    region_code: str | None = Field(None, max_length=15, description="所属区划, 默认本人辖区")


class RunSummary(BaseModel):
    run_id: int
    status: str
    duration_ms: int | None
    finished_at: datetime | None


class IndicatorRead(BaseModel):
    id: int
    code: str
    name: str
    set_code: str
    set_name: str
    board_code: str
    board_name: str
    region_code: str
    owner_department_code: str
    owner_department_name: str
    caliber: str
    unit: str
    kind: str
    sql_text: str
    formula: str
    engine: str
    datasource_id: int | None
    source_resources: list[str]
    inputs: list[str]
    update_frequency: str
    region_level: str
    granularity: str
    direction: str
    weight: float
    rollup: str
    ratio_scale: float
    timeout_seconds: int
    status: str
    live_revision: int | None
    head_revision: int
    pending_status: str | None = Field(None, description="已发布指标有待审修订时, 该修订的状态")
    created_by: str
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    last_run: RunSummary | None = None


class IndicatorPage(Page[IndicatorRead]):
    pass


class IndicatorFilter(BaseModel):
    status: RevisionStatus | None = None
    board: str | None = Field(None, max_length=64, description="板块代码")
    set: str | None = Field(None, max_length=64, description="指标集代码")
    q: str | None = Field(None, max_length=100, description="按代码或名称查找")
    kind: Kind | None = None


class ValidationRequest(IndicatorDefinition):
    code: str = CODE_FIELD
    region_code: str | None = Field(None, max_length=15)


class ValidationResult(BaseModel):
    """The static checks and the dry run of a definition."""

    ok: bool
    code: str = Field("", description="未通过时的错误代码")
    message: str = ""
    detail: Any = None
    tables: list[str] = []
    resources: list[str] = []
    functions: list[str] = []
    inputs: list[str] = []
    columns: list[str] = []
    rows: list[list[Any]] = []
    row_count: int = 0
    elapsed_ms: int = 0
    engine: str = ""
    engine_sql: str = Field("", description="转换为运行引擎方言后的 SQL")
    period_type: str = ""
    warnings: list[str] = []


class RevisionRead(BaseModel):
    id: int
    indicator_code: str
    indicator_name: str
    number: int
    status: str
    diff: dict[str, Any]
    snapshot: dict[str, Any]
    author: str
    created_at: datetime
    submitted_by: str
    submitted_at: datetime | None
    reviewed_by: str
    reviewed_at: datetime | None
    review_note: str
    published_by: str
    published_at: datetime | None


class RevisionPage(Page[RevisionRead]):
    pass


class ReviewNote(BaseModel):
    note: str = Field("", max_length=2000)


class RunRequest(BaseModel):
    codes: list[str] = Field(min_length=1, max_length=200)
    period_from: str = Field(min_length=4, max_length=10)
    period_to: str = Field(min_length=4, max_length=10)


class RunRead(BaseModel):
    id: int
    indicator_code: str
    indicator_name: str
    revision: int
    batch_key: str
    trigger: str
    period_from: str
    period_to: str
    engine: str
    status: str
    rows: int
    periods: dict[str, int]
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    error_code: str
    error_message: str
    error_detail: str | None = Field(None, description="引擎原始错误, 仅运维人员可见")
    sql_text: str | None = Field(None, description="实际执行的 SQL, 仅运维人员可见")
    triggered_by: str


class RunPage(Page[RunRead]):
    pass


class RunFilter(BaseModel):
    indicator: str | None = Field(None, max_length=64, description="指标代码")
    status: str | None = Field(None, max_length=16)
    period: str | None = Field(None, max_length=10, description="覆盖该期间的运行")
    trigger: str | None = Field(None, max_length=16)


class RunQueued(BaseModel):
    batch_key: str
    runs: list[RunRead]


class DurationPoint(BaseModel):
    run_id: int
    finished_at: datetime | None
    duration_ms: int | None
    status: str
    rows: int


class CalendarDay(BaseModel):
    """One day of the calendar of runs (Beijing time)."""

    day: date
    total: int = Field(description="当天排队的运行数")
    ok: int = Field(description="成功")
    failed: int = Field(description="失败或超时")
    skipped: int = Field(description="因所依赖的指标失败而跳过")
    pending: int = Field(description="排队中或运行中")


class ValueRow(BaseModel):
    region_code: str
    region_name: str
    period: str
    value: float | None
    colour: str | None = Field(
        None,
        description=(
            "五色预警颜色 (red/orange/yellow/blue/green), 与该期预警记录一致; 未设预警规则时为空"
        ),
    )


class ValueList(BaseModel):
    code: str
    name: str
    unit: str
    granularity: str
    region_code: str
    items: list[ValueRow]


class ValueVersion(BaseModel):
    region_code: str
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    version: int
    current: bool
    run_id: int
    revision: int
    computed_at: datetime
    sql_text: str | None = Field(None, description="产生该值的 SQL, 仅运维人员可见")


class BoardCreate(BaseModel):
    code: str = CODE_FIELD
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    position: int = Field(0, ge=0, le=10000)
    region_code: str | None = Field(None, max_length=15)


class SetCreate(BaseModel):
    code: str = CODE_FIELD
    board_code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=2000)
    position: int = Field(0, ge=0, le=10000)


class TreeIndicator(BaseModel):
    code: str
    name: str
    status: str
    kind: str
    unit: str


class TreeSet(BaseModel):
    code: str
    name: str
    description: str
    indicators: list[TreeIndicator]


class TreeBoard(BaseModel):
    code: str
    name: str
    region_code: str
    description: str
    sets: list[TreeSet]


class AppCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    app_type: str = Field(min_length=1, max_length=32, description="类型, 如 大屏、驾驶舱、报表")
    description: str = Field("", max_length=4000)
    references: list[str] = Field([], max_length=500, description="引用的指标代码")
    requester: str = Field(min_length=1, max_length=64)
    phone: str = Field("", pattern=r"^$|^[0-9+\- ]{5,20}$")
    department_code: str = Field(min_length=1, max_length=64)
    due_on: date | None = None


class AppUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    app_type: str | None = Field(None, min_length=1, max_length=32)
    description: str | None = Field(None, max_length=4000)
    references: list[str] | None = Field(None, max_length=500)
    requester: str | None = Field(None, min_length=1, max_length=64)
    phone: str | None = Field(None, pattern=r"^$|^[0-9+\- ]{5,20}$")
    due_on: date | None = None


class AppRead(BaseModel):
    id: int
    name: str
    app_type: str
    description: str
    references: list[str]
    requester: str
    phone_masked: str
    department_code: str
    department_name: str
    region_code: str
    due_on: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class AppPage(Page[AppRead]):
    pass


class AppFilter(BaseModel):
    q: str | None = Field(None, max_length=100)
    department_code: str | None = Field(None, max_length=64)
