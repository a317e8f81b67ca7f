"""Region data scope of the catalog, as pure rules on region codes.

A caller whose region is 620722 *manages* resources of 620722 and everything below it (its
townships 620722100…); it *sees* those plus the resources of its ancestors (张掖市 6207,
甘肃省 62), because a city or province resource is shared down the tree.

The rules on two region codes (``within``, ``visible`` and their SQL forms) are applied to a
caller through ``covers`` / ``sees`` and ``covers_clause`` / ``sees_clause``, which take the
caller's :class:`~citybrain.core.scope.Scope` (``Scope.system()`` for the demo and the CLI:
no restriction). An empty region (a principal without one) contains nothing, as in
:mod:`citybrain.regions.scope`.
Codes are compared in their canonical form (``620700`` and ``620700000000`` are both ``6207``);
a stored code that is not a valid region code is compared verbatim.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from citybrain.core.scope import Scope
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


def within(scope: str, region_code: str) -> bool:
    """Whether ``region_code`` is ``scope`` or below it (what a caller of ``scope`` manages)."""
    prefix = region_prefix(scope)
    return bool(prefix) and region_prefix(region_code).startswith(prefix)


def visible(scope: str, region_code: str) -> bool:
    """Whether a caller of ``scope`` may see a resource of ``region_code`` (its subtree and its
    ancestors)."""
    if not region_prefix(scope):
        return False
    return within(scope, region_code) or within(region_code, scope)


def managed_clause(scope: str, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """SQL form of :func:`within` on a region-code column holding canonical, 6- or 12-digit
    codes (a 6-/12-digit spelling starts with the canonical prefix too)."""
    prefix = region_prefix(scope)
    return column.startswith(prefix, autoescape=True) if prefix else false()


def visible_clause(scope: str, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """SQL form of :func:`visible` on a region-code column."""
    ancestors = ancestor_codes(scope)
    managed = managed_clause(scope, column)
    return or_(managed, column.in_(ancestors)) if ancestors else managed


def covers(scope: Scope, region_code: str) -> bool:
    """The caller manages data of ``region_code`` (its own subtree)."""
    return scope.unrestricted or within(scope.region_code, region_code)


def sees(scope: Scope, region_code: str) -> bool:
    """The caller may see a catalog entry of ``region_code`` (its subtree and ancestors)."""
    return scope.unrestricted or visible(scope.region_code, region_code)


def covers_clause(scope: Scope, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    return true() if scope.unrestricted else managed_clause(scope.region_code, column)


def sees_clause(scope: Scope, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    return true() if scope.unrestricted else visible_clause(scope.region_code, column)


SeesShape = tuple[bool, bool, bool]
"""How :func:`sees_clause` looks for a scope: (unrestricted, has a prefix, has ancestors)."""


def sees_shape(scope: Scope) -> SeesShape:
    """The shape of :func:`sees_clause` for ``scope``: scopes of one shape share a prepared
    statement (:func:`sees_clause_prepared`) and differ only in :func:`sees_params`."""
    if scope.unrestricted:
        return (True, False, False)
    return (False, bool(region_prefix(scope.region_code)), bool(ancestor_codes(scope.region_code)))


def sees_clause_prepared(
    shape: SeesShape, column: InstrumentedAttribute[str]
) -> ColumnElement[bool]:
    """:func:`sees_clause` with bound parameters in place of the scope's codes."""
    unrestricted, prefix, ancestors = shape
    if unrestricted:
        return true()
    # startswith(prefix, autoescape=True), spelled out: autoescape takes no bound parameter
    managed = column.like(bindparam("sees_like"), escape="/") if prefix else false()
    if not ancestors:
        return managed
    return or_(managed, column.in_(bindparam("sees_ancestors", expanding=True)))


def sees_params(scope: Scope) -> dict[str, Any]:
    """The values of :func:`sees_clause_prepared`'s parameters for ``scope``."""
    if scope.unrestricted:
        return {}
    prefix = region_prefix(scope.region_code)
    escaped = prefix.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return {"sees_like": escaped + "%", "sees_ancestors": ancestor_codes(scope.region_code)}


def owned_by(
    scope: Scope,
    region: InstrumentedAttribute[str],
    department: InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    """SQL: a row of the caller's subtree and of a department the caller covers."""
    return and_(covers_clause(scope, region), scope.department_clause(department))
