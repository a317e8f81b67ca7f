"""Commands that change regions: loading the divisions, synthetic demo grids, grid members.

Each command validates everything before it writes anything, writes its audit record in the
caller's transaction, flushes and never commits: a refused command leaves the tables as they
were, and the caller's unit of work decides the rest. Grid import lives in ``grid_import``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.errors import BadInput, Conflict, NotFound
from citybrain.regions import geo, grid_cache, loader, pii, queries
from citybrain.regions.grid_import import ImportedGrids, import_grids
from citybrain.regions.grids import SPLIT_METHOD, synthetic_cells
from citybrain.regions.models import GridMember, RegionBoundary
from citybrain.regions.schemas import GridMemberRead
from citybrain.regions.scope import Level, normalise_code
from citybrain.regions.writes import (
    BoundaryValues,
    Progress,
    RegionValues,
    delete_regions,
    dumps_properties,
    upsert_boundaries,
    upsert_regions,
)

__all__ = [
    "ImportedGrids",
    "LoadReport",
    "SyntheticGridReport",
    "add_grid_member",
    "create_synthetic_grids",
    "import_grids",
    "load_divisions",
    "remove_grid_member",
    "remove_synthetic_grids",
]

_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{2,30}$")


@dataclass(frozen=True, slots=True)
class LoadReport:
    inserted: int
    updated: int
    unchanged: int
    boundaries_inserted: int
    boundaries_updated: int
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(
            self.inserted or self.updated or self.boundaries_inserted or self.boundaries_updated
        )


@dataclass(frozen=True, slots=True)
class SyntheticGridReport:
    county_code: str
    towns: int
    grids_created: int
    grids_updated: int


def load_divisions(
    session: Session, *, data_dir: Path, progress: Progress | None = None
) -> LoadReport:
    """Load (or bring up to date) the divisions and county boundaries from ``data_dir``.

    Idempotent: rows equal to the files are not touched, so a second run inserts and updates
    nothing and writes no audit record. Regions missing from the files are never deleted
    (grids and other modules' records point at them). Side effects: upserts ``region`` and
    ``region_boundary``, one ``regions.load`` audit record when anything changed.
    ``progress(stage, done, total)`` is called per chunk. Raises ``BadInput`` for missing or
    malformed files (nothing is written then).
    """
    rows = loader.read_divisions(data_dir)
    if progress:
        progress("read", len(rows), len(rows))
    boundaries = loader.read_county_boundaries(data_dir)
    known = {row.code for row in rows}
    strangers = [b.code for b in boundaries if b.code not in known]
    if strangers:
        raise BadInput(
            "边界文件中的区划代码不在区划数据中", code="parent_not_found", detail=strangers
        )
    regions = upsert_regions(
        session,
        [RegionValues(r.code, r.name, r.level.value, r.parent_code, r.source) for r in rows],
        progress=progress,
    )
    bounds = upsert_boundaries(
        session,
        [BoundaryValues.of(b.code, b.geometry, b.source, b.properties) for b in boundaries],
        progress=progress,
    )
    report = LoadReport(
        inserted=len(regions.inserted),
        updated=len(regions.updated),
        unchanged=regions.unchanged,
        boundaries_inserted=len(bounds.inserted),
        boundaries_updated=len(bounds.updated),
        by_level=dict(Counter(r.level.value for r in rows)),
    )
    if report.changed:
        audit.record(
            session,
            action="regions.load",
            object_type="region",
            object_id=str(data_dir),
            detail={
                "inserted": report.inserted,
                "updated": report.updated,
                "boundaries_inserted": report.boundaries_inserted,
                "boundaries_updated": report.boundaries_updated,
                "updated_codes": regions.updated[:100],
            },
        )
    session.flush()
    return report


def create_synthetic_grids(session: Session, *, county_code: str) -> SyntheticGridReport:
    """Synthetic township boundaries and one grid per village for a county without real ones.

    The county boundary is split among its townships by village count and each township share
    among its villages (``grids.synthetic_cells``); grids get code village + ``001``, name
    "<村>网格" and properties ``{"synthetic": true, "method": ...}``. Real (non-synthetic)
    township boundaries are never overwritten. Idempotent. Raises ``NotFound``
    (``region_not_found``), ``BadInput`` (``not_a_county``, ``no_boundary``, ``no_villages``).
    """
    county = queries.get(session, county_code)
    if county.level != Level.county.value:
        raise BadInput(f"{county.code} 不是县级区划", code="not_a_county", detail=county.code)
    outline = queries.boundary(session, county.code)
    if outline is None:
        raise BadInput(f"{county.name} 没有边界数据", code="no_boundary", detail=county.code)
    towns = queries.descendants(session, county.code, Level.town)
    villages = queries.descendants(session, county.code, Level.village)
    by_town: dict[str, list[tuple[str, str]]] = {}
    for village in villages:
        by_town.setdefault(str(village.parent_code), []).append((village.code, village.name))
    plan = [(t.code, t.name, by_town.get(t.code, [])) for t in towns]
    if not any(v for _, _, v in plan):
        raise BadInput(f"{county.name} 没有村级数据", code="no_villages", detail=county.code)
    town_cells, grid_cells = synthetic_cells(geo.loads(outline.geojson), plan)
    marker = {"synthetic": True, "method": SPLIT_METHOD}
    source = f"synthetic:{county.code}"
    real = {
        row.code
        for row in session.execute(
            select(RegionBoundary).where(RegionBoundary.code.in_([c.code for c in town_cells]))
        ).scalars()
        if not row.props.get("synthetic")
    }
    upsert_boundaries(
        session,
        [
            BoundaryValues.of(c.code, c.geometry, source, marker)
            for c in town_cells
            if c.code not in real
        ],
    )
    grids = upsert_regions(
        session,
        [
            RegionValues(
                c.code, c.name, Level.grid.value, c.code[:12], source, dumps_properties(marker)
            )
            for c in grid_cells
        ],
    )
    upsert_boundaries(
        session, [BoundaryValues.of(c.code, c.geometry, source, marker) for c in grid_cells]
    )
    report = SyntheticGridReport(
        county.code, len(town_cells), len(grids.inserted), len(grids.updated)
    )
    if grids.inserted or grids.updated:
        audit.record(
            session,
            action="regions.grids.synthetic",
            object_type="region",
            object_id=county.code,
            region_code=county.code,
            detail={"created": grids.inserted, "updated": grids.updated, "method": SPLIT_METHOD},
        )
    grid_cache.invalidate(county.code)
    session.flush()
    return report


def remove_synthetic_grids(session: Session, *, county_code: str) -> int:
    """Delete a county's synthetic grids (with their members) and synthetic township
    boundaries, e.g. before importing real grids. Returns the number of grids removed."""
    county = queries.get(session, county_code)
    grids = [
        g.code
        for g in queries.descendants(session, county.code, Level.grid)
        if g.props.get("synthetic")
    ]
    towns = [t.code for t in queries.descendants(session, county.code, Level.town)]
    synthetic_towns = [
        row.code
        for row in session.execute(
            select(RegionBoundary).where(RegionBoundary.code.in_(towns))
        ).scalars()
        if row.props.get("synthetic")
    ]
    for row in session.execute(
        select(RegionBoundary).where(RegionBoundary.code.in_(synthetic_towns))
    ).scalars():
        session.delete(row)
    delete_regions(session, grids)
    if grids or synthetic_towns:
        audit.record(
            session,
            action="regions.grids.synthetic_remove",
            object_type="region",
            object_id=county.code,
            region_code=county.code,
            detail={"grids": grids, "town_boundaries": synthetic_towns},
        )
    grid_cache.invalidate(county.code)
    session.flush()
    return len(grids)


def add_grid_member(
    session: Session,
    *,
    grid_code: str,
    name: str,
    user_id: int | None = None,
    phone: str | None = None,
) -> GridMember:
    """Assign a grid member (网格员). ``user_id`` names an iam user (not checked here: iam sits
    above regions); one user at most once per grid. Raises ``BadInput`` (``bad_region_code``,
    ``not_a_grid``, ``bad_member``), ``NotFound`` (``region_not_found``), ``Conflict``
    (``grid_member_exists``). The phone is stored encrypted with a blind index
    (``regions.pii``). Writes a ``regions.grid_member.add`` audit record."""
    grid = queries.get_grid(session, grid_code)
    clean_name = name.strip()
    if not clean_name or len(clean_name) > 64:
        raise BadInput("网格员姓名应为 1–64 个字符", code="bad_member", detail="name")
    if phone is not None and not _PHONE.match(phone.strip()):
        raise BadInput("联系电话格式不正确", code="bad_member", detail="phone")
    if user_id is not None:
        duplicate = session.execute(
            select(GridMember.id).where(
                GridMember.grid_code == grid.code, GridMember.user_id == user_id
            )
        ).first()
        if duplicate is not None:
            raise Conflict(
                "该用户已是本网格的网格员", code="grid_member_exists", detail={"user_id": user_id}
            )
    phone_enc, phone_bidx = pii.seal_phone(phone) if phone and phone.strip() else (None, None)
    member = GridMember(
        grid_code=grid.code,
        user_id=user_id,
        name=clean_name,
        phone_enc=phone_enc,
        phone_bidx=phone_bidx,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        action="regions.grid_member.add",
        object_type="grid_member",
        object_id=str(member.id),
        region_code=grid.code,
        detail={"grid_code": grid.code, "user_id": user_id, "name": clean_name},
    )
    return member


def read_grid_members(session: Session, *, grid_code: str, unmask: bool) -> list[GridMemberRead]:
    """The members of a grid with their phones masked, or in clear when ``unmask`` (the
    caller holds ``pii:unmask``); an unmasked read that shows any phone is audited as
    ``regions.grid_member.unmask`` (which grid, how many numbers)."""
    members = queries.grid_members(session, grid_code)
    reads = [member_read(m, unmask=unmask) for m in members]
    shown = sum(1 for m in members if m.phone_enc)
    if unmask and shown:
        audit.record(
            session,
            action="regions.grid_member.unmask",
            object_type="region",
            object_id=grid_code,
            region_code=grid_code,
            detail={"phones": shown},
        )
    return reads


def member_read(member: GridMember, *, unmask: bool) -> GridMemberRead:
    """A member as the API shows it: the phone decrypted, then masked unless ``unmask``."""
    phone = None if member.phone_enc is None else pii.open_phone(member.phone_enc)
    return GridMemberRead(
        id=member.id,
        grid_code=member.grid_code,
        user_id=member.user_id,
        name=member.name,
        phone=phone if unmask or phone is None else pii.mask_phone(phone),
        phone_masked=not unmask,
        created_at=member.created_at,
    )


def remove_grid_member(session: Session, *, grid_code: str, member_id: int) -> None:
    """Remove a grid member. Raises ``NotFound`` (``grid_member_not_found``) when the member
    does not exist or belongs to another grid. Writes a ``regions.grid_member.remove`` record."""
    canonical = normalise_code(grid_code)
    member = session.get(GridMember, member_id)
    if member is None or member.grid_code != canonical:
        raise NotFound(
            "网格员不存在",
            code="grid_member_not_found",
            detail={"grid_code": canonical, "id": member_id},
        )
    session.delete(member)
    audit.record(
        session,
        action="regions.grid_member.remove",
        object_type="grid_member",
        object_id=str(member_id),
        region_code=canonical,
        detail={"grid_code": canonical, "user_id": member.user_id, "name": member.name},
    )
    session.flush()
