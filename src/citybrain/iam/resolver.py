"""Who is calling: a bearer session token (a person) or an ``X-API-Key`` (a department system).

Installed into :mod:`citybrain.core.security` at app start. The resolver validates the
credential, names the actor on the request's session for the audit ledger, and builds the
:class:`Principal` with the union of the roles' codes. A session confined to a forced password
change or TOTP set-up gets only ``iam:self``.

The answer is remembered for a few seconds (:mod:`citybrain.iam.principal_cache`):
:func:`from_cache` answers a known credential on the event loop without touching the database,
and :func:`resolve` — the database — is asked only when it cannot.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.audit.directory import install_directory
from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.errors import Unauthenticated
from citybrain.core.security import Principal, install_resolver
from citybrain.core.web import after_transaction, settings_of_app
from citybrain.iam import apikeys, auth, permissions, principal_cache, sessions
from citybrain.iam.audit_names import IamAuditDirectory
from citybrain.iam.models import User
from citybrain.iam.principal_cache import CACHE, Entry
from citybrain.iam.roles import user_codes

SESSION_ID_STATE = "iam_session_id"
"""``request.state`` attribute holding the id of the caller's session (for logout)."""


def install() -> None:
    principal_cache.install()
    install_resolver(resolve, cached=from_cache)
    install_directory(IamAuditDirectory())  # the audit log shows people's and roles' names


def _credential(request: Request) -> tuple[str, str]:
    """("session", token) or ("apikey", key) from the headers, or ``Unauthenticated``."""
    header = request.headers.get("Authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("登录凭证无效", code="invalid_token")
        return "session", token.strip()
    key = request.headers.get("X-API-Key")
    if key:
        return "apikey", key.strip()
    raise Unauthenticated("请先登录", code="unauthenticated")


def resolve(request: Request, session: Session) -> Principal:
    """The caller, or ``Unauthenticated``: ``unauthenticated`` (no credential),
    ``invalid_token`` / ``session_revoked`` / ``session_expired`` / ``account_disabled`` for a
    token, ``invalid_api_key`` / ``api_key_revoked`` / ``api_key_expired`` for a key."""
    kind, credential = _credential(request)
    generation = CACHE.generation  # before reading: a change after it voids what we read
    digest = sessions.digest(credential)
    if kind == "session":
        entry = _session_entry(session, credential, digest)
    else:
        entry = _api_key_entry(session, credential)
    if settings_of_app(request).auth_cache_seconds > 0:
        CACHE.put(digest, entry, generation=generation)
    return _admit(request, session, kind, entry)


def from_cache(request: Request, session: Session) -> Principal | None:
    """The caller from the cache, checked against the clock; None when not remembered. Does
    no I/O (it runs on the event loop)."""
    ttl = settings_of_app(request).auth_cache_seconds
    if ttl <= 0:
        return None
    kind, credential = _credential(request)
    entry = CACHE.get(sessions.digest(credential), ttl=ttl)
    if entry is None or (entry.principal.kind == "user") != (kind == "session"):
        return None
    if kind == "session":
        assert entry.last_seen_at is not None  # noqa: S101 - sessions always have one
        sessions.check_live(last_seen_at=entry.last_seen_at, expires_at=entry.expires_at)
    else:
        apikeys.check_unexpired(entry.expires_at)
    return _admit(request, session, kind, entry)


def _session_entry(session: Session, token: str, digest: str) -> Entry:
    row = sessions.validate(session, token, token_hash=digest)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("账号已停用", code="account_disabled")
    role_names = tuple(sorted(r.name for r in user.roles))
    limited = bool(auth.limits_of(user))
    codes = (
        frozenset({permissions.SELF}) if limited else user_codes(user.roles) | {permissions.SELF}
    )
    principal = Principal(
        kind="user",
        id=user.id,
        name=user.username,
        region_code=user.region_code,
        roles=role_names,
        permissions=codes,
        department_code=user.department_code,
        cross_department=permissions.cross_department(role_names, user.department_code),
    )
    return Entry(
        principal=principal,
        actor=user.username,
        role=",".join(role_names),
        fetched_at=CACHE.clock(),
        row_id=row.id,
        expires_at=row.expires_at,
        last_seen_at=row.last_seen_at,
    )


def _api_key_entry(session: Session, plain: str) -> Entry:
    key = apikeys.authenticate(session, plain)
    principal = Principal(
        kind="apikey",
        id=key.id,
        name=key.name,
        region_code=key.region_code,
        permissions=apikeys.scopes_of(key),
    )
    return Entry(
        principal=principal,
        actor=f"apikey:{key.name}",
        role="apikey",
        fetched_at=CACHE.clock(),
        row_id=key.id,
        expires_at=key.expires_at,
        last_seen_at=key.last_used_at,
    )


def _admit(request: Request, session: Session, kind: str, entry: Entry) -> Principal:
    """Name the actor on the request's session and ask for the once-a-minute touch."""
    principal = entry.principal
    set_actor(session, actor=entry.actor, role=entry.role, region_code=principal.region_code)
    if kind == "session":
        setattr(request.state, SESSION_ID_STATE, entry.row_id)
    now = utcnow()
    due = (
        sessions.needs_touch(entry.last_seen_at, now)
        if kind == "session" and entry.last_seen_at is not None
        else apikeys.needs_touch(entry.last_seen_at, now)
    )
    if due and not entry.touching:
        # Not in this transaction: that would make every GET a writer (see core/web.py).
        entry.touching = True
        factory = request.app.state.session_factory
        after_transaction(session, lambda: _touch(factory, kind, entry, now))
    return principal


def _touch(factory: sessionmaker[Session], kind: str, entry: Entry, now: datetime) -> None:
    try:
        if kind == "session":
            done = sessions.touch(factory, session_id=entry.row_id, now=now)
        else:
            done = apikeys.touch(factory, key_id=entry.row_id, now=now)
        if done is not None:  # written, or someone else wrote it: due again in a minute
            entry.last_seen_at = now
    finally:
        entry.touching = False  # skipped as busy: the next request tries again
