"""Loading the divisions: counts per level, the three covered areas, boundaries, idempotence."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import BadInput
from citybrain.regions import geo, queries
from citybrain.regions.models import Region, RegionBoundary
from citybrain.regions.scope import Level
from citybrain.regions.service import load_divisions


def _count(session: Session, level: Level) -> int:
    query = select(func.count()).select_from(Region).where(Region.level == level.value)
    return int(session.execute(query).scalar_one())


def test_whole_country_to_county_level(session: Session) -> None:
    assert _count(session, Level.province) == 31
    assert _count(session, Level.city) == 342
    assert _count(session, Level.county) == 2978


def test_placeholder_cities_and_pseudo_counties_are_nodes(session: Session) -> None:
    assert queries.get(session, "1101").name == "市辖区"
    assert queries.get(session, "4690").name == "省直辖县级行政区划"
    dongguan = queries.get(session, "441900")
    assert (dongguan.name, dongguan.level, dongguan.parent_code) == ("东莞市", "county", "4419")


def test_minle_towns_and_villages(session: Session) -> None:
    assert queries.count_descendants(session, "620722", Level.town) == 11
    assert queries.count_descendants(session, "620722", Level.village) == 183
    assert queries.count_descendants(session, "620722") == 194
    assert queries.count_descendants(session, "5109", Level.town) == 95
    assert queries.count_descendants(session, "5109", Level.village) == 1445
    assert queries.count_descendants(session, "431382", Level.village) == 504
    # only the covered areas have townships
    assert queries.count_descendants(session, "620723", Level.town) == 0
    towns = queries.children(session, "620722")
    assert len(towns) == 11
    assert [(t.code, t.name) for t in towns[:3]] == [
        ("620722101", "洪水镇"),
        ("620722102", "六坝镇"),
        ("620722103", "新天镇"),
    ]
    assert all(t.level == "town" and t.parent_code == "620722" for t in towns)


def test_path_from_the_province(session: Session) -> None:
    village = queries.children(session, "620722101")[0]
    chain = queries.path(session, village.code)
    assert [r.code for r in chain] == ["62", "6207", "620722", "620722101", village.code]
    assert chain[0].name == "甘肃省"
    assert next(r.code for r in queries.path(session, village.code, below="620722")) == "620722"


def test_county_boundaries_are_stored_in_wgs84(session: Session) -> None:
    row = session.get(RegionBoundary, "620722")
    assert row is not None
    assert row.source == "datav_v3_county_620722.geojson"
    stored = geo.loads(row.geojson)
    assert stored.is_valid
    # DataV's published centroid of 民乐县 is GCJ-02; converted it must lie inside the WGS-84
    # polygon, and the stored polygon must sit south-west of the GCJ-02 original.
    centroid_wgs = geo.gcj02_to_wgs84(100.769097, 38.476352)
    assert stored.contains(shapely.Point(centroid_wgs))
    assert (row.min_lng, row.min_lat, row.max_lng, row.max_lat) == pytest.approx(stored.bounds)
    counties = (
        select(func.count()).select_from(RegionBoundary).where(RegionBoundary.code.like("5109%"))
    )
    assert session.execute(counties).scalar_one() == 5
    repaired = session.get(RegionBoundary, "510904")
    assert repaired is not None
    assert "repaired" in repaired.props


def test_second_load_changes_nothing(session: Session, data_dir: Path) -> None:
    audits_before = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    report = load_divisions(session, data_dir=data_dir)
    assert (report.inserted, report.updated) == (0, 0)
    assert (report.boundaries_inserted, report.boundaries_updated) == (0, 0)
    assert report.unchanged == 31 + 342 + 2978 + 126 + 2132
    assert not report.changed
    audits_after = session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert audits_after == audits_before


def test_load_repairs_a_changed_name_and_reports_progress(session: Session, data_dir: Path) -> None:
    queries.get(session, "620722").name = "改错的名字"
    session.flush()
    seen: list[tuple[str, int, int]] = []
    report = load_divisions(session, data_dir=data_dir, progress=lambda *a: seen.append(a))
    assert (report.inserted, report.updated) == (0, 1)
    assert queries.get(session, "620722").name == "民乐县"
    assert ("regions", 1, 1) in seen
    audit = (
        session.execute(select(AuditRecord).where(AuditRecord.action == "regions.load"))
        .scalars()
        .all()
    )
    assert audit
    assert '"updated": 1' in audit[-1].detail


def test_missing_data_dir_is_refused_without_writing(session: Session, tmp_path: Path) -> None:
    before = session.execute(select(func.count()).select_from(Region)).scalar_one()
    with pytest.raises(BadInput) as refused:
        load_divisions(session, data_dir=tmp_path)
    assert refused.value.code == "division_file_missing"
    assert session.execute(select(func.count()).select_from(Region)).scalar_one() == before


def test_bad_file_is_refused_with_its_line(
    tmp_path: Path, data_dir: Path, session: Session
) -> None:
    folder = tmp_path / "admin_divisions"
    folder.mkdir()
    for name in ("modood2023_provinces.csv", "modood2023_cities.csv", "modood2023_areas.csv"):
        (folder / name).write_text(
            (data_dir / "admin_divisions" / name).read_text("utf-8"), "utf-8"
        )
    (folder / "villages2021_x.csv").write_text(
        "code,name,level,parent_code,county_code,city_code,province_code\n"
        "620722999,不存在的镇,town,620722,620722,6207,62\n"
        "62072299900,坏代码村,village,620722999,620722,6207,62\n",
        "utf-8",
    )
    with pytest.raises(BadInput) as refused:
        load_divisions(session, data_dir=tmp_path)
    assert refused.value.code == "bad_division_file"
    assert refused.value.detail["line"] == 3
    (folder / "villages2021_x.csv").write_text(
        "code,name,level,parent_code,county_code,city_code,province_code\n"
        "620799001,无主镇,town,620799,620799,6207,62\n",
        "utf-8",
    )
    with pytest.raises(BadInput) as orphan:
        load_divisions(session, data_dir=tmp_path)
    assert orphan.value.code == "parent_not_found"
    assert session.get(Region, "620722999") is None


def test_within_scope_filters_any_code_column(session: Session) -> None:
    def codes(scope: str) -> list[str]:
        query = select(Region.code).where(queries.within_scope(Region.code, scope))
        return list(session.execute(query).scalars())

    minle = codes("620722")
    assert len(minle) == 195
    assert "620722" in minle
    assert all(code.startswith("620722") for code in minle)
    assert len(codes("5109")) == 1 + 5 + 95 + 1445
    assert codes("") == []
