"""Signing in and out, and the second factor (TOTP).

Login answers the same ``invalid_credentials`` for an unknown user, a wrong password, a
disabled account and a locked account, and spends one argon2 verification on every path, so
neither the answer nor its timing tells an attacker which user names exist (see docs/iam.md).
A failed login must leave its traces (failed counter, lock, audit record) even though the
caller answers with an error, so :func:`login` reports an outcome instead of raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.context import set_actor
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import BadInput, Conflict
from citybrain.core.security import Principal
from citybrain.iam import passwords, rules, sessions, throttle
from citybrain.iam.models import LoginSession, User
from citybrain.regions.scope import ensure_within

TOTP_ISSUER = "citybrain"
_TOTP_CONTEXT = "iam_user.totp_secret"


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What a login attempt came to: ``status`` 200 with a token, else 401 with ``code``."""

    status: int
    code: str
    message: str
    token: str | None = None
    expires_at: datetime | None = None
    user: User | None = None
    limits: frozenset[rules.Limit] = field(default_factory=frozenset)
    retry_after: int | None = None  # seconds, with status 429
    handoff_code: str | None = None  # OIDC: the one-time code the front end exchanges

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


def _cipher() -> FieldCipher:
    settings = get_settings()
    return FieldCipher(
        encryption_key=settings.key("field_key"), index_key=settings.key("blind_index_key")
    )


def totp_secret_of(user: User) -> str | None:
    """The decrypted TOTP secret of ``user`` (None before enrolment)."""
    if user.totp_secret is None:
        return None
    return _cipher().decrypt(user.totp_secret, context=_TOTP_CONTEXT)


def limits_of(user: User, now: datetime | None = None) -> frozenset[rules.Limit]:
    """Why a session of ``user`` is confined to the own account right now (derived from the
    account, so a finished password change or TOTP enrolment lifts it at once)."""
    settings = get_settings()
    local = user.password_hash != passwords.UNUSABLE_HASH
    expired = local and rules.password_expired(
        settings.password_profile,
        user.password_changed_at,
        now or utcnow(),
        max_age_days=settings.password_max_age_days,
    )
    return rules.session_limits(
        must_change_password=local and (user.must_change_password or expired),
        totp_setup=rules.needs_totp_setup((r.name for r in user.roles), user.totp_enabled),
    )


def _verify(user: User | None, password: str) -> bool:
    """One argon2 verification whatever the case, so every path costs the same."""
    if user is None or user.password_hash == passwords.UNUSABLE_HASH:
        passwords.verify_password(passwords.dummy_hash(), password)
        return False
    return passwords.verify_password(user.password_hash, password)


def _refuse(
    session: Session,
    attempted: str,
    user: User | None,
    reason: str,
    *,
    code: str = "",
    by: str = "",
) -> LoginOutcome:
    settings = get_settings()
    audit.record(
        session,
        action="iam.login",
        object_type="iam_user",
        object_id=str(user.id) if user else "",
        region_code=user.region_code if user else "",
        outcome="failure",
        actor=attempted[:64],
        role="",
        detail={"reason": reason, "by": by} if by else {"reason": reason},
    )
    if code == "totp_required":
        return LoginOutcome(401, code, "请输入动态口令 (TOTP)")
    if code == "invalid_totp":
        return LoginOutcome(401, code, "动态口令错误或已使用过")
    return LoginOutcome(
        401,
        "invalid_credentials",
        f"用户名或密码错误 (连续失败 {settings.lockout_threshold} 次,"
        f" 账号将锁定 {settings.lockout_minutes} 分钟)",
    )


def _count_failure(session: Session, user: User, now: datetime) -> None:
    settings = get_settings()
    user.failed_count, user.locked_until = rules.after_failure(
        user.failed_count,
        now,
        threshold=settings.lockout_threshold,
        minutes=settings.lockout_minutes,
    )
    session.flush()
    if user.locked_until is not None:
        audit.record(
            session,
            action="iam.user.locked",
            object_type="iam_user",
            object_id=str(user.id),
            region_code=user.region_code,
            outcome="success",
            actor="system",
            role="",
            detail={"username": user.username, "until": user.locked_until.isoformat()},
        )


def login(
    session: Session, *, username: str, password: str, totp: str | None = None, source_ip: str = ""
) -> LoginOutcome:
    """Check the credentials (and TOTP once enrolled) and start a new session.

    Never raises for bad credentials; the outcome says 401 with ``invalid_credentials``,
    ``totp_required`` (password right, code missing) or ``invalid_totp``. A wrong password or
    code counts towards the lock (``lockout_threshold`` failures → ``lockout_minutes``); while
    locked nothing is counted and even the right password is refused. On success the counter
    is reset, an outdated hash is upgraded, and the session may be limited (forced password
    change, TOTP set-up for administrators). Every attempt is audited as ``iam.login``.

    Before all that, the throttle (``iam.throttle``): once the address or the user name has
    failed too often in the window, the outcome is 429 ``too_many_attempts`` with
    ``retry_after`` seconds, the same for every user name, and no password is checked. Every
    401 for bad credentials or code counts towards both throttle counters.
    """
    settings = get_settings()
    now = utcnow()
    keys = throttle.keys_for(username, source_ip, settings)
    window = timedelta(minutes=settings.login_throttle_window_minutes)
    blocked = throttle.retry_after(session, keys, now, window=window)
    if blocked is not None:
        seconds, by = blocked
        _refuse(session, username, None, "throttled", by=by)
        minutes = math.ceil(seconds / 60)
        return LoginOutcome(
            429,
            "too_many_attempts",
            f"登录尝试过于频繁，请 {minutes} 分钟后再试",
            retry_after=seconds,
        )
    outcome = _attempt(
        session, username=username, password=password, totp=totp, source_ip=source_ip, now=now
    )
    if outcome.code in _COUNTED:
        throttle.count_failure(session, keys, now, window=window)
    elif outcome.ok:
        throttle.clear_name(session, keys)
    return outcome


# Wrong credentials count towards the throttle; "password right, now the code" does not.
_COUNTED = frozenset({"invalid_credentials", "invalid_totp"})


def _attempt(
    session: Session,
    *,
    username: str,
    password: str,
    totp: str | None,
    source_ip: str,
    now: datetime,
) -> LoginOutcome:
    # The row lock (PostgreSQL) serialises concurrent attempts on one account, so parallel
    # guesses cannot slip past the failure count.
    user = session.execute(
        select(User).where(User.username_key == rules.username_key(username)).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        _verify(None, password)
        return _refuse(session, username, None, "unknown_user")
    if rules.is_locked(user.locked_until, now):
        _verify(None, password)
        return _refuse(session, username, user, "locked")
    if not _verify(user, password):
        _count_failure(session, user, now)
        return _refuse(session, username, user, "wrong_password")
    if not user.is_active:
        return _refuse(session, username, user, "disabled")
    if user.totp_enabled:
        if not totp:
            return _refuse(session, username, user, "totp_required", code="totp_required")
        secret = totp_secret_of(user) or ""
        step = rules.totp_step(secret, totp, now, last_step=user.totp_last_step)
        if step is None:
            _count_failure(session, user, now)
            return _refuse(session, username, user, "invalid_totp", code="invalid_totp")
        user.totp_last_step = step
    user.failed_count = 0
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    row, token = sessions.start(session, user_id=user.id, source_ip=source_ip)
    limits = limits_of(user, now)
    roles = ",".join(sorted(r.name for r in user.roles))
    set_actor(session, actor=user.username, role=roles, region_code=user.region_code)
    audit.record(
        session,
        action="iam.login",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
        detail={"session_id": row.id, "limits": sorted(limits), "totp": user.totp_enabled},
    )
    return LoginOutcome(200, "ok", "登录成功", token, row.expires_at, user, limits)


def logout(session: Session, *, session_id: int) -> None:
    """Revoke the caller's session: its token is refused from now on (``session_revoked``).
    Audit ``iam.logout``."""
    row = session.get(LoginSession, session_id)
    if row is None:
        return
    sessions.revoke(session, row)
    audit.record(session, action="iam.logout", object_type="iam_session", object_id=str(row.id))


def enrol_totp(session: Session, *, user: User) -> TotpEnrolment:
    """A fresh TOTP secret (stored SM4-encrypted, not yet in force) and its ``otpauth://`` URI
    for an authenticator app. Refused with ``totp_already_enabled`` (409) once confirmed: a
    stolen session must not be able to replace the second factor. Audit ``iam.totp.enrol``."""
    if user.totp_enabled:
        raise Conflict("已绑定动态口令; 如需更换请联系安全管理员重置", code="totp_already_enabled")
    secret = pyotp.random_base32()
    user.totp_secret = _cipher().encrypt(secret, context=_TOTP_CONTEXT)
    user.totp_last_step = None
    session.flush()
    audit.record(
        session,
        action="iam.totp.enrol",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
    )
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)
    return TotpEnrolment(secret=secret, otpauth_uri=uri)


def confirm_totp(session: Session, *, user: User, code: str) -> None:
    """Turn the enrolled secret on after the user proves it with a current code.

    Refused with ``totp_not_enrolled`` (409), ``totp_already_enabled`` (409) or
    ``invalid_totp`` (422). Audit ``iam.totp.confirm``.
    """
    if user.totp_enabled:
        raise Conflict("已绑定动态口令", code="totp_already_enabled")
    secret = totp_secret_of(user)
    if secret is None:
        raise Conflict("请先生成动态口令密钥", code="totp_not_enrolled")
    if rules.totp_step(secret, code, utcnow(), last_step=None) is None:
        raise BadInput("动态口令错误", code="invalid_totp")
    user.totp_enabled = True
    session.flush()
    audit.record(
        session,
        action="iam.totp.confirm",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
    )


def reset_totp(session: Session, *, user: User, actor: Principal | None = None) -> User:
    """Remove a user's second factor (lost phone); they enrol again at the next login, and an
    administrator's sessions are confined to enrolment until then. Refused with
    ``out_of_scope`` (403). Audit ``iam.totp.reset``."""
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    sessions.revoke_all(session, user_id=user.id)
    session.flush()
    audit.record(
        session,
        action="iam.totp.reset",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
    )
    return user
