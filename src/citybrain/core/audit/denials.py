"""Refused access leaves a trace: every 401 and 403 answer is appended to the ledger.

The refused request's own transaction has been rolled back by the time its error is answered
(one request, one transaction), so the record is written in a transaction of its own. Login
failures are not raised but answered by the login route inside its committed transaction, and
are recorded there, not here.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from citybrain.core.audit import service
from citybrain.core.context import set_actor
from citybrain.core.errors import DomainError, PermissionDenied, Unauthenticated, error_body
from citybrain.core.security import Principal

log = logging.getLogger(__name__)


def record_denial(request: Request, exc: DomainError) -> None:
    """Append ``security.denied`` (outcome failure) naming the path, the code and the caller
    when known. A failure to write is logged, never turned into a 500."""
    principal = getattr(request.state, "principal", None)
    try:
        with request.app.state.session_factory() as session, session.begin():
            set_actor(
                session,
                actor=principal.name if isinstance(principal, Principal) else "anonymous",
                role=",".join(principal.roles) if isinstance(principal, Principal) else "",
                region_code=principal.region_code if isinstance(principal, Principal) else "",
                source_ip=request.client.host if request.client else "",
                request_id=request.headers.get("X-Request-ID", ""),
            )
            service.record(
                session,
                action="security.denied",
                object_type="http",
                object_id=f"{request.method} {request.url.path}",
                outcome="failure",
                detail={"status": exc.status_code, "code": exc.code},
            )
    except Exception:  # the answer to the caller must not depend on the ledger's health
        log.exception("could not record a refused request")


def install_denial_audit(app: FastAPI) -> None:
    async def _denied(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, DomainError):  # registered for DomainError subclasses only
            raise exc
        await run_in_threadpool(record_denial, request, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.detail), exc.status_code, headers=headers
        )

    app.add_exception_handler(Unauthenticated, _denied)
    app.add_exception_handler(PermissionDenied, _denied)
