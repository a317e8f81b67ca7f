"""Live inbox updates for the server-sent-events stream (``GET /api/v1/messages/stream``).

One broker per web process and event loop watches the inbox on behalf of every open stream, so
the database sees a handful of small queries per poll whatever the number of open pages:

- every ``stream_poll_seconds`` the newest inbox row id (a primary-key maximum); when it moved,
  which of the watched users got rows, and their unread counts and newest message;
- a commit in this process that changed an inbox (a send, a mark-read) wakes the broker at once
  (domain event ``messages.inbox_changed``); other processes' changes are seen at the next poll
  (new rows) or the next recount (reads), every ``stream_refresh_seconds``;
- every ``stream_recheck_seconds`` the login sessions behind the streams, in one query: a stream
  whose session was revoked, idled out or expired, or whose account was disabled, ends with an
  ``end`` event. Opening a stream is a request (it counts as activity); the stream itself is not,
  so an open page does not keep an idle session alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import anyio.to_thread
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core import domain_events
from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.db import reading
from citybrain.iam.models import LoginSession, User
from citybrain.iam.rules import SessionState, session_state
from citybrain.messages import queries
from citybrain.messages.config import MessagesSettings
from citybrain.messages.models import MessageReceipt
from citybrain.messages.schemas import InboxItem
from citybrain.messages.service import INBOX_EVENT

log = logging.getLogger(__name__)

END_REASONS = {
    SessionState.revoked: ("session_revoked", "会话已注销"),
    SessionState.idle: ("session_expired", "会话因长时间未操作已过期"),
    SessionState.expired: ("session_expired", "会话已过期"),
}


@dataclass(frozen=True, slots=True)
class Update:
    """``unread``: the count changed (``newest``: the newest unread message when a new one
    arrived); ``end``: the stream must close (``code`` says why)."""

    event: str
    unread: int = 0
    newest: InboxItem | None = None
    code: str = ""
    message: str = ""


@dataclass(eq=False)
class Stream:
    user_id: int
    session_id: int | None
    queue: asyncio.Queue[Update] = field(default_factory=asyncio.Queue)
    unread: int = -1


@dataclass
class _Poll:
    counts: dict[int, int]
    newest: dict[int, InboxItem]
    ended: dict[int, tuple[str, str]]  # session id → (code, message)
    last_id: int


class Broker:
    """Watches the inbox for the streams of one event loop (see the module doc)."""

    def __init__(self, factory: sessionmaker[Session], config: MessagesSettings) -> None:
        self.factory = reading(factory)
        self.config = config
        self.loop = asyncio.get_running_loop()
        self.streams: set[Stream] = set()
        self.dirty: set[int] = set()
        self.look = False  # a commit here added rows: look for them now
        self.wakeup = asyncio.Event()
        # One database call at a time per broker: its polls and the streams' first counts share
        # it, so a process asks the database one small thing at a time for all its pages.
        self.io = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None
        self.last_id: int | None = None
        _brokers.add(self)

    # -- streams -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscribe(self, user_id: int, session_id: int | None) -> AsyncIterator[Stream]:
        stream = Stream(user_id, session_id)
        if self.last_id is None:  # the baseline: rows above it are news
            async with self.io:
                self.last_id = await anyio.to_thread.run_sync(self._newest_id)
        self.streams.add(stream)
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())
        try:
            yield stream
        finally:
            self.streams.discard(stream)
            if not self.streams and self.task is not None:
                self.task.cancel()
                self.task = None

    def wake(self, user_ids: list[int] | None) -> None:
        """Called on the loop's thread: these users' inboxes changed (None: new rows somewhere)."""
        if user_ids is None:
            self.look = True
        else:
            self.dirty.update(user_ids)
        self.wakeup.set()

    # -- the watch -----------------------------------------------------------------------------

    async def snapshot(self, user_id: int) -> Update:
        """The stream's first event: the user's unread count and newest unread message."""
        async with self.io:
            return await anyio.to_thread.run_sync(self._snapshot, user_id)

    def _snapshot(self, user_id: int) -> Update:
        with self.factory() as session, session.begin():
            count = unread_counts(session, {user_id})[user_id]
            newest = queries.newest_unread(session, user_id=user_id)
        return Update("unread", unread=count, newest=newest)

    async def _run(self) -> None:
        self.wakeup.clear()  # a wake from before these streams: their baseline has seen it
        refreshed = rechecked = time.monotonic()
        while self.streams:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=self.config.stream_poll_seconds)
            self.wakeup.clear()
            now = time.monotonic()
            refresh = now - refreshed >= self.config.stream_refresh_seconds
            recheck = now - rechecked >= self.config.stream_recheck_seconds
            refreshed = now if refresh else refreshed
            rechecked = now if recheck else rechecked
            streams = list(self.streams)
            users = {s.user_id for s in streams}
            dirty, self.dirty = self.dirty & users, set()
            self.look = False
            sessions = (
                {s.session_id for s in streams if s.session_id is not None} if recheck else set()
            )
            try:
                async with self.io:
                    polled = await anyio.to_thread.run_sync(
                        self._poll, users, dirty, refresh, sessions
                    )
            except Exception:  # a busy database must not end the streams; try again next time
                log.exception("inbox poll failed")
                continue
            self.last_id = polled.last_id
            self._dispatch(streams, polled)

    def _dispatch(self, streams: list[Stream], polled: _Poll) -> None:
        for stream in streams:
            ended = polled.ended.get(stream.session_id or -1)
            if ended is not None:
                stream.queue.put_nowait(Update("end", code=ended[0], message=ended[1]))
                continue
            count = polled.counts.get(stream.user_id)
            if count is None or (count == stream.unread and stream.user_id not in polled.newest):
                continue
            stream.unread = count
            stream.queue.put_nowait(
                Update("unread", unread=count, newest=polled.newest.get(stream.user_id))
            )

    def _newest_id(self) -> int:
        with self.factory() as session, session.begin():
            return newest_receipt_id(session)

    def _poll(self, users: set[int], dirty: set[int], refresh: bool, sessions: set[int]) -> _Poll:
        with self.factory() as session, session.begin():
            newest_id = newest_receipt_id(session)
            last = self.last_id if self.last_id is not None else newest_id
            arrived: set[int] = set()
            if newest_id > last and users:
                arrived = set(
                    session.execute(
                        select(MessageReceipt.user_id)
                        .where(MessageReceipt.id > last, MessageReceipt.user_id.in_(users))
                        .distinct()
                    ).scalars()
                )
            targets = users if refresh else dirty | arrived
            counts = unread_counts(session, targets)
            newest = {}
            for user_id in arrived:
                item = queries.newest_unread(session, user_id=user_id)
                if item is not None:
                    newest[user_id] = item
            ended = dead_sessions(session, sessions) if sessions else {}
        return _Poll(counts, newest, ended, newest_id)


def newest_receipt_id(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(MessageReceipt.id), 0))).scalar_one())


def unread_counts(session: Session, users: set[int]) -> dict[int, int]:
    if not users:
        return {}
    rows = session.execute(
        select(MessageReceipt.user_id, func.count())
        .where(MessageReceipt.user_id.in_(users), MessageReceipt.read_at.is_(None))
        .group_by(MessageReceipt.user_id)
    )
    counts = {int(u): int(n) for u, n in rows}
    return {u: counts.get(u, 0) for u in users}


def dead_sessions(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """The sessions among ``ids`` that no longer authenticate, with why (one query)."""
    rows = session.execute(
        select(LoginSession, User.is_active)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id.in_(ids))
    ).all()
    now, idle = utcnow(), get_settings().session_idle_minutes
    found, ended = set(), {}
    for row, active in rows:
        found.add(row.id)
        if not active:
            ended[row.id] = ("account_disabled", "账号已停用")
            continue
        state = session_state(
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            now=now,
            idle_minutes=idle,
        )
        if state is not SessionState.valid:
            ended[row.id] = END_REASONS[state]
    for missing in ids - found:
        ended[missing] = ("session_revoked", "会话已注销")
    return ended


_brokers: weakref.WeakSet[Broker] = weakref.WeakSet()


def broker_for(state: object, factory: sessionmaker[Session], config: MessagesSettings) -> Broker:
    """The broker of the running loop for the app whose ``state`` this is."""
    loop = asyncio.get_running_loop()
    table: dict[asyncio.AbstractEventLoop, Broker] | None = getattr(state, "messages_brokers", None)
    if table is None:
        table = {}
        setattr(state, "messages_brokers", table)  # noqa: B010 - a Starlette State attribute
    broker = table.get(loop)
    if broker is None:
        broker = table[loop] = Broker(factory, config)
    return broker


def _on_inbox_changed(event: domain_events.DomainEvent) -> None:
    """After a commit in this process: wake every broker (each on its own loop's thread)."""
    user_ids = event.payload.get("user_ids")
    for broker in list(_brokers):
        if broker.loop.is_closed():
            continue
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            broker.loop.call_soon_threadsafe(broker.wake, user_ids)


domain_events.subscribe(INBOX_EVENT, _on_inbox_changed)
