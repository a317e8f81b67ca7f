"""Reads: regions by code, children, subtrees, breadcrumbs, boundaries and point → grid.

Subtrees are code ranges on the primary key (``code > X AND code < successor(X)``), children go
through the ``parent_code`` index; neither walks the tree row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from shapely.geometry import mapping
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    RowMapping,
    and_,
    bindparam,
    false,
    func,
    select,
)
from sqlalchemy import exists as sql_exists
from sqlalchemy.orm import InstrumentedAttribute, Session

from citybrain.core.errors import BadInput, NotFound
from citybrain.regions import geo
from citybrain.regions.grid_cache import grid_indexes
from citybrain.regions.models import GridMember, Region, RegionBoundary
from citybrain.regions.scope import (
    LENGTH_BY_LEVEL,
    Level,
    ancestors,
    descendant_upper_bound,
    is_within,
    level_of,
    normalise_code,
)

# Points this close outside a county (degrees, ~1 km) still try its grids: imported grids may
# reach a tolerance beyond the county's line.
_COUNTY_MARGIN_DEG = 0.01


def within_scope(
    column: ColumnElement[str] | InstrumentedAttribute[str], scope_code: str
) -> ColumnElement[bool]:
    """SQL predicate "``column`` (a canonical region code) lies in ``scope_code``'s subtree,
    itself included" for any module's table: a range that an index on the column serves,
    correct under any collation. An empty scope matches nothing, like ``scope.is_within``."""
    if not scope_code:
        return false()
    upper = descendant_upper_bound(scope_code)
    lower = column >= scope_code
    return lower if upper is None else and_(lower, column < upper)


def subtree_filter(code: str, *, include_self: bool = False) -> ColumnElement[bool]:
    """SQL predicate selecting the regions below canonical ``code`` (a range on the PK)."""
    if include_self:
        return within_scope(Region.code, code)
    upper = descendant_upper_bound(code)
    lower = Region.code > code
    return lower if upper is None else and_(lower, Region.code < upper)


def get(session: Session, code: str) -> Region:
    """The region with ``code`` (any accepted form); ``BadInput`` when malformed, ``NotFound``
    (``region_not_found``) when unknown."""
    canonical = normalise_code(code)
    region = session.get(Region, canonical)
    if region is None:
        raise NotFound(f"区划 {canonical} 不存在", code="region_not_found", detail=canonical)
    return region


def get_grid(session: Session, code: str) -> Region:
    """Like ``get`` but the code must name a grid (``BadInput`` ``not_a_grid`` otherwise)."""
    if level_of(code) is not Level.grid:
        raise BadInput(f"{code} 不是网格代码 (应为 15 位)", code="not_a_grid", detail=code)
    return get(session, code)


def exists(session: Session, code: str) -> bool:
    return session.get(Region, normalise_code(code)) is not None


def names_of(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of the given region codes, in one query, for screens that show a region by name
    (南古镇) rather than its code (620722104); codes not loaded are left out."""
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    return {str(code): str(name) for code, name in rows.all()}


_NAME_OF = select(Region.name).where(Region.code == bindparam("code"))


def name_of(session: Session, code: str) -> str:
    """The name of the region ``code`` as stored ("" when not loaded): one prepared query,
    cheaper than :func:`names_of` for the single region a record shows."""
    if not code:
        return ""
    name = session.execute(_NAME_OF, {"code": code}).scalar_one_or_none()
    return "" if name is None else str(name)


def children(session: Session, code: str) -> list[Region]:
    """Direct children ordered by code (empty for a leaf)."""
    query = select(Region).where(Region.parent_code == normalise_code(code)).order_by(Region.code)
    return list(session.execute(query).scalars())


_CHILD = Region.__table__.alias("child")
_PARENT = Region.__table__.alias("parent")
_CHILDREN_READ = (
    select(
        Region.code,
        Region.name,
        Region.level,
        Region.parent_code,
        Region.properties,
        sql_exists(select(_CHILD.c.code).where(_CHILD.c.parent_code == Region.code)).label(
            "has_children"
        ),
        _PARENT.c.name.label("parent_name"),
    )
    .join(_PARENT, _PARENT.c.code == Region.parent_code)
    .where(Region.parent_code == bindparam("parent"))
    .order_by(Region.code)
)


def children_rows(session: Session, code: str) -> Sequence[RowMapping]:
    """The direct children of ``code`` ordered by code, as rows (code, name, level,
    parent_code, properties, has_children, parent_name): one prepared query, for the region
    picker that every screen opens. ``NotFound`` (``region_not_found``) when ``code`` is
    unknown; a leaf has no rows."""
    canonical = normalise_code(code)
    rows = session.execute(_CHILDREN_READ, {"parent": canonical}).mappings().all()
    if not rows:
        get(session, canonical)  # a leaf, or no such region (404)
    return rows


def descendants(session: Session, code: str, level: Level | None = None) -> list[Region]:
    """Every region strictly below ``code``, optionally of one level, ordered by code."""
    query = select(Region).where(subtree_filter(normalise_code(code)))
    if level is not None:
        query = query.where(Region.level == level.value)
    return list(session.execute(query.order_by(Region.code)).scalars())


def count_descendants(session: Session, code: str, level: Level | None = None) -> int:
    query = select(func.count()).select_from(Region).where(subtree_filter(normalise_code(code)))
    if level is not None:
        query = query.where(Region.level == level.value)
    return int(session.execute(query).scalar_one())


def path(session: Session, code: str, *, below: str = "") -> list[Region]:
    """The region and its ancestors from the top down (for breadcrumbs). With ``below`` (the
    caller's scope), ancestors above it are left out."""
    canonical = normalise_code(code)
    wanted = [c for c in [*ancestors(canonical), canonical] if not below or is_within(c, below)]
    rows = session.execute(select(Region).where(Region.code.in_(wanted))).scalars()
    return sorted(rows, key=lambda region: len(region.code))


def codes_with_children(session: Session, codes: Sequence[str]) -> set[str]:
    """Which of ``codes`` have at least one child (one query)."""
    if not codes:
        return set()
    query = select(Region.parent_code).where(Region.parent_code.in_(list(codes))).distinct()
    return {str(code) for code in session.execute(query).scalars()}


def boundary(session: Session, code: str) -> RegionBoundary | None:
    return session.get(RegionBoundary, normalise_code(code))


def nearest_boundary(session: Session, code: str) -> RegionBoundary | None:
    """The boundary of ``code`` or, when it has none, of its nearest ancestor that has one."""
    canonical = normalise_code(code)
    chain = [*ancestors(canonical), canonical]
    rows = session.execute(select(RegionBoundary).where(RegionBoundary.code.in_(chain))).scalars()
    found = sorted(rows, key=lambda row: len(row.code), reverse=True)
    return found[0] if found else None


def feature_collection(
    session: Session, code: str, *, crs: geo.Crs, grids: bool = False
) -> dict[str, Any]:
    """GeoJSON of the region's boundary (if any) and its children's boundaries, in ``crs``;
    with ``grids`` also every grid below it (a township's grids hang under villages, which
    have no boundary of their own, so its map needs them in one answer).

    Properties carry ``name``/``code``/``level``/``role`` (``self``, ``child`` or ``grid``) so
    that ECharts ``registerMap`` can match by name; synthetic boundaries say so.
    """
    canonical = normalise_code(code)
    wanted = (Region.code == canonical) | (Region.parent_code == canonical)
    if grids:
        wanted = wanted | (subtree_filter(canonical) & (Region.level == Level.grid))
    query = (
        select(Region, RegionBoundary)
        .join(RegionBoundary, RegionBoundary.code == Region.code)
        .where(wanted)
        .order_by(Region.code)
    )
    features: list[dict[str, Any]] = []
    for region, row in session.execute(query):
        geometry = geo.from_wgs84(geo.loads(row.geojson), crs)
        properties: dict[str, Any] = {
            "code": region.code,
            "adcode": region.code,
            "name": region.name,
            "level": region.level,
            "role": _role(region, canonical),
            **row.props,
            **region.props,
        }
        features.append(
            {
                "type": "Feature",
                "id": region.code,
                "properties": properties,
                "geometry": mapping(geometry),
            }
        )
    return {"type": "FeatureCollection", "crs_name": crs.value, "features": features}


def _role(region: Region, canonical: str) -> str:
    if region.code == canonical:
        return "self"
    return "child" if region.parent_code == canonical else "grid"


_margin: BindParameter[float] = bindparam("margin", type_=Float)
# County boundaries are the 6-character codes of region_boundary; the bounding-box index
# covers this query, so it reads no table rows.
_COUNTIES_NEAR = (
    select(RegionBoundary.code)
    .where(
        func.length(RegionBoundary.code) == LENGTH_BY_LEVEL[Level.county],
        RegionBoundary.min_lng - _margin <= bindparam("lng"),
        RegionBoundary.max_lng + _margin >= bindparam("lng"),
        RegionBoundary.min_lat - _margin <= bindparam("lat"),
        RegionBoundary.max_lat + _margin >= bindparam("lat"),
    )
    .order_by(RegionBoundary.code)
)


def counties_near(session: Session, lng: float, lat: float) -> list[str]:
    """County codes whose bounding box (plus a margin) holds the WGS-84 point."""
    params = {"lng": lng, "lat": lat, "margin": _COUNTY_MARGIN_DEG}
    return list(session.execute(_COUNTIES_NEAR, params).scalars())


def grid_at(session: Session, lng: float, lat: float) -> Region | None:
    """The grid holding a WGS-84 point (border points go to the smaller code), or None.

    Uses each nearby county's cached ``GridIndex``, rebuilt when that county's grids change.
    """
    counties = counties_near(session, lng, lat)
    for index in grid_indexes(session, counties):
        found = index.locate(lng, lat)
        if found is not None:
            return session.get(Region, found)
    return None


def grid_at_in_scope(
    session: Session, lng: float, lat: float, *, crs: geo.Crs, scope: str
) -> Region | None:
    """``grid_at`` for a point given in ``crs``, hiding a grid outside ``scope`` (the caller
    learns nothing about regions it may not see)."""
    wgs_lng, wgs_lat = (lng, lat) if crs is geo.Crs.wgs84 else geo.gcj02_to_wgs84(lng, lat)
    grid = grid_at(session, wgs_lng, wgs_lat)
    return grid if grid is not None and is_within(grid.code, scope) else None


def grid_members(session: Session, grid_code: str) -> list[GridMember]:
    query = (
        select(GridMember)
        .where(GridMember.grid_code == normalise_code(grid_code))
        .order_by(GridMember.id)
    )
    return list(session.execute(query).scalars())
