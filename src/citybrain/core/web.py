"""Per-request plumbing: the unit-of-work session, the request's actor context, and the
admission of requests to the database (see "Concurrency" in docs/architecture.md)."""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated, ParamSpec, TypeVar

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
from citybrain.core.db import offer_writer, reading
from citybrain.core.errors import error_body

log = logging.getLogger(__name__)
_random = random.Random()  # noqa: S311 - request ids need uniqueness, not secrecy

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Requests that begin their transaction as readers (on SQLite: deferred, no write lock)."""
_AFTER = "citybrain.after_transaction"
_ENDED = "citybrain.transaction_ended"
P = ParamSpec("P")
T = TypeVar("T")


def after_transaction(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the request's transaction has ended (committed or rolled back),
    still before the answer is sent: for book-keeping that must not make the request's own
    transaction a writer or hold its lock, such as the session touch. A callback's failure is
    logged and does not change the answer."""
    session.info.setdefault(_AFTER, []).append(callback)


async def request_session(request: Request) -> AsyncIterator[Session]:
    """One request, one transaction: committed when the handler returns, rolled back on error.
    A GET (HEAD, OPTIONS) begins as a reader; every other method as a writer.

    Asynchronous, so that opening the session costs no hop to the worker-thread pool: nothing
    here does I/O until the first query (the session connects lazily, in the handler's or a
    dependency's thread). Only the end — commit or rollback, closing, the after-transaction
    callbacks — runs in a worker thread, shielded from cancellation so that a client that
    goes away cannot leave a transaction open or a connection out of the pool."""
    writer = factory = request.app.state.session_factory
    reader = request.method in READ_METHODS
    if reader:
        factory = reading(factory)
    pending: list[Callable[[], object]] = []
    session = factory()
    session.info[_AFTER] = pending
    if reader:  # the audit of a read is appended beside it (core/audit/reads.py)
        offer_writer(session, writer)
    set_settings(session, settings_of_app(request))
    set_actor(
        session,
        source_ip=request.client.host if request.client else "",
        request_id=request.headers.get("X-Request-ID") or _request_id(),
    )
    session.begin()
    try:
        yield session
    except BaseException:
        if not session.info.get(_ENDED):
            await _end_in_thread(session, pending, commit=False)
        raise
    if not session.info.get(_ENDED):  # a single-hop handler has ended it already
        await _end_in_thread(session, pending, commit=True)


def _request_id() -> str:
    """32 hex digits, as ``uuid4().hex``: unique, not secret (it names a request in the logs
    and the audit ledger), so the process's pseudo-random generator serves, without the
    system call of ``os.urandom`` on every request."""
    return f"{_random.getrandbits(128):032x}"


async def _end_in_thread(
    session: Session, pending: list[Callable[[], object]], *, commit: bool
) -> None:
    # A limiter of its own (as FastAPI gives a sync dependency's exit): ending a transaction
    # must never wait for a token of the shared pool, which requests may all hold.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(
            partial(_end, session, pending, commit=commit), limiter=anyio.CapacityLimiter(1)
        )


def _end(session: Session, pending: list[Callable[[], object]], *, commit: bool) -> None:
    if session.info.get(_ENDED):
        return
    session.info[_ENDED] = True
    try:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
    finally:
        for callback in pending:
            try:
                callback()
            except Exception:  # book-keeping must not turn an answer into a 500
                log.exception("after-transaction callback failed")


def single_hop(handler: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """A route handler that costs one hop to the worker-thread pool instead of three.

    FastAPI runs a plain ``def`` handler in a worker thread, then validates its answer in
    another, and the request's transaction ends in a third. Decorated, the handler runs in
    one worker thread together with the end of its request's transaction (the commit and the
    after-transaction callbacks, exactly as :func:`request_session` would run them), and
    FastAPI, seeing a coroutine, validates and serialises the answer on the event loop — cheap
    for a pydantic model built by the handler. On an error the handler's transaction is left
    to :func:`request_session`, which rolls it back as usual.

    For reads on the hot paths. The handler must answer with pydantic models or plain data,
    never ORM objects: its session is closed before the answer is serialised."""

    @functools.wraps(handler)
    async def endpoint(*args: P.args, **kwargs: P.kwargs) -> T:
        return await anyio.to_thread.run_sync(partial(_run_and_end, handler, *args, **kwargs))

    return endpoint


def _run_and_end(handler: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    result = handler(*args, **kwargs)
    for value in kwargs.values():
        if isinstance(value, Session) and _AFTER in value.info:  # a request's session
            _end(value, value.info[_AFTER], commit=True)
    return result


# scope="function": commit before the response is sent, so a client never sees 200 for a change
# that then fails to commit, and its next request always sees the change.
DbSession = Annotated[Session, Depends(request_session, scope="function")]


def settings_of_app(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``), so that a test or a
    second app in one process works in its own home and hub; the process settings otherwise."""
    value = getattr(request.app.state, "settings", None)
    return value if isinstance(value, Settings) else get_settings()


async def app_settings(request: Request) -> Settings:
    """:func:`settings_of_app` as a dependency (asynchronous: no thread hop)."""
    return settings_of_app(request)


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
