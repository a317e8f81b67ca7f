from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citybrain.core.db import Base


class EventCategory(Base):
    """A category of the editable taxonomy: the 12345 categories (``scheme="12345"``, three
    levels) and GB/T 30428's 部件 and 事件 classes (``gbt30428_part`` / ``gbt30428_event``)."""

    __tablename__ = "event_category"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(32), index=True)
    level: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """An event. Its place is WGS-84 (converted from GCJ-02 on intake, like regions); the
    reporter's phone is the SM4 token and blind index, never the number in clear."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_code: Mapped[str | None] = mapped_column(ForeignKey("event_category.code"), index=True)
    channel: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    grid_code: Mapped[str | None] = mapped_column(String(15), index=True)
    lng: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    reporter_name: Mapped[str] = mapped_column(String(64), default="")
    reporter_phone_enc: Mapped[str] = mapped_column(String(200), default="")
    reporter_phone_bidx: Mapped[str] = mapped_column(String(64), default="", index=True)
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("iam_department.code"), index=True
    )
    suggested_category: Mapped[str | None] = mapped_column(String(32))
    suggested_department: Mapped[str] = mapped_column(String(100), default="")
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    external_id: Mapped[str] = mapped_column(String(64), default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    steps: Mapped[list[EventStep]] = relationship(
        back_populates="event", order_by="EventStep.id", cascade="all, delete-orphan"
    )


class EventStep(Base):
    """One state change of an event, in order (the timeline)."""

    __tablename__ = "event_step"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(String(1000), default="")
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    event: Mapped[Event] = relationship(back_populates="steps")


class EventClassifierModel(Base):
    """A trained classifier version: the pickled pipelines (``blob``, written and read only by
    citybrain itself), the scores measured when it was trained (``metrics`` JSON) and whether it
    is the one in use (at most one ``active``)."""

    __tablename__ = "event_classifier_model"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    features: Mapped[str] = mapped_column(String(16))  # "char" or "jieba"
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    metrics: Mapped[str] = mapped_column(Text, default="{}")
    samples: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    trained_by: Mapped[str] = mapped_column(String(128))
    trained_at: Mapped[datetime]
