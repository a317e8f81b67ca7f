"""Reading the public division and boundary files under ``data_dir`` (no database).

* ``admin_divisions/modood2023_{provinces,cities,areas}.csv``: the whole country down to county
  level (国家统计局 2023). Townships of the whole country (``modood2023_streets.csv``, 41k rows)
  are deliberately not loaded: the platform needs them only where it runs.
* ``admin_divisions/villages2021_*.csv``: townships and villages of the covered areas
  (民乐县 620722, 遂宁市 5109, 涟源市 431382); their county rows come from the 2023 files.
* ``geo/datav_v3_{county,city}_*.geojson``: county boundaries in GCJ-02, converted to WGS-84.
  County files are more detailed than city files and win when both hold a county; invalid
  rings (a few DataV polygons self-intersect) are repaired with ``make_valid``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from citybrain.core.errors import BadInput
from citybrain.regions import geo
from citybrain.regions.scope import LENGTH_BY_LEVEL, Level, normalise_code, parent_of

DIVISIONS_DIR = "admin_divisions"
GEO_DIR = "geo"
NATIONAL_FILES: tuple[tuple[str, Level], ...] = (
    ("modood2023_provinces.csv", Level.province),
    ("modood2023_cities.csv", Level.city),
    ("modood2023_areas.csv", Level.county),
)
VILLAGE_GLOB = "villages2021_*.csv"
COUNTY_GEO_GLOB = "datav_v3_county_*.geojson"
CITY_GEO_GLOB = "datav_v3_city_*.geojson"
_LEVEL_ORDER = {level: rank for rank, level in enumerate(Level)}


@dataclass(frozen=True, slots=True)
class DivisionRow:
    code: str
    name: str
    level: Level
    parent_code: str | None
    source: str


@dataclass(slots=True)
class BoundaryRow:
    code: str
    geometry: BaseGeometry  # WGS-84
    source: str
    properties: dict[str, Any] = field(default_factory=dict)


def _bad_file(path: Path, line: int, reason: str) -> BadInput:
    return BadInput(
        f"区划数据文件有误: {path.name} 第 {line} 行: {reason}",
        code="bad_division_file",
        detail={"file": str(path), "line": line, "reason": reason},
    )


def _required(path: Path) -> Path:
    if not path.is_file():
        raise BadInput(
            f"找不到区划数据文件: {path}", code="division_file_missing", detail=str(path)
        )
    return path


def _row(path: Path, line: int, raw_code: str, name: str, level: Level) -> DivisionRow:
    try:
        code = normalise_code(raw_code)
    except BadInput as exc:
        raise _bad_file(path, line, exc.message) from exc
    if len(code) != LENGTH_BY_LEVEL[level]:
        raise _bad_file(path, line, f"代码 {raw_code} 不是{level.value}级代码")
    if not name.strip():
        raise _bad_file(path, line, "名称为空")
    return DivisionRow(code, name.strip(), level, parent_of(code), path.name)


def read_divisions(data_dir: Path) -> list[DivisionRow]:
    """Every division row of the files, parents before children, each code once.

    Raises ``BadInput`` (``division_file_missing``, ``bad_division_file``) for a missing file,
    a malformed code, a code of the wrong level, a parent column that disagrees with the code,
    or a parent that is in none of the files.
    """
    base = data_dir / DIVISIONS_DIR
    rows: dict[str, DivisionRow] = {}
    for filename, level in NATIONAL_FILES:
        path = _required(base / filename)
        with path.open(encoding="utf-8", newline="") as handle:
            for line, record in enumerate(csv.DictReader(handle), start=2):
                row = _row(path, line, record["code"], record["name"], level)
                rows.setdefault(row.code, row)
    for path in sorted(base.glob(VILLAGE_GLOB)):
        with path.open(encoding="utf-8", newline="") as handle:
            for line, record in enumerate(csv.DictReader(handle), start=2):
                level = Level(record["level"])
                if level is Level.county:  # counties come from the newer national file
                    continue
                row = _row(path, line, record["code"], record["name"], level)
                if normalise_code(record["parent_code"]) != row.parent_code:
                    raise _bad_file(path, line, f"上级代码 {record['parent_code']} 与代码不符")
                rows.setdefault(row.code, row)
    for row in rows.values():
        if row.parent_code is not None and row.parent_code not in rows:
            raise BadInput(
                f"区划 {row.code} {row.name} 的上级 {row.parent_code} 不存在",
                code="parent_not_found",
                detail={"code": row.code, "parent_code": row.parent_code, "file": row.source},
            )
    return sorted(rows.values(), key=lambda r: (_LEVEL_ORDER[r.level], r.code))


def _boundary(feature: dict[str, Any], path: Path) -> BoundaryRow:
    props = feature.get("properties") or {}
    code = normalise_code(str(props.get("adcode", "")))
    gcj = shape(feature["geometry"])
    properties: dict[str, Any] = {"crs_of_source": "gcj02"}
    if not gcj.is_valid:
        properties["repaired"] = shapely.is_valid_reason(gcj)
        gcj = geo.polygonal_part(shapely.make_valid(gcj))
    wgs = geo.to_wgs84(gcj, geo.Crs.gcj02)
    if not wgs.is_valid:  # conversion moves vertices by metres; re-check
        wgs = geo.polygonal_part(shapely.make_valid(wgs))
    return BoundaryRow(code, wgs, path.name, properties)


def read_county_boundaries(data_dir: Path) -> list[BoundaryRow]:
    """County boundaries (WGS-84) from the DataV files, one per county code, sorted by code.

    Raises ``BadInput`` (``bad_boundary_file``) for a file that is not a FeatureCollection of
    features with an ``adcode`` and a geometry.
    """
    base = data_dir / GEO_DIR
    found: dict[str, BoundaryRow] = {}
    paths = sorted(base.glob(COUNTY_GEO_GLOB)) + sorted(base.glob(CITY_GEO_GLOB))
    for path in paths:
        try:
            document = json.loads(path.read_text("utf-8"))
            for feature in document["features"]:
                row = _boundary(feature, path)
                if len(row.code) == LENGTH_BY_LEVEL[Level.county]:
                    found.setdefault(row.code, row)
        except (KeyError, TypeError, ValueError, BadInput, ShapelyError) as exc:
            raise BadInput(
                f"边界数据文件有误: {path.name}", code="bad_boundary_file", detail=str(exc)
            ) from exc
    return [found[code] for code in sorted(found)]
