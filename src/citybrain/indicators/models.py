"""Indicator platform tables (SQLAlchemy only)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class IndicatorBoard(Base):
    """板块: the top of the tree (e.g. 经济和社会发展), per region."""

    __tablename__ = "indicator_board"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class IndicatorSet(Base):
    """指标集: a group of indicators inside a board (e.g. 经济运行), weights add up inside it."""

    __tablename__ = "indicator_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("indicator_board.id"), index=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class Indicator(Base):
    """An indicator. Its definition columns hold the live (published) definition once there is
    one, else the newest draft; every saved change is an :class:`IndicatorRevision`."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    set_id: Mapped[int] = mapped_column(ForeignKey("indicator_set.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)  # the top region computed
    owner_department_code: Mapped[str] = mapped_column(
        ForeignKey("iam_department.code"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    caliber: Mapped[str] = mapped_column(Text, default="")  # 口径
    unit: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(16))  # base | derived
    sql_text: Mapped[str] = mapped_column(Text, default="")
    formula: Mapped[str] = mapped_column(Text, default="")
    engine: Mapped[str] = mapped_column(String(16), default="hub")  # hub | datasource
    datasource_id: Mapped[int | None] = mapped_column(ForeignKey("datasource.id"), default=None)
    source_resources: Mapped[str] = mapped_column(Text, default="[]")  # JSON resource codes
    inputs: Mapped[str] = mapped_column(Text, default="[]")  # JSON indicator codes (derived)
    update_frequency: Mapped[str] = mapped_column(String(16), default="monthly")
    region_level: Mapped[str] = mapped_column(String(16))  # regions.scope.Level of the rows
    granularity: Mapped[str] = mapped_column(String(16))  # periods.Granularity
    direction: Mapped[str] = mapped_column(String(8), default="higher")  # higher | lower
    weight: Mapped[float] = mapped_column(Float, default=0.0)
    rollup: Mapped[str] = mapped_column(String(16), default="sum")  # rules.Rollup
    ratio_scale: Mapped[float] = mapped_column(Float, default=1.0)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=60)
    period_type: Mapped[str] = mapped_column(String(16), default="")  # date | text | integer
    status: Mapped[str] = mapped_column(String(16), index=True)  # workflow.RevisionStatus
    live_revision: Mapped[int | None] = mapped_column(Integer, default=None)
    head_revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def is_live(self) -> bool:
        """Published and not retired: it runs, and readers and the values API see it."""
        return self.live_revision is not None and self.status != "retired"


class IndicatorRevision(Base):
    """One saved change of a definition: its full snapshot, the diff from the one before, and
    its review (submitted, approved or rejected, published)."""

    __tablename__ = "indicator_revision"
    __table_args__ = (UniqueConstraint("indicator_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text)  # JSON of the definition
    diff: Mapped[str] = mapped_column(Text, default="{}")  # JSON {field: {old, new}}
    status: Mapped[str] = mapped_column(String(16), index=True)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    submitted_by: Mapped[str] = mapped_column(String(128), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by: Mapped[str] = mapped_column(String(128), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(128), default="")
    published_at: Mapped[datetime | None] = mapped_column(default=None)


class IndicatorApp(Base):
    """应用管理: an application (a board, a screen, a report) that uses indicators, with who
    asked for it. The phone is kept encrypted (field cipher) and shown masked."""

    __tablename__ = "indicator_app"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    app_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    references: Mapped[str] = mapped_column(Text, default="[]")  # JSON indicator codes
    requester: Mapped[str] = mapped_column(String(64))
    phone_token: Mapped[str] = mapped_column(Text, default="")
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    department_code: Mapped[str] = mapped_column(ForeignKey("iam_department.code"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    due_on: Mapped[date | None] = mapped_column(default=None)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IndicatorRun(Base):
    """运维: one run of one indicator over a range of periods, with its exact SQL and outcome.
    ``error_detail`` holds the engine's own words (operators only)."""

    __tablename__ = "indicator_run"
    __table_args__ = (Index("ix_indicator_run_indicator_id_id", "indicator_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    revision: Mapped[int] = mapped_column(Integer)
    job_run_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    batch_key: Mapped[str] = mapped_column(String(64), index=True)  # runs queued together
    position: Mapped[int] = mapped_column(Integer, default=0)  # dependency order in the batch
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual | cli | demo
    period_from: Mapped[str] = mapped_column(String(16))
    period_to: Mapped[str] = mapped_column(String(16))
    engine: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)  # rules.RunStatus
    rows: Mapped[int] = mapped_column(Integer, default=0)
    periods: Mapped[str] = mapped_column(Text, default="{}")  # JSON {period: rows}
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    error_code: Mapped[str] = mapped_column(String(64), default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    error_detail: Mapped[str] = mapped_column(Text, default="")
    sql_text: Mapped[str] = mapped_column(Text, default="")
    triggered_by: Mapped[str] = mapped_column(String(128), default="")


class IndicatorValue(Base):
    """A value of an indicator for one region and period, as one run produced it. A re-run
    adds a version and marks the older one not current; nothing is overwritten."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        UniqueConstraint("indicator_id", "period", "region_code", "version"),
        Index("ix_indicator_value_current", "indicator_id", "current", "period", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    region_code: Mapped[str] = mapped_column(String(15))
    period: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float, default=None)
    numerator: Mapped[float | None] = mapped_column(Float, default=None)
    denominator: Mapped[float | None] = mapped_column(Float, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("indicator_run.id"), index=True)
    computed_at: Mapped[datetime]
