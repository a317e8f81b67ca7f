"""Server-side sessions behind opaque bearer tokens.

A token is 32 random bytes (URL-safe text) handed to the client once; the database keeps only
HMAC-SM3(session_key, token), so a copy of the table cannot be replayed. Every login starts a
new session (no fixation); logout revokes it; it dies after ``session_idle_minutes`` without a
request and ``session_max_hours`` after login, whichever comes first.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.crypto import hmac_sm3
from citybrain.core.db import short_write
from citybrain.core.errors import Unauthenticated
from citybrain.iam.models import LoginSession
from citybrain.iam.principal_cache import TOUCH_SESSION
from citybrain.iam.rules import SessionState, session_state

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_at`` is written at most once a minute per session: a write on every request
buys nothing against a 30-minute idle timeout."""


def digest(secret: str) -> str:
    """Hex HMAC-SM3 of a token or API key under the session key: what the database stores."""
    return hmac_sm3(get_settings().key("session_key"), secret.encode("utf-8")).hex()


def start(session: Session, *, user_id: int, source_ip: str = "") -> tuple[LoginSession, str]:
    """A new session for ``user_id`` and its token (returned only here, never stored)."""
    settings = get_settings()
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = LoginSession(
        token_hash=digest(token),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        source_ip=source_ip[:64],
    )
    session.add(row)
    session.flush()
    return row, token


_REFUSALS = {
    SessionState.revoked: ("session_revoked", "会话已注销, 请重新登录"),
    SessionState.expired: ("session_expired", "会话已过期 (超过最长有效期), 请重新登录"),
    SessionState.idle: ("session_expired", "会话因长时间未操作已过期, 请重新登录"),
}


def validate(session: Session, token: str, *, token_hash: str | None = None) -> LoginSession:
    """The live session behind ``token`` (whose :func:`digest` the caller may pass as
    ``token_hash`` when it has it). Reads only: moving ``last_seen_at`` is :func:`touch`'s
    business, after the request's transaction (see :func:`needs_touch`).

    Raises ``Unauthenticated`` with code ``invalid_token`` (unknown or forged),
    ``session_revoked`` (after logout, or revoked by an administrator) or ``session_expired``
    (idle timeout or absolute lifetime).
    """
    row = session.execute(
        select(LoginSession).where(LoginSession.token_hash == (token_hash or digest(token)))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthenticated("登录凭证无效", code="invalid_token")
    check_live(last_seen_at=row.last_seen_at, expires_at=row.expires_at, revoked_at=row.revoked_at)
    return row


def check_live(
    *, last_seen_at: datetime, expires_at: datetime, revoked_at: datetime | None = None
) -> None:
    """``Unauthenticated`` unless a session with these times is alive now (see
    :func:`validate`); also what a remembered session is checked with on every request."""
    state = session_state(
        last_seen_at=last_seen_at,
        expires_at=expires_at,
        revoked_at=revoked_at,
        now=utcnow(),
        idle_minutes=get_settings().session_idle_minutes,
    )
    if state is not SessionState.valid:
        code, message = _REFUSALS[state]
        raise Unauthenticated(message, code=code, detail={"reason": state.value})


def needs_touch(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= TOUCH_EVERY


def touch(factory: sessionmaker[Session], *, session_id: int, now: datetime) -> bool | None:
    """Move ``last_seen_at`` to ``now`` in a short transaction of its own, unless it moved
    less than ``TOUCH_EVERY`` ago (so concurrent requests and workers write it once): True
    when written, False when there was nothing to write, None when skipped as busy.

    Contention is not an error: on SQLite it waits at most 100 ms for the write lock, on
    PostgreSQL it skips a row that another transaction holds (a logout, a revocation, a
    concurrent touch), and either way the touch is skipped and the next request tries again.
    A minute's lag on ``last_seen_at`` against a 30-minute idle timeout changes nothing.
    """
    due = (
        select(LoginSession.id)
        .where(LoginSession.id == session_id, LoginSession.last_seen_at <= now - TOUCH_EVERY)
        .with_for_update(skip_locked=True)
    )
    try:
        with short_write(factory) as session:
            session.info[TOUCH_SESSION] = True  # book-keeping: rights unchanged
            result = session.execute(
                update(LoginSession)
                .where(LoginSession.id.in_(due.scalar_subquery()))
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))
    except (OperationalError, PoolTimeout) as exc:
        log.info("session touch skipped (database busy): %s", exc.__class__.__name__)
        return None


def revoke(session: Session, row: LoginSession) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()


def revoke_all(session: Session, *, user_id: int, keep_id: int | None = None) -> int:
    """Revoke every live session of a user except ``keep_id``; the number revoked."""
    query = (
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep_id is not None:
        query = query.where(LoginSession.id != keep_id)
    result = session.execute(query.execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)
