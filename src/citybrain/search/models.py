from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class SearchDocument(Base):
    """One searchable thing: what the owner published, plus its text cut into index terms
    (``title_terms``, ``body_terms``). The full-text structure over the terms depends on the
    database and is made by the migration: an FTS5 table ``search_fts`` (external content,
    kept by triggers) on SQLite, a generated ``search_vector`` tsvector with a GIN index on
    PostgreSQL."""

    __tablename__ = "search_document"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_search_document_region_code", "region_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    url: Mapped[str] = mapped_column(String(500), default="")
    region_code: Mapped[str] = mapped_column(String(15))  # canonical
    department_code: Mapped[str | None] = mapped_column(String(64))
    permission: Mapped[str] = mapped_column(String(64))
    shared_down: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None]
    indexed_at: Mapped[datetime]
    segmenter: Mapped[str] = mapped_column(String(16))
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")
