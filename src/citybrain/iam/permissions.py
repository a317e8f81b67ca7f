"""Permission codes (``<domain>:<verb>``), the built-in roles and the 三权分立 rules.

Pure: no session, no I/O. A role is a named set of codes; a user's permissions are the union of
their roles' codes. Each domain declares its own codes and which built-in roles hold them
(``core.permissions.declare``); ``iam`` declares only its own and reads the rest from the
registry. Custom roles keep their codes in ``iam_role_permission``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from citybrain.core.permissions import BuiltinRolesView, CatalogueView, declare

SELF: Final = "iam:self"
"""Every signed-in user holds it besides their roles' codes: read the own profile, change the own
password, enrol TOTP. A session limited to a forced password change or TOTP set-up holds nothing
else. API keys never hold it."""

SYSADMIN, SECADMIN, AUDITADMIN = "sysadmin", "secadmin", "auditadmin"
ADMIN_ROLES: Final = frozenset({SYSADMIN, SECADMIN, AUDITADMIN})

ROLE_TITLES: Final[Mapping[str, str]] = {
    SYSADMIN: "系统管理员",
    SECADMIN: "安全管理员",
    AUDITADMIN: "审计管理员",
    "analyst": "大数据局分析员",
    "handler": "部门办理人",
    "gridworker": "网格员",
    "commander": "指挥中心值班员",
    "leader": "领导",
    "viewer": "只读用户",
    "pii_reviewer": "个人信息核查员",
}

declare(
    "iam",
    {
        SELF: "本人账户 (查看资料、修改密码、绑定二次验证)",
        "iam:user_read": "查看用户",
        "iam:user_manage": "创建、停用用户及重置密码",
        "iam:role_manage": "管理角色与授权",
        "iam:apikey_manage": "管理部门系统 API 密钥",
        "iam:unlock": "解锁账户、重置二次验证",
        "pii:unmask": "查看未脱敏的个人信息",
    },
    granted_to={
        "iam:user_read": {SYSADMIN, SECADMIN},
        "iam:user_manage": {SYSADMIN},
        "iam:apikey_manage": {SYSADMIN},
        "iam:role_manage": {SECADMIN},
        "iam:unlock": {SECADMIN},
        # 等保 least privilege: seeing personal data in clear is a role of its own, with only
        # what finding one person needs. Not analyst: who manages the catalog, ingests and
        # approves sharing should not also read every record in clear; each unmasking is
        # audited with its stated reason (masterdata.unmask).
        "pii:unmask": {"pii_reviewer"},
    },
)

CATALOGUE: Final[Mapping[str, str]] = CatalogueView()
"""``code → Chinese title`` of every code any domain declared (``core.permissions``)."""

BUILTIN_ROLES: Final[Mapping[str, frozenset[str]]] = BuiltinRolesView(ROLE_TITLES)
"""``role → codes`` of the built-in roles, collected from every domain's grants. Built-in roles
take their codes from code, not the database, so an upgrade that adds a code never leaves a
stale copy behind."""

DEPARTMENT_ROLES: Final = frozenset({"handler", "gridworker"})
"""Roles that act for one department. A user holding only these and no department sees no
department's data; every other role without a department is big-data-bureau staff and sees
all departments of its region (``core/scope.py``)."""


def cross_department(role_names: Iterable[str], department_code: str | None) -> bool:
    """Whether a user sees every department of its region: no department, and at least one
    role that is not a department role."""
    return department_code is None and bool(set(role_names) - DEPARTMENT_ROLES)


ADMIN_DOMAINS: Final[Mapping[str, frozenset[str]]] = {
    SYSADMIN: frozenset(
        {"iam:user_manage", "iam:apikey_manage", "regions:manage", "datasource:manage"}
    ),
    SECADMIN: frozenset({"iam:role_manage", "iam:unlock"}),
    AUDITADMIN: frozenset({"audit:read", "audit:export"}),
}
"""The codes that belong to exactly one of the three administrators. No single account, and no
single custom role, may hold codes from two of these domains (三权分立)."""

APIKEY_FORBIDDEN_PREFIXES: Final = ("iam:", "audit:", "pii:", "datasource:")
"""A department system never administers accounts, reads the audit log, reaches registered
databases or unmasks personal data (sharing delivers what an approved request allows, masked)."""


def titles_of(codes: Iterable[str]) -> dict[str, str]:
    """Code → Chinese title from the catalogue, for screens that show names, not codes."""
    return {code: CATALOGUE.get(code, code) for code in sorted(set(codes))}


def unknown_codes(codes: Iterable[str]) -> list[str]:
    """The codes that are not in the catalogue, sorted."""
    return sorted(set(codes) - CATALOGUE.keys())


def admin_domains_of(codes: Iterable[str]) -> list[str]:
    """Which administrator domains ``codes`` reach into, sorted by name."""
    held = set(codes)
    return sorted(name for name, domain in ADMIN_DOMAINS.items() if held & domain)


def separation_violation(codes: Iterable[str], role_names: Iterable[str] = ()) -> list[str]:
    """Empty when the codes and roles respect 三权分立; else the clashing administrator domains.

    Two built-in administrator roles clash even if a custom role would reach the same domains,
    and any mix of codes from two administrator domains clashes.
    """
    names = set(role_names) & ADMIN_ROLES
    domains = set(admin_domains_of(codes)) | names
    return sorted(domains) if len(domains) > 1 else []


def apikey_scope_refused(codes: Iterable[str]) -> list[str]:
    """Scopes an API key may not carry (administration and audit), sorted."""
    return sorted(c for c in set(codes) if c.startswith(APIKEY_FORBIDDEN_PREFIXES))


def codes_of_role(name: str, builtin: bool, stored: Iterable[str]) -> frozenset[str]:
    """A role's codes: from :data:`BUILTIN_ROLES` for a built-in role, else the stored ones."""
    if builtin:
        return BUILTIN_ROLES.get(name, frozenset())
    return frozenset(stored)
