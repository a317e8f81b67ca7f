"""Per-request plumbing: the unit-of-work session, the request's actor context, and the
admission of requests to the database (see "Concurrency" in docs/architecture.md)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citybrain.core.config import Settings, get_settings
from citybrain.core.context import set_actor, set_settings
from citybrain.core.db import reading
from citybrain.core.errors import error_body

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests that begin their transaction as readers (on SQLite: deferred, no write lock)."""
_AFTER = "citybrain.after_transaction"


def after_transaction(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the request's transaction has ended (committed or rolled back),
    still before the answer is sent: for book-keeping that must not make the request's own
    transaction a writer or hold its lock, such as the session touch. A callback's failure is
    logged and does not change the answer."""
    session.info.setdefault(_AFTER, []).append(callback)


def request_session(request: Request) -> Iterator[Session]:
    """One request, one transaction: committed when the handler returns, rolled back on error.
    A GET (HEAD, OPTIONS) begins as a reader; every other method as a writer."""
    factory = request.app.state.session_factory
    if request.method in READ_METHODS:
        factory = reading(factory)
    pending: list[Callable[[], object]] = []
    try:
        with factory() as session, session.begin():
            session.info[_AFTER] = pending
            set_settings(session, app_settings(request))
            set_actor(
                session,
                source_ip=request.client.host if request.client else "",
                request_id=request.headers.get("X-Request-ID") or uuid.uuid4().hex,
            )
            yield session
    finally:
        for callback in pending:
            try:
                callback()
            except Exception:  # book-keeping must not turn an answer into a 500
                log.exception("after-transaction callback failed")


# scope="function": commit before the response is sent, so a client never sees 200 for a change
# that then fails to commit, and its next request always sees the change.
DbSession = Annotated[Session, Depends(request_session, scope="function")]


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``), so that a test or a
    second app in one process works in its own home and hub; the process settings otherwise."""
    value = getattr(request.app.state, "settings", None)
    return value if isinstance(value, Settings) else get_settings()


AppSettings = Annotated[Settings, Depends(app_settings)]


BUSY_MESSAGE = "服务繁忙, 请稍后重试"
THREAD_HEADROOM = 8
"""Worker threads beyond the database slots, for the health check, static files and the like:
a request holding a slot must always find a thread for its next step (see architecture.md)."""
UNADMITTED_PATHS = frozenset({"/api/health"})
_streams: set[str] = set()


def exempt_from_admission(path: str) -> None:
    """Let requests to ``path`` bypass the admission below: a long-lived stream (server-sent
    events) would hold its slot for as long as a page stays open. Such a route must keep its
    own database use small and short (its own brief sessions, never the request's)."""
    _streams.add(path)


_slots: RunVar[anyio.Semaphore] = RunVar("citybrain_db_slots")


def busy_response(code: str = "server_busy") -> JSONResponse:
    return JSONResponse(
        error_body(code, BUSY_MESSAGE, None), status_code=503, headers={"Retry-After": "1"}
    )


class DatabaseAdmission:
    """Lets at most ``slots`` API requests at a time into the application; the others wait
    here, on the event loop, holding neither a worker thread nor a database connection, for at
    most ``wait_seconds`` and are then answered 503 ``server_busy``.

    Without it, every request that has begun its transaction (at its session check) holds a
    connection, and on SQLite as a writer the write lock, while it queues for a worker thread
    for its next step; once the threads are all taken by requests waiting for a connection or
    the lock, nobody moves until a timeout fires. The slot covers the whole request, from the
    session dependency to the last byte of the answer (including the audit of a refusal and
    the session touch), but not background tasks run after it.
    """

    def __init__(self, app: ASGIApp, *, slots: int, wait_seconds: float) -> None:
        self.app = app
        self.slots = slots
        self.wait_seconds = wait_seconds

    def _semaphore(self) -> anyio.Semaphore:
        # One per event loop (a test client runs its own loop); the thread pool is sized with it.
        try:
            return _slots.get()
        except LookupError:
            limiter = anyio.to_thread.current_default_thread_limiter()
            limiter.total_tokens = max(limiter.total_tokens, self.slots + THREAD_HEADROOM)
            semaphore = anyio.Semaphore(self.slots)
            _slots.set(semaphore)
            return semaphore

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/api/") or path in UNADMITTED_PATHS or path in _streams:
            await self.app(scope, receive, send)
            return
        semaphore = self._semaphore()
        admitted = False
        with anyio.move_on_after(self.wait_seconds):
            await semaphore.acquire()
            admitted = True
        if not admitted:
            log.warning("no database slot within %ss: 503 for %s", self.wait_seconds, path)
            await busy_response()(scope, receive, send)
            return
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                semaphore.release()

        async def send_then_release(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()  # background tasks run after this, outside the slot

        try:
            await self.app(scope, receive, send_then_release)
        finally:
            release()


async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
    return busy_response("database_busy")


async def _operational(request: Request, exc: Exception) -> JSONResponse:
    # SQLite's "database is locked" after the busy timeout is contention, not a bug: 503.
    if "database is locked" in str(exc):
        return await _database_busy(request, exc)
    raise exc


def install_admission(app: FastAPI, settings: Settings) -> None:
    """Admission to the database and a clean 503 (not a 500, not a hang) when the pool or
    SQLite's write lock cannot be had in time."""
    app.add_middleware(
        DatabaseAdmission, slots=settings.db_slots, wait_seconds=settings.db_wait_seconds
    )
    app.add_exception_handler(PoolTimeout, _database_busy)
    app.add_exception_handler(OperationalError, _operational)
