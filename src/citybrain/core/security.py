"""The port between HTTP routes and identity: who is calling and what they may do.

``iam`` implements the resolver (sessions, API keys) and installs it at app start; lower
modules such as ``regions`` only depend on this port, so imports keep pointing down the flow.
Every non-public route must carry ``Depends(require(...))`` or ``Depends(authenticated)``; a
test walks all routes and fails otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from citybrain.core.errors import PermissionDenied, Unauthenticated
from citybrain.core.web import DbSession


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user through a session, or a department system by API key."""

    kind: str  # "user" or "apikey"
    id: int
    name: str
    region_code: str
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)
    # The department the caller belongs to (None: big-data-bureau staff, administrators,
    # department systems' API keys). ``cross_department``: with no department, the caller
    # sees every department of its region (bureau roles); a department role without a
    # department sees none (see ``core/scope.py``).
    department_code: str | None = None
    cross_department: bool = True

    def has(self, code: str) -> bool:
        return code in self.permissions


PrincipalResolver = Callable[[Request, Session], Principal]
_resolver: PrincipalResolver | None = None


def install_resolver(resolver: PrincipalResolver) -> None:
    global _resolver
    _resolver = resolver


def authenticated(request: Request, session: DbSession) -> Principal:
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if _resolver is None:
        raise Unauthenticated("身份认证未配置", code="auth_not_configured")
    principal = _resolver(request, session)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]


def require(code: str) -> Callable[..., Principal]:
    """A dependency that answers 403 unless the caller holds permission ``code``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(code):
            raise PermissionDenied(f"没有权限: {code}", code="permission_denied", detail=code)
        return principal

    check.permission_code = code  # type: ignore[attr-defined]  # read by the route-walk test
    check.__name__ = f"require_{code.replace(':', '_')}"
    return check


def require_any(*codes: str) -> Callable[..., Principal]:
    """A dependency that answers 403 unless the caller holds at least one of ``codes``: for
    routes shared by several parties (a requester and an approver both read a request), where
    the query then narrows what each may see."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not any(principal.has(code) for code in codes):
            joined = " / ".join(codes)
            raise PermissionDenied(f"没有权限: {joined}", code="permission_denied", detail=joined)
        return principal

    check.permission_codes = codes  # type: ignore[attr-defined]  # read by the route-walk test
    check.__name__ = "require_any_" + "_".join(c.replace(":", "_") for c in codes)
    return check


def Allowed(code: str) -> Any:  # noqa: N802 - reads like a type in signatures
    """Runtime shorthand for ``Annotated[Principal, Depends(require(code))]``.

    mypy refuses a call in an annotation, so typed code spells the Annotated form out;
    this alias remains for scripts and examples only.
    """
    return Annotated[Principal, Depends(require(code))]
