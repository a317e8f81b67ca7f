"""Quality rules and batch quality reports (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class QualityRule(Base):
    """An explicit rule on one item of a resource; it adds to or overrides (by ``item`` and
    ``kind``) the defaults derived from the catalog. ``enabled = False`` switches a default off."""

    __tablename__ = "quality_rule"
    __table_args__ = (UniqueConstraint("resource_code", "item_name", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    item_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # rules.RuleKind
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime]


class QualityReport(Base):
    """The quality of one ingest batch: counts, score, and per-rule / per-field JSON."""

    __tablename__ = "quality_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"), unique=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    total_rows: Mapped[int] = mapped_column(Integer)
    passed_rows: Mapped[int] = mapped_column(Integer)
    failed_rows: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)  # passed / total × 100; None when empty
    rules: Mapped[str] = mapped_column(Text, default="[]")  # JSON: per rule counts, examples
    fields: Mapped[str] = mapped_column(Text, default="[]")  # JSON: per field counts
    unknown_columns: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, not loaded
    created_at: Mapped[datetime] = mapped_column(index=True)
