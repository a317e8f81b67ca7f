"""Set-based upserts of regions and boundaries, shared by the loader and the grid commands.

Existing rows are read in a few ``IN`` queries, then new rows are inserted and changed rows
updated in chunks (one statement per chunk, never one ORM object per row); unchanged rows are
not touched, which is what makes the loader idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.regions import geo
from citybrain.regions.models import GridMember, Region, RegionBoundary, RegionGridVersion

CHUNK = 1000
GRID_LENGTH = 15
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class RegionValues:
    code: str
    name: str
    level: str
    parent_code: str | None
    source: str
    properties: str = "{}"

    def as_row(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "parent_code": self.parent_code,
            "source": self.source,
            "properties": self.properties,
        }


@dataclass(frozen=True, slots=True)
class BoundaryValues:
    code: str
    geojson: str
    bounds: tuple[float, float, float, float]
    source: str
    properties: str = "{}"

    @classmethod
    def of(
        cls, code: str, geometry: BaseGeometry, source: str, props: dict[str, Any]
    ) -> BoundaryValues:
        text = geo.dumps(geometry)
        minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(geo.loads(text)))
        return cls(code, text, (minx, miny, maxx, maxy), source, dumps_properties(props))

    def as_row(self) -> dict[str, Any]:
        min_lng, min_lat, max_lng, max_lat = self.bounds
        return {
            "code": self.code,
            "geojson": self.geojson,
            "min_lng": min_lng,
            "min_lat": min_lat,
            "max_lng": max_lng,
            "max_lat": max_lat,
            "source": self.source,
            "properties": self.properties,
            "updated_at": utcnow(),
        }


@dataclass(frozen=True, slots=True)
class Upserted:
    inserted: list[str]
    updated: list[str]
    unchanged: int


def dumps_properties(props: dict[str, Any]) -> str:
    return json.dumps(props, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bump_grid_versions(session: Session, codes: Sequence[str]) -> None:
    """Bump the grid version of the counties of those ``codes`` that are grids."""
    for county in sorted({code[:6] for code in codes if len(code) == GRID_LENGTH}):
        bumped = session.execute(
            update(RegionGridVersion)
            .where(RegionGridVersion.county_code == county)
            .values(version=RegionGridVersion.version + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(bumped, "rowcount", 0) == 0:
            session.execute(insert(RegionGridVersion).values(county_code=county, version=1))


def _expire(session: Session, kind: type[Any], codes: set[str]) -> None:
    """Bulk UPDATE bypasses loaded objects: expire the ones it changed."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, kind) and getattr(obj, "code", None) in codes:
            session.expire(obj)


def upsert_regions(
    session: Session,
    values: Sequence[RegionValues],
    *,
    progress: Progress | None = None,
    stage: str = "regions",
) -> Upserted:
    """Insert new and update changed regions. ``values`` must list parents before children
    (the parent foreign key is checked row by row)."""
    codes = [v.code for v in values]
    existing: dict[str, tuple[Any, ...]] = {}
    columns = (
        Region.code,
        Region.name,
        Region.level,
        Region.parent_code,
        Region.source,
        Region.properties,
    )
    for chunk in _chunks(codes):
        for row in session.execute(select(*columns).where(Region.code.in_(chunk))):
            existing[row[0]] = tuple(row)
    fresh = [v for v in values if v.code not in existing]
    changed = [
        v
        for v in values
        if v.code in existing
        and existing[v.code] != (v.code, v.name, v.level, v.parent_code, v.source, v.properties)
    ]
    total, done = len(fresh) + len(changed), 0
    for chunk in _chunks(fresh):
        session.execute(insert(Region), [v.as_row() for v in chunk])
        done += len(chunk)
        if progress:
            progress(stage, done, total)
    for chunk in _chunks(changed):
        session.execute(update(Region), [v.as_row() for v in chunk])
        done += len(chunk)
        if progress:
            progress(stage, done, total)
    _expire(session, Region, {v.code for v in changed})
    bump_grid_versions(session, [v.code for v in fresh] + [v.code for v in changed])
    if progress and total == 0:
        progress(stage, 0, 0)
    return Upserted(
        [v.code for v in fresh], [v.code for v in changed], len(values) - len(fresh) - len(changed)
    )


def upsert_boundaries(
    session: Session,
    values: Sequence[BoundaryValues],
    *,
    progress: Progress | None = None,
    stage: str = "boundaries",
) -> Upserted:
    """Insert new and update changed boundaries (``updated_at`` moves only on a change)."""
    codes = [v.code for v in values]
    existing: dict[str, tuple[str, str, str]] = {}
    columns = (
        RegionBoundary.code,
        RegionBoundary.geojson,
        RegionBoundary.source,
        RegionBoundary.properties,
    )
    for chunk in _chunks(codes):
        for code, text, source, props in session.execute(
            select(*columns).where(RegionBoundary.code.in_(chunk))
        ):
            existing[code] = (text, source, props)
    fresh = [v for v in values if v.code not in existing]
    changed = [
        v
        for v in values
        if v.code in existing and existing[v.code] != (v.geojson, v.source, v.properties)
    ]
    total, done = len(fresh) + len(changed), 0
    for chunk in _chunks(fresh):
        session.execute(insert(RegionBoundary), [v.as_row() for v in chunk])
        done += len(chunk)
        if progress:
            progress(stage, done, total)
    for chunk in _chunks(changed):
        session.execute(update(RegionBoundary), [v.as_row() for v in chunk])
        done += len(chunk)
        if progress:
            progress(stage, done, total)
    _expire(session, RegionBoundary, {v.code for v in changed})
    bump_grid_versions(session, [v.code for v in fresh] + [v.code for v in changed])
    return Upserted(
        [v.code for v in fresh], [v.code for v in changed], len(values) - len(fresh) - len(changed)
    )


def delete_regions(session: Session, codes: Sequence[str]) -> int:
    """Delete leaf regions (grids) with their boundaries and members; returns the count."""
    for chunk in _chunks(list(codes)):
        session.execute(delete(GridMember).where(GridMember.grid_code.in_(chunk)))
        session.execute(delete(RegionBoundary).where(RegionBoundary.code.in_(chunk)))
        session.execute(delete(Region).where(Region.code.in_(chunk)))
    bump_grid_versions(session, codes)
    return len(codes)
