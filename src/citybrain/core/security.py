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

import anyio.to_thread
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
CachedResolver = Callable[[Request, Session], Principal | None]
_resolver: PrincipalResolver | None = None
_cached: CachedResolver | None = None


def install_resolver(resolver: PrincipalResolver, *, cached: CachedResolver | None = None) -> None:
    """``resolver`` finds the caller, reading the database; ``cached``, when given, answers
    from memory alone (no I/O: it runs on the event loop) or says ``None`` when it cannot, and
    ``resolver`` is asked in a worker thread."""
    global _resolver, _cached
    _resolver, _cached = resolver, cached


def resolve_principal(request: Request, session: Session) -> Principal:
    """The caller of ``request`` (sync, may read the database): for code already running in a
    worker thread, such as a route that authenticates before its body streams."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if _resolver is None:
        raise Unauthenticated("身份认证未配置", code="auth_not_configured")
    principal = (_cached(request, session) if _cached else None) or _resolver(request, session)
    request.state.principal = principal
    return principal


async def authenticated(request: Request, session: DbSession) -> Principal:
    """The caller, as a dependency. Asynchronous so that a caller the cache knows costs no
    hop to the worker-thread pool; only a cache miss reads the database, in a worker thread."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if _resolver is None:
        raise Unauthenticated("身份认证未配置", code="auth_not_configured")
    principal = _cached(request, session) if _cached else None
    if principal is None:
        principal = await anyio.to_thread.run_sync(_resolver, request, session)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]


def ensure_allowed(principal: Principal, code: str) -> Principal:
    """``principal`` if it holds permission ``code``, else 403 ``permission_denied``."""
    if not principal.has(code):
        raise PermissionDenied(f"没有权限: {code}", code="permission_denied", detail=code)
    return principal


def require(code: str) -> Callable[..., Any]:
    """A dependency that answers 403 unless the caller holds permission ``code``."""

    async def check(principal: CurrentPrincipal) -> Principal:  # async: no hop to a thread
        return ensure_allowed(principal, code)

    check.permission_code = code  # type: ignore[attr-defined]  # read by the route-walk test
    check.__name__ = f"require_{code.replace(':', '_')}"
    return check


def require_any(*codes: str) -> Callable[..., Any]:
    """A dependency that answers 403 unless the caller holds at least one of ``codes``: for
    routes shared by several parties (a requester and an approver both read a request), where
    the query then narrows what each may see."""

    async def check(principal: CurrentPrincipal) -> Principal:
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
