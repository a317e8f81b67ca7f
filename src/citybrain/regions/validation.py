"""Named validators for imported grid GeoJSON (pure: no database).

Each check answers a ``FeatureProblem`` with the feature's index, a stable English code and a
Chinese reason, so one refused import reports every bad feature at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from citybrain.core.errors import BadInput
from citybrain.regions import geo
from citybrain.regions.scope import Level, level_of, normalise_code

MAX_FEATURES = 5000
MAX_NAME_LENGTH = 128
OVERLAP_TOLERANCE_M = 1.0  # overlaps narrower than this are digitising noise


@dataclass(frozen=True, slots=True)
class FeatureProblem:
    index: int | None  # None: the document as a whole
    code: str
    reason: str

    def as_detail(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "reason": self.reason}


@dataclass(slots=True)
class GridFeature:
    """One accepted feature: geometry in WGS-84 plus the optional properties we understand."""

    index: int
    geometry: BaseGeometry
    name: str | None = None
    code: str | None = None  # canonical grid code, when the file gives one
    village_code: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


def refuse(problems: list[FeatureProblem]) -> BadInput:
    """The one error of a refused import, listing every problem."""
    return BadInput(
        f"网格数据未通过校验 ({len(problems)} 处问题), 未写入任何数据",
        code="invalid_grid_geojson",
        detail=[p.as_detail() for p in problems],
    )


def _ring_problem(ring: Any) -> str | None:
    if not isinstance(ring, list | tuple) or len(ring) < 4:
        return "环至少需要 4 个坐标点 (首尾相同)"
    for position in ring:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
            or not all(math.isfinite(v) for v in position)
        ):
            return f"坐标不是有效的数字对: {str(position)[:40]}"
        lng, lat = position[0], position[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            return f"经纬度超出范围: {lng}, {lat}"
    if list(ring[0][:2]) != list(ring[-1][:2]):
        return "环未闭合: 首尾坐标不同"
    return None


def _structure_problem(geometry: Any) -> tuple[str, str] | None:
    if not isinstance(geometry, Mapping):
        return "missing_geometry", "缺少几何对象"
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon"):
        return "not_polygon", f"几何类型应为 Polygon 或 MultiPolygon, 实为 {kind}"
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list | tuple) or not polygons:
        return "bad_coordinates", "坐标为空或格式不正确"
    for polygon in polygons:
        if not isinstance(polygon, list | tuple) or not polygon:
            return "bad_coordinates", "多边形没有环"
        for ring in polygon:
            problem = _ring_problem(ring)
            if problem:
                code = "ring_not_closed" if "闭合" in problem else "bad_coordinates"
                return code, problem
    return None


def _properties(index: int, raw: Any) -> tuple[GridFeature | None, list[FeatureProblem]]:
    props = dict(raw) if isinstance(raw, Mapping) else {}
    problems: list[FeatureProblem] = []
    feature = GridFeature(index=index, geometry=shapely.Polygon(), properties=props)
    name = props.get("name")
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
            problems.append(FeatureProblem(index, "bad_name", "名称应为 1–128 个字符"))
        else:
            feature.name = name.strip()
    for key in ("code", "village_code"):
        value = props.get(key)
        if value is None:
            continue
        try:
            canonical = normalise_code(str(value))
        except BadInput as exc:
            problems.append(FeatureProblem(index, "bad_region_code", f"{key}: {exc.message}"))
            continue
        wanted = Level.grid if key == "code" else Level.village
        if level_of(canonical) is not wanted:
            problems.append(
                FeatureProblem(index, "bad_region_code", f"{key} {value} 不是{wanted.value}级代码")
            )
        elif key == "code":
            feature.code = canonical
        else:
            feature.village_code = canonical
    return (None if problems else feature), problems


def parse_features(document: Any, crs: geo.Crs) -> tuple[list[GridFeature], list[FeatureProblem]]:
    """Parse a FeatureCollection (or one Feature) of grid polygons given in ``crs``.

    Checks, per feature: a Polygon/MultiPolygon with finite in-range coordinates, closed rings
    of at least four positions, a valid (non-self-intersecting) geometry in the sense of
    ``shapely.is_valid`` (the reason from ``is_valid_reason`` is reported), and well-formed
    ``name``/``code``/``village_code`` properties. Geometries are returned in WGS-84.
    """
    if isinstance(document, Mapping) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        return [], [
            FeatureProblem(None, "not_feature_collection", "应为 GeoJSON FeatureCollection")
        ]
    raw_features = document.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        return [], [FeatureProblem(None, "no_features", "FeatureCollection 中没有要素")]
    if len(raw_features) > MAX_FEATURES:
        reason = f"一次最多导入 {MAX_FEATURES} 个网格"
        return [], [FeatureProblem(None, "too_many_features", reason)]
    accepted: list[GridFeature] = []
    problems: list[FeatureProblem] = []
    seen_codes: dict[str, int] = {}
    for index, raw in enumerate(raw_features):
        if not isinstance(raw, Mapping) or raw.get("type") != "Feature":
            problems.append(FeatureProblem(index, "not_feature", "应为 GeoJSON Feature"))
            continue
        structure = _structure_problem(raw.get("geometry"))
        if structure:
            problems.append(FeatureProblem(index, *structure))
            continue
        try:
            geometry = shape(raw["geometry"])
        except (ShapelyError, ValueError, TypeError) as exc:
            problems.append(FeatureProblem(index, "bad_coordinates", f"无法解析几何: {exc}"))
            continue
        if geometry.is_empty:
            problems.append(FeatureProblem(index, "empty_geometry", "几何为空"))
            continue
        if not geometry.is_valid:
            reason = f"几何无效 (如自相交): {shapely.is_valid_reason(geometry)}"
            problems.append(FeatureProblem(index, "invalid_geometry", reason))
            continue
        feature, property_problems = _properties(index, raw.get("properties"))
        problems.extend(property_problems)
        if feature is None:
            continue
        if feature.code is not None:
            if feature.code in seen_codes:
                reason = f"网格代码 {feature.code} 与第 {seen_codes[feature.code]} 个要素重复"
                problems.append(FeatureProblem(index, "duplicate_code", reason))
                continue
            seen_codes[feature.code] = index
        feature.geometry = geo.to_wgs84(geometry, crs)
        if not feature.geometry.is_valid:  # the datum shift moved a vertex across an edge
            reason = "坐标转换后几何无效, 请检查狭窄部位"
            problems.append(FeatureProblem(index, "invalid_geometry", reason))
            continue
        accepted.append(feature)
    return accepted, problems


class Reference:
    """A boundary that grids must stay inside, prepared once per import: projected to local
    metres and grown by the tolerance."""

    def __init__(self, geometry: BaseGeometry, name: str, tolerance_m: float) -> None:
        self.name = name
        self.tolerance_m = tolerance_m
        self.origin_lat = float(geometry.centroid.y)
        self.metres = geo.to_local_metres(geometry, self.origin_lat)
        self.allowed = self.metres.buffer(tolerance_m)
        shapely.prepare(self.allowed)

    def problem(self, feature: GridFeature) -> FeatureProblem | None:
        """A problem when the grid reaches further than the tolerance outside."""
        grid_m = geo.to_local_metres(feature.geometry, self.origin_lat)
        if self.allowed.covers(grid_m):
            return None
        outside = grid_m.difference(self.allowed)
        if outside.is_empty or outside.area < 1e-6:
            return None
        coordinates = shapely.get_coordinates(grid_m)
        farthest = float(shapely.distance(self.metres, shapely.points(coordinates)).max())
        return FeatureProblem(
            feature.index,
            "grid_outside_parent",
            f"网格超出{self.name}边界 {farthest:.0f} 米 (容差 {self.tolerance_m:g} 米)",
        )


def overlap_problem(
    feature: GridFeature, other: BaseGeometry, other_label: str, origin_lat: float
) -> FeatureProblem | None:
    """A problem when two grids overlap by more than a sliver of ``OVERLAP_TOLERANCE_M``."""
    overlap = feature.geometry.intersection(other)
    if overlap.is_empty or overlap.area == 0:
        return None
    shrunk = geo.to_local_metres(overlap, origin_lat).buffer(-OVERLAP_TOLERANCE_M / 2)
    if shrunk.is_empty:
        return None
    return FeatureProblem(feature.index, "grid_overlap", f"网格与{other_label}重叠")
