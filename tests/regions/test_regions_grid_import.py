"""Importing grid GeoJSON: each kind of bad input is refused with its reason, nothing is
half-written, a good file is accepted."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import BadInput, NotFound
from citybrain.regions import geo, queries, service
from citybrain.regions.models import Region, RegionBoundary

VILLAGE = "620722101001"  # 县府街居民委员会, 洪水镇, 民乐县
TOWN = "620722101"


def _inside_square(size: float = 0.01, dx: float = 0.0) -> shapely.Polygon:
    """A small square near the middle of 民乐县 (WGS-84)."""
    return shapely.box(100.80 + dx, 38.40, 100.80 + dx + size, 38.40 + size)


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    geo_json = geometry if isinstance(geometry, dict) else mapping(geometry)
    return {"type": "Feature", "properties": properties, "geometry": geo_json}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _table_state(session: Session) -> tuple[int, int, int]:
    def count(model: type[Any]) -> int:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())

    return count(Region), count(RegionBoundary), count(AuditRecord)


def _refused(
    session: Session, document: dict[str, Any], code: str = VILLAGE, **kw: Any
) -> list[dict[str, Any]]:
    before = _table_state(session)
    with pytest.raises(BadInput) as refused:
        service.import_grids(session, village_or_town_code=code, geojson=document, **kw)
    assert refused.value.code == "invalid_grid_geojson"
    assert _table_state(session) == before
    detail: list[dict[str, Any]] = refused.value.detail
    return detail


def test_valid_grid_is_accepted(session: Session) -> None:
    result = service.import_grids(
        session,
        village_or_town_code=VILLAGE,
        geojson=collection(feature(_inside_square(), name="一号网格")),
    )
    (grid,) = result.created
    assert (grid.code, grid.name, grid.level, grid.parent_code) == (
        f"{VILLAGE}001",
        "一号网格",
        "grid",
        VILLAGE,
    )
    assert queries.grid_at(session, 100.805, 38.405) is not None
    assert queries.grid_at(session, 100.805, 38.405).code == grid.code  # type: ignore[union-attr]
    audit = session.execute(
        select(AuditRecord).where(AuditRecord.action == "regions.grids.import")
    ).scalar_one()
    assert audit.object_id == VILLAGE
    assert grid.code in audit.detail
    # a second import without codes takes the next serial; default name from the village
    second = service.import_grids(
        session, village_or_town_code=VILLAGE, geojson=collection(feature(_inside_square(dx=0.02)))
    )
    assert second.created[0].code == f"{VILLAGE}002"
    assert second.created[0].name == "县府街社区第2网格"


def test_self_intersecting_bow_tie_is_refused(session: Session) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[100.80, 38.40], [100.81, 38.41], [100.81, 38.40], [100.80, 38.41], [100.80, 38.40]]
        ],
    }
    (problem,) = _refused(session, collection(feature(bow_tie)))
    assert problem["index"] == 0
    assert problem["code"] == "invalid_geometry"
    assert "Self-intersection" in problem["reason"]


def test_unclosed_ring_is_refused(session: Session) -> None:
    open_ring = {
        "type": "Polygon",
        "coordinates": [[[100.80, 38.40], [100.81, 38.40], [100.81, 38.41], [100.80, 38.41]]],
    }
    (problem,) = _refused(session, collection(feature(open_ring)))
    assert problem["code"] == "ring_not_closed"
    assert "闭合" in problem["reason"]


def test_grid_outside_the_county_is_refused(session: Session) -> None:
    far = shapely.box(101.5, 38.40, 101.51, 38.41)  # in 山丹县, east of 民乐县
    (problem,) = _refused(session, collection(feature(far)))
    assert problem["code"] == "grid_outside_parent"
    assert "民乐县" in problem["reason"]


def test_tolerance_allows_a_small_overhang(session: Session) -> None:
    county = geo.loads(queries.boundary(session, "620722").geojson)  # type: ignore[union-attr]
    minx, miny, _, maxy = county.bounds
    # the western tip of the county, grown by 0.0002° (about 17 m) beyond its line
    strip = shapely.box(minx - 0.01, miny, minx + 0.03, maxy)
    piece = county.buffer(0.0002).intersection(strip)
    piece = max(getattr(piece, "geoms", [piece]), key=lambda g: g.area)
    (problem,) = _refused(session, collection(feature(piece)), tolerance_m=5)
    assert problem["code"] == "grid_outside_parent"
    accepted = service.import_grids(
        session, village_or_town_code=VILLAGE, geojson=collection(feature(piece)), tolerance_m=50
    )
    assert len(accepted.created) == 1


def test_one_bad_feature_refuses_the_whole_collection(session: Session) -> None:
    good = feature(_inside_square())
    not_polygon = feature({"type": "Point", "coordinates": [100.8, 38.4]})
    no_geometry = {"type": "Feature", "properties": {}}
    bad_code = feature(_inside_square(dx=0.03), code="62072210100100")
    problems = _refused(session, collection(good, not_polygon, no_geometry, bad_code))
    assert [(p["index"], p["code"]) for p in problems] == [
        (1, "not_polygon"),
        (2, "missing_geometry"),
        (3, "bad_region_code"),
    ]
    assert session.get(Region, f"{VILLAGE}001") is None


def test_document_level_problems(session: Session) -> None:
    assert _refused(session, {"type": "Topology"})[0]["code"] == "not_feature_collection"
    assert _refused(session, collection())[0]["code"] == "no_features"
    assert _refused(session, collection({"type": "Nonsense"}))[0]["code"] == "not_feature"
    weird = {
        "type": "Polygon",
        "coordinates": [[[100.8, 38.4], ["a", 1], [100.8, 38.41], [100.8, 38.4]]],
    }
    assert _refused(session, collection(feature(weird)))[0]["code"] == "bad_coordinates"


def test_overlapping_grids_are_refused(session: Session) -> None:
    service.import_grids(
        session, village_or_town_code=VILLAGE, geojson=collection(feature(_inside_square()))
    )
    (problem,) = _refused(session, collection(feature(_inside_square(dx=0.005))))
    assert problem["code"] == "grid_overlap"
    twins = collection(feature(_inside_square(dx=0.05)), feature(_inside_square(dx=0.055)))
    (problem,) = _refused(session, twins)
    assert (problem["index"], problem["code"]) == (1, "grid_overlap")
    # touching neighbours are fine
    service.import_grids(
        session, village_or_town_code=VILLAGE, geojson=collection(feature(_inside_square(dx=0.01)))
    )


def test_town_import_needs_village_codes(session: Session) -> None:
    (problem,) = _refused(session, collection(feature(_inside_square())), code=TOWN)
    assert problem["code"] == "village_required"
    (problem,) = _refused(
        session, collection(feature(_inside_square(), village_code="620722102201")), code=TOWN
    )
    assert problem["code"] == "village_outside_target"
    (problem,) = _refused(
        session, collection(feature(_inside_square(), village_code="620722101999")), code=TOWN
    )
    assert problem["code"] == "village_not_found"
    result = service.import_grids(
        session,
        village_or_town_code=TOWN,
        geojson=collection(feature(_inside_square(), village_code="620722101002", name="甲")),
    )
    assert result.created[0].code == "620722101002001"


def test_feature_with_existing_code_replaces_that_grid(session: Session) -> None:
    service.import_grids(
        session,
        village_or_town_code=VILLAGE,
        geojson=collection(feature(_inside_square(), code=f"{VILLAGE}007")),
    )
    moved = service.import_grids(
        session,
        village_or_town_code=VILLAGE,
        geojson=collection(
            feature(_inside_square(dx=0.002), code=f"{VILLAGE}007", name="改名", 备注="x")
        ),
    )
    assert [r.code for r in moved.updated] == [f"{VILLAGE}007"]
    assert moved.created == []
    assert moved.updated[0].name == "改名"
    assert moved.updated[0].props == {"备注": "x"}
    assert queries.grid_at(session, 100.8005, 38.405) is None  # the old western strip is gone
    audits = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    again = service.import_grids(
        session,
        village_or_town_code=VILLAGE,
        geojson=collection(feature(_inside_square(dx=0.002), code=f"{VILLAGE}007", 备注="x")),
    )
    assert (again.created, again.updated) == ([], [])  # same geometry, name kept: no change
    assert session.execute(select(func.count()).select_from(AuditRecord)).scalar_one() == audits
    assert queries.get(session, f"{VILLAGE}007").name == "改名"


def test_gcj02_input_is_converted(session: Session) -> None:
    square = _inside_square()
    result = service.import_grids(
        session,
        village_or_town_code=VILLAGE,
        geojson=collection(feature(geo.from_wgs84(square, geo.Crs.gcj02))),
        crs=geo.Crs.gcj02,
    )
    stored = geo.loads(queries.boundary(session, result.created[0].code).geojson)  # type: ignore[union-attr]
    assert shapely.hausdorff_distance(stored, square) < 1e-6


def test_bad_targets(session: Session) -> None:
    document = collection(feature(_inside_square()))
    with pytest.raises(NotFound) as missing:
        service.import_grids(session, village_or_town_code="620722101999", geojson=document)
    assert missing.value.code == "region_not_found"
    with pytest.raises(BadInput) as county:
        service.import_grids(session, village_or_town_code="620722", geojson=document)
    assert county.value.code == "grid_parent_level"
    with pytest.raises(BadInput) as malformed:
        service.import_grids(session, village_or_town_code="62072", geojson=document)
    assert malformed.value.code == "bad_region_code"
