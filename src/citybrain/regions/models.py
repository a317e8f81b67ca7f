from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.clock import utcnow
from citybrain.core.db import Base


class Region(Base):
    """One administrative unit or grid. ``code`` is canonical (see ``regions.scope``), so the
    subtree of X is the code range [X, successor(X)) on the primary-key index."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    level: Mapped[str] = mapped_column(String(16), index=True)  # a scope.Level value
    parent_code: Mapped[str | None] = mapped_column(
        String(15), ForeignKey("region.code"), index=True
    )
    properties: Mapped[str] = mapped_column(Text, default="{}")  # JSON object, e.g. synthetic
    source: Mapped[str] = mapped_column(String(128), default="")  # file it was loaded from

    @property
    def props(self) -> dict[str, Any]:
        value = json.loads(self.properties or "{}")
        return value if isinstance(value, dict) else {}


class RegionBoundary(Base):
    """The boundary of a region in WGS-84 (GeoJSON geometry text) with its bounding box, so
    that candidates for a point are found with plain range predicates."""

    __tablename__ = "region_boundary"
    # Covering index of the bounding-box search (which counties may hold a point).
    __table_args__ = (
        Index("ix_region_boundary_bbox", "min_lng", "max_lng", "min_lat", "max_lat", "code"),
    )

    code: Mapped[str] = mapped_column(
        String(15), ForeignKey("region.code", ondelete="CASCADE"), primary_key=True
    )
    min_lng: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lng: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    properties: Mapped[str] = mapped_column(Text, default="{}")  # e.g. synthetic, repaired
    source: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Last on purpose: SQLite reads a row's columns in order, and a large text in front would
    # make every bounding-box scan walk its overflow pages.
    geojson: Mapped[str] = mapped_column(Text)

    @property
    def props(self) -> dict[str, Any]:
        value = json.loads(self.properties or "{}")
        return value if isinstance(value, dict) else {}


class RegionGridVersion(Base):
    """A counter per county, bumped in the same transaction as any change to its grids, so
    that every process can tell in one primary-key read whether its cached point → grid index
    is current (a rolled-back change rolls the counter back too)."""

    __tablename__ = "region_grid_version"

    county_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("region.code", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, default=0)


class GridMember(Base):
    """A grid member (网格员) assigned to a grid. ``user_id`` points at an iam user without a
    foreign key (iam sits above regions); the display name is kept here."""

    __tablename__ = "grid_member"
    __table_args__ = (UniqueConstraint("grid_code", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("region.code", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(64))
    # The phone number as an SM4-GCM token and a blind index (``regions.pii``), never in clear.
    phone_enc: Mapped[str | None] = mapped_column(Text, default=None)
    phone_bidx: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
