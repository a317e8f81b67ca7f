"""The table of problem feedback (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class IndicatorFeedback(Base):
    """问题反馈 on an indicator's value (indicator, region, period) or on a board. Handled by
    ``department_code`` (the indicator's owner; None: the bureau, for a board)."""

    __tablename__ = "indicator_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"), default=None)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("indicator_board.id"), default=None)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    period: Mapped[str] = mapped_column(String(16), default="")
    department_code: Mapped[str | None] = mapped_column(String(32), default=None, index=True)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    filed_by: Mapped[str] = mapped_column(String(128))
    filer_user_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    assignee: Mapped[str] = mapped_column(String(128), default="")
    assigned_at: Mapped[datetime | None] = mapped_column(default=None)
    handled_by: Mapped[str] = mapped_column(String(128), default="")
    handled_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
