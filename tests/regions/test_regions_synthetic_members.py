"""Synthetic demo grids, the point → grid lookup through the cache, and grid members."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import BadInput, Conflict, NotFound
from citybrain.regions import geo, grid_cache, queries, service
from citybrain.regions.models import RegionBoundary
from citybrain.regions.scope import Level


def test_synthetic_grids_cover_the_demo_county(session: Session) -> None:
    report = service.create_synthetic_grids(session, county_code="620722")
    assert (report.towns, report.grids_created, report.grids_updated) == (11, 183, 0)
    grids = queries.descendants(session, "620722", Level.grid)
    assert len(grids) == 183
    villages = {v.code: v.name for v in queries.descendants(session, "620722", Level.village)}
    for grid in grids:
        assert grid.code[:12] in villages
        assert grid.code.endswith("001")
        assert grid.parent_code == grid.code[:12]
        assert grid.name.endswith("网格")
        assert grid.props == {"synthetic": True, "method": "weighted-kd-split"}
    county = geo.loads(queries.boundary(session, "620722").geojson)  # type: ignore[union-attr]
    shapes = [geo.loads(queries.boundary(session, g.code).geojson) for g in grids]  # type: ignore[union-attr]
    assert shapely.union_all(shapes).symmetric_difference(county).area < 1e-6 * county.area
    town = session.get(RegionBoundary, "620722101")
    assert town is not None
    assert town.props["synthetic"] is True
    again = service.create_synthetic_grids(session, county_code="620722")
    assert (again.grids_created, again.grids_updated) == (0, 0)
    actions = session.execute(select(AuditRecord.action)).scalars().all()
    assert actions.count("regions.grids.synthetic") == 1


def test_grid_at_finds_the_synthetic_grid(session: Session) -> None:
    service.create_synthetic_grids(session, county_code="620722")
    grid = geo.loads(queries.boundary(session, "620722101001001").geojson)  # type: ignore[union-attr]
    inside = grid.representative_point()
    found = queries.grid_at(session, inside.x, inside.y)
    assert found is not None
    assert found.code == "620722101001001"
    assert queries.grid_at(session, 116.4, 39.9) is None  # Beijing: no grids there
    gcj = geo.wgs84_to_gcj02(inside.x, inside.y)
    via_gcj = queries.grid_at_in_scope(session, *gcj, crs=geo.Crs.gcj02, scope="620722")
    assert via_gcj is not None
    assert via_gcj.code == "620722101001001"
    assert queries.grid_at_in_scope(session, *gcj, crs=geo.Crs.gcj02, scope="5109") is None


def test_cached_index_follows_changes(session: Session) -> None:
    grid_cache.invalidate()
    assert len(grid_cache.grid_index(session, "620722")) == 0
    service.create_synthetic_grids(session, county_code="620722")
    assert len(grid_cache.grid_index(session, "620722")) == 183
    first = grid_cache.grid_index(session, "620722")
    assert grid_cache.grid_index(session, "620722") is first  # unchanged: reused
    assert service.remove_synthetic_grids(session, county_code="620722") == 183
    assert len(grid_cache.grid_index(session, "620722")) == 0
    assert session.get(RegionBoundary, "620722101") is None


def test_synthetic_grids_need_a_bounded_county_with_villages(session: Session) -> None:
    with pytest.raises(BadInput) as town:
        service.create_synthetic_grids(session, county_code="620722101")
    assert town.value.code == "not_a_county"
    with pytest.raises(BadInput) as no_boundary:
        service.create_synthetic_grids(session, county_code="110101")
    assert no_boundary.value.code == "no_boundary"
    with pytest.raises(BadInput) as no_villages:
        service.create_synthetic_grids(session, county_code="620723")
    assert no_villages.value.code == "no_villages"


def test_grid_members(session: Session) -> None:
    service.create_synthetic_grids(session, county_code="620722")
    grid = "620722101001001"
    first = service.add_grid_member(
        session, grid_code=grid, name=" 张三 ", user_id=7, phone="13800000000"
    )
    second = service.add_grid_member(session, grid_code=grid, name="李四")
    assert [m.name for m in queries.grid_members(session, grid)] == ["张三", "李四"]
    with pytest.raises(Conflict) as twice:
        service.add_grid_member(session, grid_code=grid, name="张三", user_id=7)
    assert twice.value.code == "grid_member_exists"
    with pytest.raises(BadInput) as phone:
        service.add_grid_member(session, grid_code=grid, name="王五", phone="call me")
    assert phone.value.code == "bad_member"
    with pytest.raises(BadInput) as not_grid:
        service.add_grid_member(session, grid_code="620722101001", name="王五")
    assert not_grid.value.code == "not_a_grid"
    with pytest.raises(NotFound):
        service.add_grid_member(session, grid_code="620722101001999", name="王五")
    with pytest.raises(NotFound) as elsewhere:
        service.remove_grid_member(session, grid_code="620722101002001", member_id=first.id)
    assert elsewhere.value.code == "grid_member_not_found"
    service.remove_grid_member(session, grid_code=grid, member_id=first.id)
    assert [m.id for m in queries.grid_members(session, grid)] == [second.id]
    actions = session.execute(select(AuditRecord.action)).scalars().all()
    assert actions.count("regions.grid_member.add") == 2
    assert actions.count("regions.grid_member.remove") == 1


def test_rolled_back_grid_change_leaves_the_cache_current(session: Session) -> None:
    service.create_synthetic_grids(session, county_code="620722")
    grid = geo.loads(queries.boundary(session, "620722101001001").geojson)  # type: ignore[union-attr]
    inside = grid.representative_point()
    savepoint = session.begin_nested()
    service.remove_synthetic_grids(session, county_code="620722")
    assert queries.grid_at(session, inside.x, inside.y) is None  # cached without the grids
    savepoint.rollback()
    found = queries.grid_at(session, inside.x, inside.y)  # the version rolled back too
    assert found is not None
    assert found.code == "620722101001001"
