"""Tables of five-colour warnings (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class IndicatorWarningRule(Base):
    """The warning rule of an indicator (``region_code`` empty) or its override for exactly one
    region. ``spec`` is the JSON of ``schemas.WarningRuleSpec``."""

    __tablename__ = "indicator_warning_rule"
    __table_args__ = (UniqueConstraint("indicator_id", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), default="")
    spec: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class IndicatorWarning(Base):
    """The colour of one indicator's value for one region and period, and its handling.
    ``band_colour`` is the hysteresis state (the colour of the value's band); a red streak
    remembers whether it was escalated (``streak_escalated``), the row that escalated it
    carries ``escalated_at``."""

    __tablename__ = "indicator_warning"
    __table_args__ = (UniqueConstraint("indicator_id", "region_code", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    period: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    colour: Mapped[str] = mapped_column(String(8), index=True)
    band_colour: Mapped[str | None] = mapped_column(String(8), default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    consecutive_red: Mapped[int] = mapped_column(Integer, default=0)
    streak_escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[str] = mapped_column(String(128), default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_by: Mapped[str] = mapped_column(String(128), default="")
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    close_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
