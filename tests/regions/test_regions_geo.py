"""GCJ-02 ↔ WGS-84 on known points and whole geometries."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from citybrain.regions import geo

# wandergis/coordtransform, test/app.js (also asserted by dromara/hutool's
# CoordinateUtilTest): WGS-84 (116.404, 39.915) → GCJ-02 (116.41024449916938, 39.91640428150164).
WGS = (116.404, 39.915)
GCJ = (116.41024449916938, 39.91640428150164)
# The same file gives gcj02towgs84(116.404, 39.915) = (116.39775550083061, 39.91359571849836)
# from the one-step approximation; our iterated inverse must agree to its accuracy (~1e-6).
APPROX_INVERSE = ((116.404, 39.915), (116.39775550083061, 39.91359571849836))


def test_forward_matches_published_vector() -> None:
    lng, lat = geo.wgs84_to_gcj02(*WGS)
    assert lng == pytest.approx(GCJ[0], abs=1e-12)
    assert lat == pytest.approx(GCJ[1], abs=1e-12)


def test_inverse_recovers_published_input() -> None:
    lng, lat = geo.gcj02_to_wgs84(*GCJ)
    assert lng == pytest.approx(WGS[0], abs=1e-8)
    assert lat == pytest.approx(WGS[1], abs=1e-8)
    (gcj, wgs_approx) = APPROX_INVERSE
    lng, lat = geo.gcj02_to_wgs84(*gcj)
    assert lng == pytest.approx(wgs_approx[0], abs=2e-6)
    assert lat == pytest.approx(wgs_approx[1], abs=2e-6)


def test_round_trip_error_below_a_micro_degree_across_china() -> None:
    rng = np.random.default_rng(20240601)
    lng = rng.uniform(73.7, 134.7, 20_000)
    lat = rng.uniform(18.2, 53.5, 20_000)
    gcj_lng, gcj_lat = geo.wgs84_to_gcj02_arrays(lng, lat)
    back_lng, back_lat = geo.gcj02_to_wgs84_arrays(gcj_lng, gcj_lat)
    assert np.max(np.abs(back_lng - lng)) < 1e-6
    assert np.max(np.abs(back_lat - lat)) < 1e-6
    # the offset is real: tens to hundreds of metres
    assert 1e-4 < float(np.median(np.hypot(gcj_lng - lng, gcj_lat - lat))) < 1e-2


@pytest.mark.parametrize("point", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2, -33.87)])
def test_points_outside_china_are_unchanged(point: tuple[float, float]) -> None:
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point


def test_whole_geometry_conversion() -> None:
    square = shapely.box(100.8, 38.4, 100.9, 38.5)
    gcj = geo.from_wgs84(square, geo.Crs.gcj02)
    assert not gcj.equals(square)
    back = geo.to_wgs84(gcj, geo.Crs.gcj02)
    assert shapely.hausdorff_distance(back, square) < 1e-7
    assert geo.to_wgs84(square, geo.Crs.wgs84) is square


def test_local_metres_scale() -> None:
    # a 0.01° × 0.01° box at 38.4°N is about 872 m × 1113 m
    box = geo.to_local_metres(shapely.box(100.8, 38.4, 100.81, 38.41), 38.4)
    minx, miny, maxx, maxy = box.bounds
    assert maxx - minx == pytest.approx(872, rel=0.01)
    assert maxy - miny == pytest.approx(1113, rel=0.01)
