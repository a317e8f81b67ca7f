"""Account commands: create, passwords, disable/enable, unlock, and the three administrators.

Every function flushes (never commits) and appends its audit record in the caller's
transaction, so a refused command leaves nothing behind. ``actor`` is the calling principal;
``None`` means the operator at the command line, who is not confined to a region.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybrain.core.audit import refusals
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.errors import BadInput, Conflict, PermissionDenied
from citybrain.core.security import Principal
from citybrain.iam import passwords, permissions, sessions
from citybrain.iam import roles as role_service
from citybrain.iam.departments import get_department
from citybrain.iam.models import PasswordHistory, User
from citybrain.iam.rules import normalise_username
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import ensure_within, normalise_code

__all__ = [
    "CreatedAccount",
    "change_password",
    "create_admin_accounts",
    "create_user",
    "disable_user",
    "enable_user",
    "reset_password",
    "set_department",
    "set_password",
    "unlock_user",
]


@dataclass(frozen=True, slots=True)
class CreatedAccount:
    username: str
    role: str
    password: str


def _audit_user(session: Session, action: str, user: User, **detail: object) -> None:
    audit.record(
        session,
        action=action,
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
        detail={"username": user.username, **detail},
    )


def _check_new_password(
    session: Session, *, user_id: int | None, username: str, password: str
) -> None:
    settings = get_settings()
    history = _history(session, user_id, settings.password_history) if user_id else []
    breached = None
    if settings.breached_passwords_file is not None:
        breached = passwords.breached_list(settings.breached_passwords_file)
    violations = passwords.check_policy(
        settings.password_profile,
        password,
        username,
        history,
        history=settings.password_history,
        breached=breached,
    )
    if violations:
        items = passwords.describe(
            violations, profile=settings.password_profile, history=settings.password_history
        )
        code = "password_reused" if violations == ["reused"] else "weak_password"
        raise BadInput("；".join(i["message"] for i in items), code=code, detail=items)


def _history(session: Session, user_id: int, count: int) -> list[str]:
    if count <= 0:
        return []
    query = (
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .limit(count)
    )
    return list(session.execute(query).scalars())


def _store_password(session: Session, user: User, password: str, *, must_change: bool) -> None:
    """Hash, remember in the history (the newest N kept), and date the change."""
    now = utcnow()
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.must_change_password = must_change
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    session.flush()
    keep = max(get_settings().password_history, 1)
    stale = (
        select(PasswordHistory.id)
        .where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc(), PasswordHistory.id.desc())
        .offset(keep)
    )
    stale_ids = list(session.execute(stale).scalars())
    if stale_ids:
        session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(stale_ids)))


def _duplicate(session: Session, key: str) -> bool:
    query = select(User.id).where(User.username_key == key)
    return session.execute(query).first() is not None


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    region_code: str,
    roles: list[str] | tuple[str, ...] = (),
    display_name: str = "",
    must_change_password: bool = True,
    department_code: str | None = None,
    actor: Principal | None = None,
) -> User:
    """A local account with an argon2id password, its roles and its department (or none).

    Invariants: the user name is unique case- and width-insensitively (NFKC + casefold); the
    region exists and lies inside the actor's region; the department, when given, exists
    (``department_not_found``, 404) and lies inside the user's region
    (``department_out_of_region``, 422); the password passes the configured
    policy; the roles respect 三权分立; granting an administrator role needs
    ``iam:role_manage``. Refused with ``bad_username`` / ``bad_region_code`` /
    ``weak_password`` (422), ``region_not_found`` / ``role_not_found`` (404),
    ``out_of_scope`` / ``admin_grant_denied`` (403), ``duplicate_username`` /
    ``separation_of_duties`` (409) — all checked before anything is written.
    Side effects: the user, its first password-history entry, audit ``iam.user.create``.
    """
    display, key = normalise_username(username)
    region = normalise_code(region_code)
    if actor is not None:
        ensure_within(region, actor.region_code)
    region_queries.get(session, region)
    department = _check_department(session, department_code, region)
    _check_new_password(session, user_id=None, username=display, password=password)
    role_rows = role_service.roles_by_name(session, roles)
    role_service.check_separation(role_rows)
    if (
        actor is not None
        and not actor.has("iam:role_manage")
        and role_service.grants_administration(role_rows)
    ):
        raise PermissionDenied(
            "授予管理员角色须由安全管理员操作", code="admin_grant_denied", detail=list(roles)
        )
    if _duplicate(session, key):
        raise Conflict(f"用户名已存在: {display}", code="duplicate_username", detail=display)
    user = insert_account(
        session,
        username=display,
        key=key,
        region_code=region,
        display_name=display_name,
        password_hash=passwords.UNUSABLE_HASH,
    )
    _store_password(session, user, password, must_change=must_change_password)
    user.roles = role_rows
    user.department_code = department
    session.flush()
    _audit_user(
        session, "iam.user.create", user, roles=[r.name for r in role_rows], department=department
    )
    return user


def _check_department(session: Session, code: str | None, region_code: str) -> str | None:
    """The department code to store (None for none), refused unless it exists and lies in the
    user's region subtree: a user of 620722 may work for 县公安局 (620722) or a township's
    office below it, never for a department of 510903."""
    if code is None or not code.strip():
        return None
    department = get_department(session, code.strip())
    if not department.region_code.startswith(region_code):
        raise BadInput(
            f"部门“{department.name}”不在该用户的辖区内",
            code="department_out_of_region",
            detail={"department_code": department.code, "region_code": region_code},
        )
    return department.code


def set_department(
    session: Session, *, user: User, department_code: str | None, actor: Principal | None
) -> User:
    """Move a user into a department (or out of every department with None).

    The user must lie inside the actor's region (``out_of_scope``, 403), the department must
    exist (``department_not_found``, 404) and lie in the user's region
    (``department_out_of_region``, 422). The user's sessions are revoked, so the next request
    is answered with the new scope. Audit ``iam.user.department``.
    """
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
    department = _check_department(session, department_code, user.region_code)
    before = user.department_code
    if before == department:
        return user
    user.department_code = department
    revoked = sessions.revoke_all(session, user_id=user.id)
    session.flush()
    _audit_user(
        session, "iam.user.department", user, before=before, after=department,
        sessions_revoked=revoked,
    )  # fmt: skip
    return user


def insert_account(
    session: Session,
    *,
    username: str,
    key: str,
    region_code: str,
    display_name: str,
    password_hash: str,
    oidc_subject: str | None = None,
) -> User:
    """A bare account row (no roles, no history, no audit): the building block of
    :func:`create_user`, :func:`create_admin_accounts` and the OIDC provisioning, which do
    their own checks and auditing."""
    user = User(
        username=username,
        username_key=key,
        region_code=region_code,
        display_name=display_name.strip()[:64],
        password_hash=password_hash,
        must_change_password=False,
        password_changed_at=utcnow(),
        oidc_subject=oidc_subject,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str, must_change: bool = False) -> None:
    """Replace a password after the policy check (history included under cn-dengbao).

    Refused with ``weak_password`` / ``password_reused`` (422). Side effects: the history
    keeps the newest ``password_history`` hashes; audit ``iam.password.set``.
    """
    _check_new_password(session, user_id=user.id, username=user.username, password=password)
    _store_password(session, user, password, must_change=must_change)
    _audit_user(session, "iam.password.set", user)


def change_password(
    session: Session,
    *,
    user: User,
    old_password: str,
    new_password: str,
    keep_session_id: int | None = None,
) -> None:
    """The user changes their own password; this lifts a forced change.

    Refused with ``wrong_password`` (422) when ``old_password`` does not match and with
    ``weak_password`` / ``password_reused`` (422). Side effects: every other session of the
    user is revoked (``keep_session_id`` survives); audit ``iam.password.change``.
    """
    if not passwords.verify_password(user.password_hash, old_password):
        _refuse_change(session, user, "wrong_password")
        raise BadInput("原密码不正确", code="wrong_password")
    try:
        _check_new_password(session, user_id=user.id, username=user.username, password=new_password)
    except BadInput as refused:
        violations = [i["code"] for i in refused.detail] if isinstance(refused.detail, list) else []
        _refuse_change(session, user, refused.code, violations=violations)
        raise
    _store_password(session, user, new_password, must_change=False)
    revoked = sessions.revoke_all(session, user_id=user.id, keep_id=keep_session_id)
    _audit_user(session, "iam.password.change", user, other_sessions_revoked=revoked)


def _refuse_change(session: Session, user: User, code: str, **detail: object) -> None:
    # the request is rolled back, so the refusal is recorded in a transaction of its own
    refusals.record_refusal(
        session,
        action="iam.password.change_refused",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
        detail={"username": user.username, "code": code, **detail},
    )


def reset_password(session: Session, *, user: User, actor: Principal | None = None) -> str:
    """A random one-time password that must be changed at the next login (returned once).

    The account is also unlocked and all its sessions are revoked. Refused with
    ``out_of_scope`` (403). Audit ``iam.password.reset`` (without the password).
    """
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
    password = passwords.generate_password()
    _store_password(session, user, password, must_change=True)
    user.failed_count, user.locked_until = 0, None
    sessions.revoke_all(session, user_id=user.id)
    _audit_user(session, "iam.password.reset", user)
    return password


def disable_user(session: Session, *, user: User, actor: Principal | None = None) -> User:
    """Disable an account and revoke its sessions; its API-visible record stays.

    Refused with ``out_of_scope`` or ``self_disable`` (403). Audit ``iam.user.disable``.
    """
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
        if actor.kind == "user" and actor.id == user.id:
            raise PermissionDenied("不能停用自己的账号", code="self_disable")
    user.is_active = False
    revoked = sessions.revoke_all(session, user_id=user.id)
    session.flush()
    _audit_user(session, "iam.user.disable", user, sessions_revoked=revoked)
    return user


def enable_user(session: Session, *, user: User, actor: Principal | None = None) -> User:
    """Re-enable a disabled account. Refused with ``out_of_scope`` (403). Audit
    ``iam.user.enable``."""
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
    user.is_active = True
    session.flush()
    _audit_user(session, "iam.user.enable", user)
    return user


def unlock_user(session: Session, *, user: User, actor: Principal | None = None) -> User:
    """Lift a login lock and forget the failed attempts. Refused with ``out_of_scope`` (403).
    Audit ``iam.user.unlock``."""
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
    user.failed_count, user.locked_until = 0, None
    session.flush()
    _audit_user(session, "iam.user.unlock", user)
    return user


def create_admin_accounts(session: Session) -> list[CreatedAccount]:
    """The three administrators ``sysadmin``, ``secadmin``, ``auditadmin`` (one role each, 三权分立)
    with random one-time passwords in the installation's own region (``demo_region``).

    Idempotent: a name that exists is left alone, so a second ``citybrain init`` answers [].
    The region need not be loaded yet (init runs before the regions). Each must change the
    password and enrol TOTP at first login. Built-in role rows are created or completed.
    Audit ``iam.user.create`` per account (never the password).
    """
    role_service.ensure_builtin_roles(session)
    region = normalise_code(get_settings().demo_region)
    created: list[CreatedAccount] = []
    for name in (permissions.SYSADMIN, permissions.SECADMIN, permissions.AUDITADMIN):
        if _duplicate(session, name):
            continue
        password = passwords.generate_password()
        user = insert_account(
            session,
            username=name,
            key=name,
            region_code=region,
            display_name=permissions.ROLE_TITLES[name],
            password_hash=passwords.UNUSABLE_HASH,
        )
        _store_password(session, user, password, must_change=True)
        user.roles = role_service.roles_by_name(session, [name])
        session.flush()
        _audit_user(session, "iam.user.create", user, roles=[name])
        created.append(CreatedAccount(username=name, role=name, password=password))
    return created
