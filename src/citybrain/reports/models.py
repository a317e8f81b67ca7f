from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybrain.core.db import Base


class Report(Base):
    """A 专报. ``body_html`` is stored sanitised; ``body_text`` is its text, for search."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)  # ReportStatus
    region_code: Mapped[str] = mapped_column(String(15), index=True)  # canonical
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("iam_department.code"), index=True
    )
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    published_by: Mapped[str] = mapped_column(String(128), default="")
    attachments: Mapped[list[ReportAttachment]] = relationship(
        back_populates="report", order_by="ReportAttachment.id", cascade="all, delete-orphan"
    )


class ReportAttachment(Base):
    """A file of a report, stored under ``<home>/reports/<stored_name>`` (a random name made
    by the server; ``filename`` is only what the uploader called it, shown and offered back)."""

    __tablename__ = "report_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    report: Mapped[Report] = relationship(back_populates="attachments")
