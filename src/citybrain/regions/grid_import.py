"""Importing grid polygons (网格) from GeoJSON: all features are validated first, then all are
written, so a refused import writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.errors import BadInput
from citybrain.regions import geo, grid_cache, queries
from citybrain.regions.grids import village_short_name
from citybrain.regions.models import Region, RegionBoundary
from citybrain.regions.scope import Level, ancestors, is_within
from citybrain.regions.validation import (
    FeatureProblem,
    GridFeature,
    Reference,
    overlap_problem,
    parse_features,
    refuse,
)
from citybrain.regions.writes import (
    BoundaryValues,
    RegionValues,
    dumps_properties,
    upsert_boundaries,
    upsert_regions,
)

_KNOWN_PROPERTIES = ("name", "code", "village_code")


@dataclass(frozen=True, slots=True)
class ImportedGrids:
    created: list[Region]
    updated: list[Region]

    @property
    def all(self) -> list[Region]:
        return [*self.created, *self.updated]


def _village_of(feature: GridFeature, target: Region) -> tuple[str | None, FeatureProblem | None]:
    """The village a feature belongs to, from its code, its village_code or the target."""
    index = feature.index
    village = feature.code[:12] if feature.code else feature.village_code
    if feature.code and feature.village_code and feature.village_code != village:
        return None, FeatureProblem(index, "village_mismatch", "code 与 village_code 不一致")
    if village is None:
        if target.level == Level.village.value:
            return target.code, None
        reason = "导入到乡镇时, 每个网格须在 properties.village_code 中注明所属村/社区"
        return None, FeatureProblem(index, "village_required", reason)
    if not is_within(village, target.code):
        reason = f"所属村/社区 {village} 不在 {target.code} {target.name} 之内"
        return None, FeatureProblem(index, "village_outside_target", reason)
    return village, None


def _references(session: Session, villages: set[str], tolerance_m: float) -> dict[str, Reference]:
    """Per village, the real boundary of its nearest bounded ancestor (synthetic township
    cells are placeholders, not a reference), prepared once per boundary."""
    chains = {v: [*ancestors(v), v] for v in villages}
    wanted = sorted({c for chain in chains.values() for c in chain})
    rows = session.execute(
        select(RegionBoundary, Region.name)
        .join(Region, Region.code == RegionBoundary.code)
        .where(RegionBoundary.code.in_(wanted))
    )
    real = {b.code: (b, name) for b, name in rows if not b.props.get("synthetic")}
    prepared: dict[str, Reference] = {}
    found: dict[str, Reference] = {}
    for village, chain in chains.items():
        code = next((c for c in reversed(chain) if c in real), None)
        if code is None:
            continue
        if code not in prepared:
            row, name = real[code]
            prepared[code] = Reference(geo.loads(row.geojson), name, tolerance_m)
        found[village] = prepared[code]
    return found


def _existing_grids(
    session: Session, features: list[GridFeature], replacing: set[str]
) -> list[tuple[str, str, BaseGeometry]]:
    """Stored grids whose bounding box meets the imported features' (for overlap checks)."""
    minx, miny, maxx, maxy = shapely.total_bounds([f.geometry for f in features])
    rows = session.execute(
        select(Region.code, Region.name, RegionBoundary.geojson)
        .join(RegionBoundary, RegionBoundary.code == Region.code)
        .where(
            Region.level == Level.grid.value,
            RegionBoundary.min_lng <= maxx,
            RegionBoundary.max_lng >= minx,
            RegionBoundary.min_lat <= maxy,
            RegionBoundary.max_lat >= miny,
        )
    )
    return [(code, name, geo.loads(text)) for code, name, text in rows if code not in replacing]


def _overlaps(
    checked: list[tuple[GridFeature, str]], existing: list[tuple[str, str, BaseGeometry]]
) -> list[FeatureProblem]:
    """Overlaps between grids of the same county (each county has its own point → grid
    index; the public county outlines themselves overlap their neighbours a little)."""
    labels = [f"已有网格 {code} {name}" for code, name, _ in existing]
    labels += [f"第 {f.index} 个要素" for f, _ in checked]
    counties = [code[:6] for code, _, _ in existing] + [village[:6] for _, village in checked]
    geometries = [g for _, _, g in existing] + [f.geometry for f, _ in checked]
    tree = shapely.STRtree(geometries)
    origin_lat = checked[0][0].geometry.centroid.y
    problems: list[FeatureProblem] = []
    for position, (feature, village) in enumerate(checked, start=len(existing)):
        for other in sorted(int(i) for i in tree.query(feature.geometry, predicate="intersects")):
            # skip itself, a later new feature (that pair is checked there), another county
            if other >= position or counties[other] != village[:6]:
                continue
            problem = overlap_problem(feature, geometries[other], labels[other], origin_lat)
            if problem is not None:
                problems.append(problem)
                break
    return problems


def _next_serials(session: Session, villages: set[str]) -> dict[str, int]:
    """Per village, the highest grid serial in use."""
    highest = dict.fromkeys(villages, 0)
    query = select(Region.code).where(
        Region.level == Level.grid.value, Region.parent_code.in_(sorted(villages))
    )
    for code in session.execute(query).scalars():
        highest[code[:12]] = max(highest[code[:12]], int(code[12:]))
    return highest


def import_grids(
    session: Session,
    *,
    village_or_town_code: str,
    geojson: Mapping[str, Any],
    tolerance_m: float = 50.0,
    crs: geo.Crs = geo.Crs.wgs84,
) -> ImportedGrids:
    """Import grid polygons under a village (or under a town, each feature naming its
    ``village_code``); a feature whose ``code`` exists replaces that grid's name and geometry.

    Every feature is checked before anything is written: Polygon/MultiPolygon, closed rings,
    valid (no self-intersection), inside the nearest real boundary above its village within
    ``tolerance_m`` metres, no overlap with other grids. Raises ``BadInput``
    (``invalid_grid_geojson`` with ``detail`` = [{index, code, reason}], ``grid_parent_level``,
    ``bad_region_code``), ``NotFound`` (``region_not_found``). Writes one
    ``regions.grids.import`` audit record and invalidates the point → grid cache.
    """
    target = queries.get(session, village_or_town_code)
    if target.level not in (Level.village.value, Level.town.value):
        raise BadInput(
            "网格只能导入到村/社区或乡镇/街道之下", code="grid_parent_level", detail=target.code
        )
    if not 0 <= tolerance_m <= 1000:
        raise BadInput("容差应在 0–1000 米之间", code="bad_tolerance", detail=tolerance_m)
    features, problems = parse_features(geojson, crs)
    placed: list[tuple[GridFeature, str]] = []
    for feature in features:
        village, problem = _village_of(feature, target)
        if problem is not None:
            problems.append(problem)
        elif village is not None:
            placed.append((feature, village))
    wanted = {village for _, village in placed}
    found = set(
        session.execute(
            select(Region.code).where(
                Region.code.in_(sorted(wanted)), Region.level == Level.village.value
            )
        ).scalars()
    )
    references = _references(session, found, tolerance_m)
    checked: list[tuple[GridFeature, str]] = []
    for feature, village in placed:
        if village not in found:
            problems.append(
                FeatureProblem(feature.index, "village_not_found", f"村/社区 {village} 不存在")
            )
        elif village not in references:
            reason = f"村/社区 {village} 及其上级均无边界数据, 无法校验网格范围"
            problems.append(FeatureProblem(feature.index, "no_reference_boundary", reason))
        else:
            problem = references[village].problem(feature)
            if problem is None:
                checked.append((feature, village))
            else:
                problems.append(problem)
    if not problems and checked:
        replacing = {f.code for f, _ in checked if f.code}
        problems.extend(
            _overlaps(checked, _existing_grids(session, [f for f, _ in checked], replacing))
        )
    if problems:
        raise refuse(sorted(problems, key=lambda p: (-1 if p.index is None else p.index, p.code)))
    return _write(session, target, checked)


def _write(
    session: Session, target: Region, checked: list[tuple[GridFeature, str]]
) -> ImportedGrids:
    villages = {village for _, village in checked}
    given = {f.code for f, _ in checked if f.code}
    query = select(Region.code, Region.name).where(Region.code.in_(sorted(villages | given)))
    names = {code: name for code, name in session.execute(query)}  # villages, replaced grids
    serials = _next_serials(session, villages)
    for feature, _ in checked:
        if feature.code:
            serials[feature.code[:12]] = max(serials[feature.code[:12]], int(feature.code[12:]))
    region_values: list[RegionValues] = []
    boundary_values: list[BoundaryValues] = []
    for feature, village in checked:
        if feature.code is None:
            serials[village] += 1
            if serials[village] > 999:
                raise BadInput(
                    f"村/社区 {village} 的网格超过 999 个", code="too_many_grids", detail=village
                )
            feature.code = f"{village}{serials[village]:03d}"
        default = f"{village_short_name(names[village])}第{int(feature.code[12:])}网格"
        name = feature.name or names.get(feature.code, default)  # a replaced grid keeps its name
        extra = {k: v for k, v in feature.properties.items() if k not in _KNOWN_PROPERTIES}
        source = "import"
        region_values.append(
            RegionValues(
                feature.code, name, Level.grid.value, village, source, dumps_properties(extra)
            )
        )
        boundary_values.append(BoundaryValues.of(feature.code, feature.geometry, source, {}))
    regions = upsert_regions(session, region_values)
    boundaries = upsert_boundaries(session, boundary_values)
    changed = sorted(
        {*regions.updated, *boundaries.inserted, *boundaries.updated} - {*regions.inserted}
    )
    if regions.inserted or changed:
        audit.record(
            session,
            action="regions.grids.import",
            object_type="region",
            object_id=target.code,
            region_code=target.code,
            detail={"created": regions.inserted, "updated": changed},
        )
    grid_cache.invalidate()
    session.flush()
    by_code = {
        r.code: r
        for r in session.execute(
            select(Region).where(Region.code.in_([v.code for v in region_values]))
        ).scalars()
    }
    return ImportedGrids(
        created=[by_code[c] for c in regions.inserted], updated=[by_code[c] for c in changed]
    )
