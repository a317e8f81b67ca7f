"""Who is calling: a bearer session token (a person) or an ``X-API-Key`` (a department system).

Installed into :mod:`citybrain.core.security` at app start. The resolver validates the
credential, names the actor on the request's session for the audit ledger, and builds the
:class:`Principal` with the union of the roles' codes. A session confined to a forced password
change or TOTP set-up gets only ``iam:self``.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from citybrain.core.audit.directory import install_directory
from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.errors import Unauthenticated
from citybrain.core.security import Principal, install_resolver
from citybrain.core.web import after_transaction
from citybrain.iam import apikeys, auth, permissions, sessions
from citybrain.iam.audit_names import IamAuditDirectory
from citybrain.iam.models import User
from citybrain.iam.roles import user_codes

SESSION_ID_STATE = "iam_session_id"
"""``request.state`` attribute holding the id of the caller's session (for logout)."""


def install() -> None:
    install_resolver(resolve)
    install_directory(IamAuditDirectory())  # the audit log shows people's and roles' names


def resolve(request: Request, session: Session) -> Principal:
    """The caller, or ``Unauthenticated``: ``unauthenticated`` (no credential),
    ``invalid_token`` / ``session_revoked`` / ``session_expired`` / ``account_disabled`` for a
    token, ``invalid_api_key`` / ``api_key_revoked`` / ``api_key_expired`` for a key."""
    header = request.headers.get("Authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("登录凭证无效", code="invalid_token")
        return _from_session(request, session, token.strip())
    key = request.headers.get("X-API-Key")
    if key:
        return _from_api_key(session, key)
    raise Unauthenticated("请先登录", code="unauthenticated")


def _from_session(request: Request, session: Session, token: str) -> Principal:
    row = sessions.validate(session, token)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated("账号已停用", code="account_disabled")
    now, session_id = utcnow(), row.id
    if sessions.needs_touch(row, now):
        # Not in this transaction: that would make every GET a writer (see core/web.py).
        factory = request.app.state.session_factory
        after_transaction(session, lambda: sessions.touch(factory, session_id=session_id, now=now))
    setattr(request.state, SESSION_ID_STATE, row.id)
    role_names = tuple(sorted(r.name for r in user.roles))
    limited = bool(auth.limits_of(user))
    codes = (
        frozenset({permissions.SELF}) if limited else user_codes(user.roles) | {permissions.SELF}
    )
    set_actor(session, actor=user.username, role=",".join(role_names), region_code=user.region_code)
    return Principal(
        kind="user",
        id=user.id,
        name=user.username,
        region_code=user.region_code,
        roles=role_names,
        permissions=codes,
        department_code=user.department_code,
        cross_department=permissions.cross_department(role_names, user.department_code),
    )


def _from_api_key(session: Session, plain: str) -> Principal:
    key = apikeys.authenticate(session, plain)
    set_actor(session, actor=f"apikey:{key.name}", role="apikey", region_code=key.region_code)
    return Principal(
        kind="apikey",
        id=key.id,
        name=key.name,
        region_code=key.region_code,
        permissions=apikeys.scopes_of(key),
    )
