"""Ingest batches, quarantined rows, watermarks and pull schedules (SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class IngestBatch(Base):
    """One load attempt of one source into one resource, with its manifest and outcome.

    The manifest is ``row_count`` and ``checksum`` (SM3 of the source bytes, or of the
    canonical rows for database and HTTP sources). Status: queued → running → loaded, or
    duplicate (same checksum already loaded: nothing done), rejected (the source is unusable:
    ``error_*`` name the row and field), failed (an error while loading: the hub is unchanged).
    """

    __tablename__ = "ingest_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    resource_version: Mapped[int] = mapped_column(Integer, default=1)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # schemas.BatchOrigin
    source_kind: Mapped[str] = mapped_column(String(16))  # csv, xlsx, json, http, sql
    source_name: Mapped[str] = mapped_column(String(255), default="")  # file name or table
    source_path: Mapped[str] = mapped_column(Text, default="")  # stored upload, for queued runs
    mapping: Mapped[str] = mapped_column(Text, default="{}")  # JSON {source column: item}
    status: Mapped[str] = mapped_column(String(16), index=True)  # schemas.BatchStatus
    checksum: Mapped[str] = mapped_column(String(64), default="", index=True)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    inserted_rows: Mapped[int] = mapped_column(Integer, default=0)
    updated_rows: Mapped[int] = mapped_column(Integer, default=0)
    skipped_rows: Mapped[int] = mapped_column(Integer, default=0)  # older or equal version
    quarantined_rows: Mapped[int] = mapped_column(Integer, default=0)
    # failed rows counted but not kept in quarantine (IngestSettings.max_quarantine_rows)
    quarantine_omitted_rows: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float | None] = mapped_column(default=None)
    duplicate_of: Mapped[int | None] = mapped_column(Integer, default=None)
    rectification_order_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    error_code: Mapped[str] = mapped_column(String(64), default="")
    error_message: Mapped[str] = mapped_column(Text, default="")
    error_row: Mapped[int | None] = mapped_column(Integer, default=None)
    error_field: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class IngestQuarantineRow(Base):
    """A source row that failed its rules and was not loaded. ``values_token`` is the row's raw
    values as JSON, encrypted with the field cipher (it may hold ID and phone numbers);
    ``problems`` (JSON) names field, rule and reason but never a value."""

    __tablename__ = "ingest_quarantine_row"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batch.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
    values_token: Mapped[str] = mapped_column(Text)
    problems: Mapped[str] = mapped_column(Text)
    resolved_batch_id: Mapped[int | None] = mapped_column(Integer, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)


class IngestWatermark(Base):
    """The largest watermark value loaded from one database source into one resource."""

    __tablename__ = "ingest_watermark"
    __table_args__ = (UniqueConstraint("resource_code", "source_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_code: Mapped[str] = mapped_column(String(64))
    source_key: Mapped[str] = mapped_column(String(64))  # SM3 of the source options
    column_name: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class IngestSourceSchedule(Base):
    """A registered data source pulled incrementally every ``interval_minutes``.
    ``options_token`` is the pull options (table or query, schema, watermark column) and the
    mapping as JSON, encrypted. Schedules from before data sources were registered have no
    ``source_id`` (they held a connection string) and stay disabled."""

    __tablename__ = "ingest_source_schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource_code: Mapped[str] = mapped_column(String(64), index=True)
    source_key: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("datasource.id"), index=True, default=None
    )
    options_token: Mapped[str] = mapped_column(Text)
    interval_minutes: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime] = mapped_column(index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(default=None)
    last_batch_id: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
