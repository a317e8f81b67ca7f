"""Login throttling per source address and per attempted user name, in addition to the
account lock: the lock only guards existing accounts, so guessing across many names from one
address, or spraying one name from many, was never slowed down.

Fixed windows (``login_throttle_window_minutes``): each failure adds one to the counters of
its address and of its user name; once a counter reaches its maximum, attempts under that
key are answered 429 ``too_many_attempts`` with ``Retry-After`` until its window ends, before
any password is checked. The name counter is kept whether the account exists or not, so the
429 tells nothing about which names exist. Counters live in ``iam_login_throttle`` (every
web process on PostgreSQL sees the same), written in the login's own transaction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from citybrain.core.clock import as_utc
from citybrain.core.config import Settings
from citybrain.core.crypto import sm3_hex
from citybrain.iam import rules
from citybrain.iam.models import LoginThrottle


@dataclass(frozen=True, slots=True)
class Keys:
    """The counters one attempt touches, with their maxima."""

    ip: str
    name: str
    ip_max: int
    name_max: int

    def pairs(self) -> tuple[tuple[str, int], ...]:
        return tuple((k, m) for k, m in ((self.ip, self.ip_max), (self.name, self.name_max)) if k)


def keys_for(username: str, source_ip: str, settings: Settings) -> Keys:
    name_key = sm3_hex(rules.username_key(username).encode())[:40]
    return Keys(
        ip=f"ip:{source_ip[:64]}" if source_ip else "",
        name=f"user:{name_key}",
        ip_max=settings.login_ip_max_failures,
        name_max=settings.login_account_max_failures,
    )


def retry_after(
    session: Session, keys: Keys, now: datetime, *, window: timedelta
) -> tuple[int, str] | None:
    """Seconds until an attempt under ``keys`` is allowed again and which counter blocks it
    (``ip`` or ``name``), or None when none is at its maximum."""
    blocked: tuple[int, str] | None = None
    for key, maximum in keys.pairs():
        row = session.execute(
            select(LoginThrottle).where(LoginThrottle.key == key)
        ).scalar_one_or_none()
        if row is None or row.failures < maximum:
            continue
        ends = as_utc(row.window_started_at) + window
        if ends > now:
            seconds = max(1, math.ceil((ends - now).total_seconds()))
            if blocked is None or seconds > blocked[0]:
                blocked = (seconds, key.split(":", 1)[0])
    return blocked


def count_failure(session: Session, keys: Keys, now: datetime, *, window: timedelta) -> None:
    """Add one failure to each counter of ``keys``, starting a new window where the old one
    has ended. The row is locked (PostgreSQL) so that parallel attempts all count."""
    for key, _ in keys.pairs():
        row = _locked_row(session, key, now)
        if as_utc(row.window_started_at) + window <= now:
            row.window_started_at, row.failures = now, 0
        row.failures += 1
    session.flush()


def clear_name(session: Session, keys: Keys) -> None:
    """A successful sign-in clears its name's counter (never the address's: one valid account
    must not buy an address fresh guesses)."""
    row = session.execute(
        select(LoginThrottle).where(LoginThrottle.key == keys.name)
    ).scalar_one_or_none()
    if row is not None and row.failures:
        row.failures = 0
        session.flush()


def _locked_row(session: Session, key: str, now: datetime) -> LoginThrottle:
    dialect = session.get_bind().dialect.name
    values = {"key": key, "window_started_at": now, "failures": 0}
    if dialect == "postgresql":
        session.execute(postgresql.insert(LoginThrottle).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(LoginThrottle).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - the two supported databases are handled above
        if (
            session.execute(select(LoginThrottle.id).where(LoginThrottle.key == key)).first()
            is None
        ):
            session.add(LoginThrottle(**values))
            session.flush()
    return session.execute(
        select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    ).scalar_one()
