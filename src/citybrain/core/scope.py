"""The data scope of one caller: a region subtree and, inside it, one department or all.

Every service and query that reads or changes scoped data takes a :class:`Scope` as a required
keyword argument, so a router cannot forget it: there is no ``None`` that silently means
"everything". Routers get it from the principal (``CurrentScope`` or ``Scope.of(principal)``);
the CLI, the demo loader and background jobs spell out :meth:`Scope.system`.

Rules (``docs/iam.md``):

* a caller manages its region (canonical code) and everything below it; an empty region
  covers nothing;
* a caller bound to a department (``department_code``) covers that department only; a caller
  with no department covers every department of its region when it is big-data-bureau staff
  (``all_departments``) and none otherwise (a department role without a department);
* acting *in a department's name* (a share request, its token) needs membership of it
  (:meth:`Scope.acts_for`); bureau staff see every department but speak for none;
* permission codes ride along so that reads whose reach depends on them (sharing) need no
  second argument; ``actor`` names the caller (a requester never decides its own request).

Pure and cheap: comparisons are string prefix tests on canonical codes, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends
from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from citybrain.core.security import CurrentPrincipal

if TYPE_CHECKING:
    from citybrain.core.security import Principal


@dataclass(frozen=True, slots=True)
class Scope:
    region_code: str
    department_code: str | None = None
    all_departments: bool = False
    permissions: frozenset[str] = field(default_factory=frozenset)
    actor: str = ""
    unrestricted: bool = False

    @classmethod
    def of(cls, principal: Principal) -> Scope:
        """The scope of an authenticated caller (a user or a department system's API key)."""
        return cls(
            region_code=principal.region_code,
            department_code=principal.department_code,
            all_departments=principal.department_code is None and principal.cross_department,
            permissions=principal.permissions,
            actor=principal.name if principal.kind == "user" else f"apikey:{principal.name}",
        )

    @classmethod
    def system(cls) -> Scope:
        """The installation itself (CLI, demo loader, scheduled jobs): every region and
        department. Spelled out at each call so "everything" is never an accident."""
        return cls(region_code="", all_departments=True, unrestricted=True, actor="system")

    def has(self, code: str) -> bool:
        """Whether the caller holds permission ``code`` (the system holds every one)."""
        return self.unrestricted or code in self.permissions

    def covers_region(self, code: str) -> bool:
        """``code`` (canonical) is the caller's region or lies below it."""
        if self.unrestricted:
            return True
        return bool(self.region_code) and code.startswith(self.region_code)

    def covers_department(self, code: str | None) -> bool:
        """The caller may act for department ``code`` (None: data of no department)."""
        if self.unrestricted or self.all_departments:
            return True
        return code is not None and code == self.department_code

    def acts_for(self, department_code: str) -> bool:
        """The caller may act *in the name of* department ``department_code`` (file a share
        request, take its token): only a member of that department — seeing every department
        (bureau staff) is not speaking for one. The system acts for anyone."""
        return self.unrestricted or department_code == self.department_code

    def covers(self, *, region_code: str, department_code: str | None) -> bool:
        return self.covers_region(region_code) and self.covers_department(department_code)

    def department_clause(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """SQL form of :meth:`covers_department` on a department-code column."""
        if self.unrestricted or self.all_departments:
            return true()
        if self.department_code is None:
            return false()
        return column == self.department_code


def current_scope(principal: CurrentPrincipal) -> Scope:
    return Scope.of(principal)


CurrentScope = Annotated[Scope, Depends(current_scope)]
"""The caller's scope as a dependency (authenticates, like ``CurrentPrincipal``)."""
