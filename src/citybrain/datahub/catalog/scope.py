"""Region data scope of the catalog, as pure rules on region codes.

A caller whose region is 620722 *manages* resources of 620722 and everything below it (its
townships 620722100…); it *sees* those plus the resources of its ancestors (张掖市 6207,
甘肃省 62), because a city or province resource is shared down the tree.

``None`` as the scope means the system itself (demo seeding, the CLI): no restriction. An empty
scope (a principal without a region) contains nothing, as in :mod:`citybrain.regions.scope`.
Codes are compared in their canonical form (``620700`` and ``620700000000`` are both ``6207``);
a stored code that is not a valid region code is compared verbatim.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from citybrain.regions import scope as regions_scope


def region_prefix(code: str) -> str:
    """The canonical form of a region code: 620700 → 6207, 620722100000 → 620722100.
    All-zero or malformed codes come back stripped but otherwise as given."""
    text = code.strip()
    if not text or set(text) == {"0"}:
        return ""
    return regions_scope.try_normalise(text) or text


def ancestor_codes(code: str) -> list[str]:
    """Every proper ancestor of ``code`` in each spelling a stored code may use: canonical
    (6207), 6-digit (620700) and 12-digit statistical (620700000000)."""
    prefix = region_prefix(code)
    if regions_scope.try_normalise(prefix) is None:
        return []
    spellings: list[str] = []
    for ancestor in regions_scope.ancestors(prefix):
        spellings.append(ancestor)
        if len(ancestor) < 6:
            spellings.append(ancestor.ljust(6, "0"))
        if len(ancestor) < 12:
            spellings.append(ancestor.ljust(12, "0"))
    return spellings


def within(scope: str | None, region_code: str) -> bool:
    """Whether ``region_code`` is ``scope`` or below it (what a caller of ``scope`` manages)."""
    if scope is None:
        return True
    prefix = region_prefix(scope)
    return bool(prefix) and region_prefix(region_code).startswith(prefix)


def visible(scope: str | None, region_code: str) -> bool:
    """Whether a caller of ``scope`` may see a resource of ``region_code`` (its subtree and its
    ancestors)."""
    if scope is None:
        return True
    if not region_prefix(scope):
        return False
    return within(scope, region_code) or within(region_code, scope)


def managed_clause(scope: str | None, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """SQL form of :func:`within` on a region-code column holding canonical, 6- or 12-digit
    codes (a 6-/12-digit spelling starts with the canonical prefix too)."""
    if scope is None:
        return true()
    prefix = region_prefix(scope)
    return column.startswith(prefix, autoescape=True) if prefix else false()


def visible_clause(scope: str | None, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """SQL form of :func:`visible` on a region-code column."""
    if scope is None:
        return true()
    ancestors = ancestor_codes(scope)
    managed = managed_clause(scope, column)
    return or_(managed, column.in_(ancestors)) if ancestors else managed
