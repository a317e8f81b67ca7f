"""A screen (屏端): a wall or monitor with its pixel size, the board or rotation it runs, and the
API key (scopes ``boards:view`` and ``indicators:read``) that stands in for a login."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class BoardScreen(Base):
    __tablename__ = "board_screen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    boards: Mapped[str] = mapped_column(Text)  # JSON list of board codes, rotated in order
    rotate_seconds: Mapped[int] = mapped_column(Integer, default=60)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("iam_api_key.id"), unique=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
