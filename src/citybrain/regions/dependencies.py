"""Route dependencies: load a region the caller may see, or answer 422/403/404.

The order is fixed: malformed code → 422 ``bad_region_code``; outside the caller's region
subtree → 403 ``out_of_scope`` (before the lookup, so a refused caller cannot probe which codes
exist); unknown → 404 ``region_not_found``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path
from sqlalchemy.orm import Session

from citybrain.core.security import CurrentPrincipal, Principal
from citybrain.core.web import DbSession
from citybrain.regions import queries
from citybrain.regions.models import Region
from citybrain.regions.scope import ensure_within, try_normalise

CodePath = Annotated[str, Path(description="区划代码 (规范形式或 12 位统计代码)", max_length=20)]


def scope_of(principal: Principal) -> str:
    """The caller's scope root in canonical form ("" — nothing — when unusable)."""
    return try_normalise(principal.region_code) or ""


def check_in_scope(code: str, principal: Principal) -> str:
    """Canonical ``code`` if it lies in the caller's subtree; ``BadInput`` or
    ``PermissionDenied`` (``out_of_scope``) otherwise. Pure: no database."""
    return ensure_within(code, scope_of(principal))


def load_in_scope(session: Session, code: str, principal: Principal) -> Region:
    """The region ``code`` if the caller may see it (see the module docstring)."""
    return queries.get(session, check_in_scope(code, principal))


def region_in_scope(code: CodePath, session: DbSession, principal: CurrentPrincipal) -> Region:
    return load_in_scope(session, code, principal)


def grid_in_scope(code: CodePath, session: DbSession, principal: CurrentPrincipal) -> Region:
    return queries.get_grid(session, check_in_scope(code, principal))


RegionInScope = Annotated[Region, Depends(region_in_scope)]
GridInScope = Annotated[Region, Depends(grid_in_scope)]
