"""Who a credential belongs to, remembered for a few seconds per process.

Resolving a bearer token or an API key took five queries on every request (the session, the
user, its roles, their stored codes, the department) and a hop to a worker thread; remembering
the answer for ``CITYBRAIN_AUTH_CACHE_SECONDS`` (5 s by default, 0 turns it off) makes a known
caller free to authenticate (see "Concurrency" in docs/architecture.md).

What stays exact, because it is checked on every request against the clock: a session's absolute
lifetime and idle timeout, an API key's expiry. What may lag, and by how much:

* a change made through this process's ORM (logout, an administrator revoking sessions,
  disabling a user, changing roles or a custom role's codes, revoking an API key) empties the
  cache when it is flushed and again when it commits, so it holds from the next request on;
* a change made elsewhere — another ``serve`` worker, a CLI command, SQL by hand — is seen
  once the entry is older than the TTL, i.e. within ``CITYBRAIN_AUTH_CACHE_SECONDS``.

A reader that looked the credential up before such a change cannot put its stale answer back
afterwards: each invalidation moves a generation counter, and an answer is kept only if the
generation it started under is still current. Entries are keyed by the credential's HMAC (what
the database stores), never by the credential itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import instance_state

from citybrain.core.clock import utcnow
from citybrain.core.security import Principal
from citybrain.iam.models import ApiKey, LoginSession, Role, RolePermission, User, UserRole

MAX_ENTRIES: Final = 10_000
TOUCH_SESSION: Final = "citybrain.iam.touch"
"""``session.info`` flag of the short transactions that only move ``last_seen_at`` or
``last_used_at``: they change no one's rights, so they do not empty the cache."""
_CHANGED: Final = "citybrain.iam.principals_changed"

# Columns whose change does not alter who a caller is or what they may do.
_BOOK_KEEPING: Final[dict[type[Any], frozenset[str]]] = {
    User: frozenset({"failed_count", "locked_until", "totp_last_step"}),
    LoginSession: frozenset({"last_seen_at"}),
    ApiKey: frozenset({"last_used_at"}),
}
_WATCHED: Final = (User, Role, RolePermission, UserRole, LoginSession, ApiKey)
_WATCHED_TABLES: Final = frozenset(str(model.__tablename__) for model in _WATCHED)
# A new session or key cannot be in the cache yet; a new user has no credential yet.
_NEW_IS_HARMLESS: Final = (LoginSession, ApiKey, User, Role)


@dataclass(slots=True)
class Entry:
    """A resolved credential: the principal and what is checked against the clock."""

    principal: Principal
    actor: str
    role: str
    fetched_at: datetime
    row_id: int  # the LoginSession's or the ApiKey's id
    expires_at: datetime
    last_seen_at: datetime | None  # sessions: idle timeout; keys: last_used_at
    touching: bool = False  # a touch is under way: do not ask for another


class PrincipalCache:
    """A bounded map from credential HMAC to :class:`Entry`, thread-safe, with a TTL measured
    on ``clock`` (injectable, like every clock in citybrain)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock
        self.generation = 0
        self._entries: dict[str, Entry] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, *, ttl: float) -> Entry | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        age = self.clock() - entry.fetched_at
        if ttl <= 0 or not timedelta(0) <= age < timedelta(seconds=ttl):
            # too old, or the clock went back: ask the database again
            self._entries.pop(digest, None)
            return None
        return entry

    def put(self, digest: str, entry: Entry, *, generation: int) -> bool:
        """Keep ``entry`` unless something changed since ``generation`` was read."""
        with self._lock:
            if generation != self.generation:
                return False
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.pop(next(iter(self._entries)))
            self._entries[digest] = entry
            return True

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


CACHE = PrincipalCache()
"""The process's cache (one per process, shared by the apps it serves)."""


def changes_principals(session: Session) -> bool:
    """Whether the flush under way changes a session, a key, a user, a role or its codes."""
    for obj in session.new:
        if isinstance(obj, _WATCHED) and not isinstance(obj, _NEW_IS_HARMLESS):
            return True
    for obj in session.deleted:
        if isinstance(obj, _WATCHED):
            return True
    for obj in session.dirty:
        if not isinstance(obj, _WATCHED):
            continue
        ignored = _BOOK_KEEPING.get(type(obj), frozenset())
        state = instance_state(obj)
        if any(attr.key not in ignored and attr.history.has_changes() for attr in state.attrs):
            return True
    return False


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    if session.info.get(TOUCH_SESSION) or not changes_principals(session):
        return
    session.info[_CHANGED] = True
    CACHE.invalidate()


def _bulk(state: ORMExecuteState) -> None:
    """``update(LoginSession)`` and the like, which bypass the unit of work."""
    if not (state.is_update or state.is_delete) or state.session.info.get(TOUCH_SESSION):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED_TABLES:
        state.session.info[_CHANGED] = True
        CACHE.invalidate()


def _after_commit(session: Session) -> None:
    # Again at commit: a reader that began between the flush and the commit read the old rows.
    # (A rolled-back change leaves the flag: emptying the cache once more costs nothing.)
    if session.info.pop(_CHANGED, False):
        CACHE.invalidate()


_installed = False


def install() -> None:
    """Watch every ORM session of the process for changes to credentials and rights."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _bulk)
    event.listen(Session, "after_commit", _after_commit)
    _installed = True
