"""The rectification order (整改单) (SQLAlchemy only). The table keeps its name from when
orders lived in ``quality``, so no migration was needed to move them here."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class QualityRectificationOrder(Base):
    """整改单: the failed rows of one batch, sent to the owning department to fix by a date.

    Status: open → resubmitted (while a resubmission is validated) → closed when every row of
    the order has passed; a partial resubmission leaves it open with ``remaining_rows``."""

    __tablename__ = "quality_rectification_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"), unique=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # schemas.OrderStatus
    failed_rows: Mapped[int] = mapped_column(Integer)
    remaining_rows: Mapped[int] = mapped_column(Integer)
    deadline_on: Mapped[date]
    opened_at: Mapped[datetime]
    resubmission_count: Mapped[int] = mapped_column(Integer, default=0)
    last_resubmitted_at: Mapped[datetime | None] = mapped_column(default=None)
    last_batch_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_batch.id"), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
