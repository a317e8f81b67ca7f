"""The permission catalogue, the built-in roles and the 三权分立 predicate (pure)."""

from __future__ import annotations

import pytest

from citybrain.iam import permissions as p


def test_every_builtin_code_is_in_the_catalogue():
    for name, codes in p.BUILTIN_ROLES.items():
        assert not p.unknown_codes(codes), name
        assert name in p.ROLE_TITLES


def test_codes_are_domain_colon_verb():
    for code in p.CATALOGUE:
        domain, _, verb = code.partition(":")
        assert domain
        assert verb
        assert code == code.lower()


def test_the_three_administrators_stay_in_their_lanes():
    assert p.BUILTIN_ROLES[p.AUDITADMIN] == {"audit:read", "audit:export"}
    assert not any(c.startswith("audit:") for c in p.BUILTIN_ROLES[p.SYSADMIN])
    assert not any(c.startswith("audit:") for c in p.BUILTIN_ROLES[p.SECADMIN])
    assert "iam:user_manage" in p.BUILTIN_ROLES[p.SYSADMIN]
    assert "iam:role_manage" not in p.BUILTIN_ROLES[p.SYSADMIN]
    assert {"iam:role_manage", "iam:unlock"} <= p.BUILTIN_ROLES[p.SECADMIN]
    for name, codes in p.BUILTIN_ROLES.items():
        assert p.admin_domains_of(codes) == ([name] if name in p.ADMIN_ROLES else []), name


@pytest.mark.parametrize(
    ("codes", "roles", "clash"),
    [
        (["iam:user_manage"], [], []),
        (["audit:read", "audit:export"], [], []),
        (["audit:read", "iam:user_manage"], [], ["auditadmin", "sysadmin"]),
        (["iam:unlock", "regions:manage"], [], ["secadmin", "sysadmin"]),
        (["iam:user_read", "audit:read"], [], []),  # reading users is nobody's lane
        ([], ["sysadmin", "auditadmin"], ["auditadmin", "sysadmin"]),
        (sorted(p.BUILTIN_ROLES["sysadmin"] | p.BUILTIN_ROLES["analyst"]), [], []),
    ],
)
def test_separation_violation(codes, roles, clash):
    assert p.separation_violation(codes, roles) == clash


def test_api_keys_never_carry_administration_audit_or_unmasking():
    assert p.apikey_scope_refused(
        ["catalog:read", "iam:user_read", "audit:read", "pii:unmask"]
    ) == [
        "audit:read",
        "iam:user_read",
        "pii:unmask",
    ]
    assert p.apikey_scope_refused(["sharing:request"]) == []


def test_custom_roles_take_stored_codes_builtins_take_the_code_table():
    assert p.codes_of_role("viewer", True, ["audit:read"]) == p.BUILTIN_ROLES["viewer"]
    assert p.codes_of_role("mine", False, ["catalog:read"]) == {"catalog:read"}


def test_only_the_pii_reviewer_unmasks_and_it_can_do_little_else() -> None:
    holders = [name for name, codes in p.BUILTIN_ROLES.items() if "pii:unmask" in codes]
    assert holders == ["pii_reviewer"]
    reviewer = p.BUILTIN_ROLES["pii_reviewer"]
    assert reviewer == {"regions:read", "masterdata:read", "pii:unmask"}
    assert not p.admin_domains_of(reviewer)
    assert "pii:unmask" not in p.BUILTIN_ROLES["analyst"]
    assert p.ROLE_TITLES["pii_reviewer"] == "个人信息核查员"
