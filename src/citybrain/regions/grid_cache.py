"""A per-county cache of ``GridIndex``, checked against the database on every use.

Building an index costs milliseconds per hundred grids; checking costs one primary-key read of
``region_grid_version`` for the counties a lookup needs. Every write of grids bumps its
county's version in the same transaction (``writes.bump_grid_versions``), so an import in
another process is noticed as soon as it commits, and a rolled-back one never is.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from citybrain.regions import geo
from citybrain.regions.grids import GridIndex
from citybrain.regions.models import Region, RegionBoundary, RegionGridVersion
from citybrain.regions.scope import Level, descendant_upper_bound

_MAX_ENTRIES = 256
_lock = threading.Lock()
_cache: dict[tuple[str, str], tuple[int, GridIndex]] = {}

# Built once: constructing SQL expressions costs more than running these small queries.
_VERSIONS = select(RegionGridVersion.county_code, RegionGridVersion.version).where(
    RegionGridVersion.county_code.in_(bindparam("counties", expanding=True))
)
_GRIDS = (
    select(Region.code, RegionBoundary.geojson)
    .join(RegionBoundary, RegionBoundary.code == Region.code)
    .where(
        Region.level == Level.grid.value,
        Region.code > bindparam("low"),
        Region.code < bindparam("high"),
    )
)


def _range(county_codes: Sequence[str]) -> dict[str, str]:
    high = max(county_codes)
    return {"low": min(county_codes), "high": descendant_upper_bound(high) or high + "~"}


def _versions(session: Session, county_codes: Sequence[str]) -> dict[str, int]:
    rows = session.execute(_VERSIONS, {"counties": list(county_codes)})
    found = {str(county): int(version) for county, version in rows}
    return {code: found.get(code, 0) for code in county_codes}


def _database_key(session: Session) -> str:
    return repr(session.get_bind().engine.url)


def _build(session: Session, county_code: str) -> GridIndex:
    rows = session.execute(_GRIDS, _range([county_code]))
    return GridIndex((code, geo.loads(text)) for code, text in rows)


def grid_indexes(session: Session, county_codes: Sequence[str]) -> list[GridIndex]:
    """The point → grid index of each county (in order), as the session currently sees it."""
    if not county_codes:
        return []
    database = _database_key(session)
    versions = _versions(session, county_codes)
    indexes: list[GridIndex] = []
    for county in county_codes:
        key = (database, county)
        with _lock:
            cached = _cache.get(key)
        if cached is not None and cached[0] == versions[county]:
            indexes.append(cached[1])
            continue
        index = _build(session, county)
        with _lock:
            _cache[key] = (versions[county], index)
            while len(_cache) > _MAX_ENTRIES:  # dicts keep insertion order: drop the oldest
                del _cache[next(iter(_cache))]
        indexes.append(index)
    return indexes


def grid_index(session: Session, county_code: str) -> GridIndex:
    """The point → grid index of one county's grids."""
    return grid_indexes(session, [county_code])[0]


def invalidate(county_code: str | None = None) -> None:
    """Drop cached indexes (of one county, or all); services call it after changing grids."""
    with _lock:
        for key in [k for k in _cache if county_code is None or k[1] == county_code]:
            del _cache[key]
