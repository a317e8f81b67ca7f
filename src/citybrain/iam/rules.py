"""Pure account rules: user names, lockout arithmetic, forced password change, session limits,
session expiry and TOTP matching. No session, no I/O; the clock is always an argument."""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

import pyotp

from citybrain.core.config import PasswordProfile
from citybrain.core.errors import BadInput
from citybrain.iam.permissions import ADMIN_ROLES

USERNAME_MIN, USERNAME_MAX = 2, 64
_USERNAME_PUNCTUATION: Final = frozenset("._-@")
TOTP_WINDOW: Final = 1
"""Codes one step (30 s) either side of now are accepted, for clock drift between devices."""


def username_key(raw: str) -> str:
    """The uniqueness key of a user name: NFKC, then case-folded (``ＡＤＭＩＮ`` → ``admin``)."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()


def normalise_username(raw: str) -> tuple[str, str]:
    """``(display form, key)`` of a user name or ``BadInput`` (code ``bad_username``).

    The display form is NFKC (full-width letters become half-width, case is kept); names are
    2–64 characters of letters (Chinese included), digits and ``. _ - @``.
    """
    display = unicodedata.normalize("NFKC", raw).strip()
    ok = USERNAME_MIN <= len(display) <= USERNAME_MAX and all(
        c.isalnum() or c in _USERNAME_PUNCTUATION for c in display
    )
    if not ok:
        raise BadInput(
            "用户名须为 2–64 个字符, 只能包含字母、汉字、数字和 . _ - @",
            code="bad_username",
            detail={"username": raw[:80]},
        )
    return display, display.casefold()


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(
    failed_count: int, now: datetime, *, threshold: int, minutes: int
) -> tuple[int, datetime | None]:
    """The new ``(failed_count, locked_until)`` after one more failed login.

    The ``threshold``-th consecutive failure locks the account for ``minutes`` and starts the
    count again, so the account gets a fresh set of attempts once the lock ends.
    """
    count = failed_count + 1
    if count >= threshold:
        return 0, now + timedelta(minutes=minutes)
    return count, None


def password_expired(
    profile: PasswordProfile, changed_at: datetime, now: datetime, *, max_age_days: int
) -> bool:
    """cn-dengbao forces a change after ``max_age_days``; asvs never forces periodic change."""
    if profile is not PasswordProfile.cn_dengbao:
        return False
    return now >= changed_at + timedelta(days=max_age_days)


def needs_totp_setup(role_names: Iterable[str], totp_enabled: bool) -> bool:
    """The three administrators must have a second factor before they can do anything."""
    return not totp_enabled and bool(set(role_names) & ADMIN_ROLES)


class Limit(StrEnum):
    """Why a session is limited to the own account (only ``iam:self``)."""

    password_change = "password_change"  # noqa: S105 - a reason, not a password
    totp_setup = "totp_setup"


def session_limits(*, must_change_password: bool, totp_setup: bool) -> frozenset[Limit]:
    limits: set[Limit] = set()
    if must_change_password:
        limits.add(Limit.password_change)
    if totp_setup:
        limits.add(Limit.totp_setup)
    return frozenset(limits)


class SessionState(StrEnum):
    valid = "valid"
    revoked = "revoked"
    idle = "idle"
    expired = "expired"


def session_state(
    *,
    last_seen_at: datetime,
    expires_at: datetime,
    revoked_at: datetime | None,
    now: datetime,
    idle_minutes: int,
) -> SessionState:
    """Revoked wins over expiry (a replayed token after logout says so); then the absolute
    lifetime, then the idle timeout."""
    if revoked_at is not None:
        return SessionState.revoked
    if now >= expires_at:
        return SessionState.expired
    if now >= last_seen_at + timedelta(minutes=idle_minutes):
        return SessionState.idle
    return SessionState.valid


def totp_step(secret: str, code: str, now: datetime, *, last_step: int | None) -> int | None:
    """The time step at which ``code`` is valid within ±:data:`TOTP_WINDOW` of ``now``, or None.

    A step at or before ``last_step`` is refused, so a code cannot be replayed (RFC 6238 §5.2).
    """
    code = code.strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-TOTP_WINDOW, TOTP_WINDOW + 1):
        step = current + offset
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
