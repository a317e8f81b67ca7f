"""Coordinate systems and geometry helpers (no database).

Chinese web maps (AMap/高德, DataV, Tencent) publish GCJ-02 ("火星坐标"), an obfuscated offset of
WGS-84 of up to a few hundred metres. citybrain stores WGS-84 (for our purposes equal to
CGCS2000) and converts at import and export. The forward transform is the published
closed-form one; there is no closed-form inverse, so GCJ-02 → WGS-84 iterates the forward one
until the correction is below 1e-9 degree. Outside China's bounding box both are identities.
"""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

FloatArray = npt.NDArray[np.float64]

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_INVERSE_EPSILON = 1e-9
_INVERSE_MAX_STEPS = 30
# Metres per degree of latitude (mean), for tolerances in local metric coordinates.
METRES_PER_DEGREE = 111_320.0
COORDINATE_DECIMALS = 7  # ~1 cm, the precision kept in stored GeoJSON


class Crs(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"


def out_of_china(lng: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    """The rough bounding box outside which GCJ-02 equals WGS-84."""
    return (lng < 72.004) | (lng > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS-84 at WGS-84 points, in degrees."""
    x = lng - 105.0
    y = lat - 35.0
    pi = math.pi
    shared = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += shared
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlng += shared
    dlng += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlng += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * np.cos(radlat) * pi)
    return dlng, dlat


def wgs84_to_gcj02_arrays(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vectorised WGS-84 → GCJ-02 (closed form)."""
    lng = np.asarray(lng, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    dlng, dlat = _delta(lng, lat)
    outside = out_of_china(lng, lat)
    return np.where(outside, lng, lng + dlng), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84_arrays(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Vectorised GCJ-02 → WGS-84 by fixed-point iteration of the forward transform."""
    gcj_lng = np.asarray(lng, dtype=np.float64)
    gcj_lat = np.asarray(lat, dtype=np.float64)
    outside = out_of_china(gcj_lng, gcj_lat)
    wgs_lng = gcj_lng.copy()
    wgs_lat = gcj_lat.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        dlng, dlat = _delta(wgs_lng, wgs_lat)
        err_lng = wgs_lng + dlng - gcj_lng
        err_lat = wgs_lat + dlat - gcj_lat
        wgs_lng -= err_lng
        wgs_lat -= err_lat
        if (
            max(
                float(np.max(np.abs(err_lng), initial=0.0)),
                float(np.max(np.abs(err_lat), initial=0.0)),
            )
            < _INVERSE_EPSILON
        ):
            break
    return np.where(outside, gcj_lng, wgs_lng), np.where(outside, gcj_lat, wgs_lat)


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    out_lng, out_lat = wgs84_to_gcj02_arrays(np.array([lng]), np.array([lat]))
    return float(out_lng[0]), float(out_lat[0])


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    out_lng, out_lat = gcj02_to_wgs84_arrays(np.array([lng]), np.array([lat]))
    return float(out_lng[0]), float(out_lat[0])


def _on_coords(func: Any) -> Any:
    def apply(coords: FloatArray) -> FloatArray:
        lng, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lng, lat])

    return apply


def to_wgs84(geometry: BaseGeometry, crs: Crs) -> BaseGeometry:
    """A geometry given in ``crs`` expressed in WGS-84 (every vertex converted)."""
    if crs is Crs.wgs84:
        return geometry
    return shapely.transform(geometry, _on_coords(gcj02_to_wgs84_arrays))


def from_wgs84(geometry: BaseGeometry, crs: Crs) -> BaseGeometry:
    """A WGS-84 geometry expressed in ``crs``."""
    if crs is Crs.wgs84:
        return geometry
    return shapely.transform(geometry, _on_coords(wgs84_to_gcj02_arrays))


def to_local_metres(geometry: BaseGeometry, origin_lat: float) -> BaseGeometry:
    """An equirectangular projection around ``origin_lat``: good to a fraction of a percent
    over a county, enough for tolerances of tens of metres."""
    kx = METRES_PER_DEGREE * math.cos(math.radians(origin_lat))

    factors = np.array([kx, METRES_PER_DEGREE], dtype=np.float64)

    def scale(coords: FloatArray) -> FloatArray:
        scaled: FloatArray = coords * factors
        return scaled

    return shapely.transform(geometry, scale)


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry (``make_valid`` may add stray lines or points)."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [
        g for g in getattr(geometry, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def dumps(geometry: BaseGeometry) -> str:
    """Compact GeoJSON text of a geometry, rounded to ~1 cm."""
    rounded = shapely.set_precision(geometry, 10.0**-COORDINATE_DECIMALS, mode="pointwise")
    return json.dumps(mapping(rounded), separators=(",", ":"))


def loads(text: str) -> BaseGeometry:
    return shape(json.loads(text))
