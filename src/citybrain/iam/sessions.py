"""Server-side sessions behind opaque bearer tokens.

A token is 32 random bytes (URL-safe text) handed to the client once; the database keeps only
HMAC-SM3(session_key, token), so a copy of the table cannot be replayed. Every login starts a
new session (no fixation); logout revokes it; it dies after ``session_idle_minutes`` without a
request and ``session_max_hours`` after login, whichever comes first.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.crypto import hmac_sm3
from citybrain.core.errors import Unauthenticated
from citybrain.iam.models import LoginSession
from citybrain.iam.rules import SessionState, session_state

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


def validate(session: Session, token: str) -> LoginSession:
    """The live session behind ``token``, its ``last_seen_at`` moved to now.

    Raises ``Unauthenticated`` with code ``invalid_token`` (unknown or forged),
    ``session_revoked`` (after logout, or revoked by an administrator) or ``session_expired``
    (idle timeout or absolute lifetime).
    """
    row = session.execute(
        select(LoginSession).where(LoginSession.token_hash == digest(token))
    ).scalar_one_or_none()
    if row is None:
        raise Unauthenticated("登录凭证无效", code="invalid_token")
    now = utcnow()
    state = session_state(
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        now=now,
        idle_minutes=get_settings().session_idle_minutes,
    )
    if state is not SessionState.valid:
        code, message = _REFUSALS[state]
        raise Unauthenticated(message, code=code, detail={"reason": state.value})
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


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
