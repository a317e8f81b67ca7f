"""Role commands: the built-in roles, custom roles and their codes, and granting roles to a
user under 三权分立. Every change is audited in the caller's transaction; nothing commits."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.errors import BadInput, Conflict, NotFound, PermissionDenied
from citybrain.core.security import Principal
from citybrain.iam import permissions
from citybrain.iam.models import Role, RolePermission, User, UserRole
from citybrain.regions.scope import ensure_within

_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def role_codes(role: Role) -> frozenset[str]:
    """The permission codes a role grants (code table for built-ins, stored for custom)."""
    return permissions.codes_of_role(
        role.name, role.builtin, (p.code for p in role.stored_permissions)
    )


def user_codes(roles: Iterable[Role]) -> frozenset[str]:
    """The union of the codes of ``roles`` (without the implicit ``iam:self``)."""
    codes: set[str] = set()
    for role in roles:
        codes |= role_codes(role)
    return frozenset(codes)


def ensure_builtin_roles(session: Session) -> None:
    """Create the rows of any missing built-in role (idempotent; their codes live in code)."""
    existing = set(session.execute(select(Role.name).where(Role.builtin.is_(True))).scalars())
    for name in permissions.BUILTIN_ROLES:
        if name not in existing:
            session.add(Role(name=name, title_zh=permissions.ROLE_TITLES[name], builtin=True))
    session.flush()


def roles_by_name(session: Session, names: Iterable[str]) -> list[Role]:
    """The roles named ``names``, in that order; ``NotFound`` (``role_not_found``) for any
    unknown name. Built-in role rows are created on first use."""
    wanted = list(dict.fromkeys(names))
    found = _load(session, wanted)
    if any(n in permissions.BUILTIN_ROLES and n not in found for n in wanted):
        ensure_builtin_roles(session)
        found = _load(session, wanted)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise NotFound(f"角色不存在: {', '.join(missing)}", code="role_not_found", detail=missing)
    return [found[n] for n in wanted]


def _load(session: Session, names: list[str]) -> dict[str, Role]:
    rows = session.execute(select(Role).where(Role.name.in_(names))).scalars()
    return {role.name: role for role in rows}


def check_separation(roles: Iterable[Role]) -> None:
    """``Conflict`` (``separation_of_duties``) when ``roles`` together span two of the three
    administrator domains (系统管理员 / 安全管理员 / 审计管理员)."""
    role_list = list(roles)
    clash = permissions.separation_violation(user_codes(role_list), (r.name for r in role_list))
    if clash:
        raise Conflict(
            "三权分立: 一个账号不能同时拥有系统管理、安全管理、审计管理中的两种职责",
            code="separation_of_duties",
            detail={"domains": clash, "roles": [r.name for r in role_list]},
        )


def grants_administration(roles: Iterable[Role]) -> bool:
    """True when ``roles`` include an administrator role or any administrator-domain code."""
    role_list = list(roles)
    return bool(
        {r.name for r in role_list} & permissions.ADMIN_ROLES
        or permissions.admin_domains_of(user_codes(role_list))
    )


def set_user_roles(
    session: Session, *, user: User, roles: list[str], actor: Principal | None = None
) -> User:
    """Replace the roles of ``user`` with ``roles`` (names).

    Refused: ``out_of_scope`` (403) when the user lies outside the actor's region,
    ``self_assignment`` (403) when the actor changes their own roles, ``role_not_found``
    (404), ``separation_of_duties`` (409). Side effects: one audit record ``iam.user.roles``.
    """
    if actor is not None:
        ensure_within(user.region_code, actor.region_code)
        if actor.kind == "user" and actor.id == user.id:
            raise PermissionDenied("不能修改自己的角色", code="self_assignment")
    new_roles = roles_by_name(session, roles)
    check_separation(new_roles)
    before = sorted(r.name for r in user.roles)
    user.roles = new_roles
    session.flush()
    audit.record(
        session,
        action="iam.user.roles",
        object_type="iam_user",
        object_id=str(user.id),
        region_code=user.region_code,
        detail={"username": user.username, "before": before, "after": [r.name for r in new_roles]},
    )
    return user


def _check_codes(codes: list[str]) -> list[str]:
    unknown = permissions.unknown_codes(codes)
    if unknown:
        raise BadInput(
            f"未知的权限代码: {', '.join(unknown)}", code="unknown_permission", detail=unknown
        )
    clash = permissions.separation_violation(codes)
    if clash:
        raise Conflict(
            "三权分立: 一个角色不能同时包含两种管理员职责的权限",
            code="separation_of_duties",
            detail={"domains": clash},
        )
    return sorted(set(codes))


def create_role(session: Session, *, name: str, title_zh: str, codes: list[str]) -> Role:
    """A custom role (a bureau's own). ``name`` is lower-case ASCII (``[a-z][a-z0-9_]{1,31}``).

    Refused: ``bad_role_name`` (422), ``duplicate_role`` (409), ``unknown_permission`` (422),
    ``separation_of_duties`` (409) for codes of two administrator domains. Audited as
    ``iam.role.create``.
    """
    if not _ROLE_NAME.match(name) or not title_zh.strip() or len(title_zh) > 64:
        raise BadInput(
            "角色标识须为小写字母开头的 2–32 位小写字母、数字或下划线, 且须有中文名称",
            code="bad_role_name",
            detail={"name": name[:64]},
        )
    if name in permissions.BUILTIN_ROLES or _load(session, [name]):
        raise Conflict(f"角色已存在: {name}", code="duplicate_role", detail=name)
    checked = _check_codes(codes)
    role = Role(name=name, title_zh=title_zh.strip(), builtin=False)
    role.stored_permissions = [RolePermission(code=c) for c in checked]
    session.add(role)
    session.flush()
    audit.record(
        session,
        action="iam.role.create",
        object_type="iam_role",
        object_id=name,
        detail={"codes": checked},
    )
    return role


def set_role_permissions(session: Session, *, name: str, codes: list[str]) -> Role:
    """Replace a custom role's codes. Built-in roles are fixed (``builtin_role``, 409).

    Also refused with ``separation_of_duties`` (409) when a holder of the role would then span
    two administrator domains together with their other roles. Audited as
    ``iam.role.permissions``.
    """
    (role,) = roles_by_name(session, [name])
    if role.builtin:
        raise Conflict("内置角色的权限不可修改", code="builtin_role", detail=name)
    checked = _check_codes(codes)
    before = sorted(role_codes(role))
    role.stored_permissions = [RolePermission(code=c) for c in checked]
    session.flush()
    holders = session.execute(
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role_id == role.id)
    ).scalars()
    for holder in holders:
        check_separation(holder.roles)
    audit.record(
        session,
        action="iam.role.permissions",
        object_type="iam_role",
        object_id=name,
        detail={"before": before, "after": checked},
    )
    return role
