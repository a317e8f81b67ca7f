"""三权分立: the permission matrix of the three administrators, and the refusals that keep one
account (or one role) from holding two of their duties."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from citybrain.core.errors import Conflict
from citybrain.iam import roles as role_service
from citybrain.iam import service

PASSWORD = "Cb-test-2024!pass"
_names = itertools.count(1)


def _body(kind: str) -> dict:
    n = next(_names)
    bodies = {
        "user": {"username": f"matrix{n}", "password": PASSWORD, "region_code": "620722"},
        "role": {
            "name": f"matrix_role_{n}",
            "title_zh": "矩阵测试",
            "permissions": ["catalog:read"],
        },
        "roles": {"roles": ["viewer"]},
        "apikey": {"name": f"系统{n}", "region_code": "620722", "scopes": ["catalog:read"]},
    }
    return bodies[kind]


# (method, path, body kind, sysadmin, secadmin, auditadmin)
MATRIX = [
    ("GET", "/api/v1/audit/records", None, 403, 403, 200),
    ("GET", "/api/v1/audit/export", None, 403, 403, 200),
    ("GET", "/api/v1/audit/verify", None, 403, 403, 200),
    ("GET", "/api/v1/iam/me", None, 200, 200, 200),
    ("GET", "/api/v1/iam/password-policy", None, 200, 200, 200),
    ("GET", "/api/v1/iam/users", None, 200, 200, 403),
    ("POST", "/api/v1/iam/users", "user", 201, 403, 403),
    ("GET", "/api/v1/iam/users/{victim}", None, 200, 200, 403),
    ("POST", "/api/v1/iam/users/{victim}/disable", None, 200, 403, 403),
    ("POST", "/api/v1/iam/users/{victim}/password-reset", None, 200, 403, 403),
    ("POST", "/api/v1/iam/users/{victim}/unlock", None, 403, 200, 403),
    ("POST", "/api/v1/iam/users/{victim}/totp-reset", None, 403, 200, 403),
    ("PUT", "/api/v1/iam/users/{victim}/roles", "roles", 403, 200, 403),
    ("GET", "/api/v1/iam/roles", None, 200, 200, 403),
    ("POST", "/api/v1/iam/roles", "role", 403, 201, 403),
    ("GET", "/api/v1/iam/permissions", None, 200, 200, 403),
    ("GET", "/api/v1/iam/apikeys", None, 200, 403, 403),
    ("POST", "/api/v1/iam/apikeys", "apikey", 201, 403, 403),
    ("GET", "/api/v1/regions/620722", None, 200, 200, 403),
]
ROLES = ("sysadmin", "secadmin", "auditadmin")
CASES = [
    pytest.param(role, method, path, kind, row[3 + i], id=f"{role}-{method}-{path}")
    for row in MATRIX
    for i, role in enumerate(ROLES)
    for method, path, kind in [row[:3]]
]


@pytest.mark.parametrize(("role", "method", "path", "kind", "expected"), CASES)
def test_permission_matrix(client, login, make_user, role, method, path, kind, expected):
    victim = make_user("viewer")
    headers = login(role)
    url = path.format(victim=victim.user.id)
    response = client.request(method, url, headers=headers, json=_body(kind) if kind else None)
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["code"] == "permission_denied"


def test_sysadmin_cannot_read_the_audit_log(client, login):
    response = client.get("/api/v1/audit/records", headers=login("sysadmin"))
    assert response.status_code == 403
    assert response.json()["detail"] == "audit:read"


def test_auditadmin_reads_and_exports_and_nothing_else(client, login):
    headers = login("auditadmin")
    records = client.get("/api/v1/audit/records", headers=headers)
    assert records.status_code == 200
    actions = {item["action"] for item in records.json()["items"]}
    assert "iam.login" in actions
    export = client.get("/api/v1/audit/export", headers=headers)
    assert export.status_code == 200
    assert export.text.strip()
    create = client.post("/api/v1/iam/users", json=_body("user"), headers=headers)
    assert create.status_code == 403
    me = client.get("/api/v1/iam/me", headers=headers).json()
    assert set(me["permissions"]) == {"audit:read", "audit:export", "iam:self"}


def test_one_account_cannot_hold_two_administrator_roles(client, login, make_user):
    target = make_user("sysadmin")
    response = client.put(
        f"/api/v1/iam/users/{target.user.id}/roles",
        json={"roles": ["sysadmin", "auditadmin"]},
        headers=login("secadmin"),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "separation_of_duties"


@pytest.mark.parametrize(
    "roles", [["sysadmin", "auditadmin"], ["sysadmin", "secadmin"], ["secadmin", "auditadmin"]]
)
def test_creating_a_user_with_two_admin_roles_is_refused(session: Session, roles):
    with pytest.raises(Conflict) as caught:
        service.create_user(
            session,
            username=f"dual{next(_names)}",
            password=PASSWORD,
            region_code="620722",
            roles=roles,
        )
    assert caught.value.code == "separation_of_duties"


def test_a_custom_role_cannot_mix_two_admin_domains(client, login):
    response = client.post(
        "/api/v1/iam/roles",
        json={
            "name": "superuser",
            "title_zh": "超级用户",
            "permissions": ["audit:read", "iam:user_manage"],
        },
        headers=login("secadmin"),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "separation_of_duties"


def test_a_custom_admin_role_cannot_be_combined_with_another_admin_role(session, make_user):
    role_service.create_role(
        session, name="account_clerk", title_zh="账号专员", codes=["iam:user_manage"]
    )
    account = make_user("auditadmin")
    with pytest.raises(Conflict):
        role_service.set_user_roles(
            session, user=account.user, roles=["auditadmin", "account_clerk"]
        )


def test_widening_a_role_is_refused_when_a_holder_would_break_separation(session, make_user):
    role_service.create_role(session, name="reporter", title_zh="报表员", codes=["catalog:read"])
    make_user("auditadmin", roles=["auditadmin", "reporter"])
    with pytest.raises(Conflict) as caught:
        role_service.set_role_permissions(session, name="reporter", codes=["regions:manage"])
    assert caught.value.code == "separation_of_duties"


def test_sysadmin_cannot_grant_administrator_roles(client, login):
    body = {**_body("user"), "roles": ["auditadmin"]}
    response = client.post("/api/v1/iam/users", json=body, headers=login("sysadmin"))
    assert response.status_code == 403
    assert response.json()["code"] == "admin_grant_denied"
    ordinary = client.post(
        "/api/v1/iam/users", json={**_body("user"), "roles": ["analyst"]}, headers=login("sysadmin")
    )
    assert ordinary.status_code == 201


def test_nobody_changes_their_own_roles(client, make_user, sign_in):
    account = make_user("secadmin")
    response = client.put(
        f"/api/v1/iam/users/{account.user.id}/roles",
        json={"roles": ["secadmin", "analyst"]},
        headers=sign_in(account),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "self_assignment"


def test_builtin_roles_are_fixed(client, login):
    response = client.put(
        "/api/v1/iam/roles/viewer/permissions",
        json={"permissions": ["pii:unmask"]},
        headers=login("secadmin"),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "builtin_role"


def test_custom_role_grants_its_codes(client, login, make_user, sign_in):
    secadmin = login("secadmin")
    created = client.post(
        "/api/v1/iam/roles",
        json={
            "name": "data_checker",
            "title_zh": "数据核查员",
            "permissions": ["pii:unmask", "catalog:read"],
        },
        headers=secadmin,
    )
    assert created.status_code == 201
    assert created.json()["permissions"] == ["catalog:read", "pii:unmask"]
    account = make_user("viewer")
    assign = client.put(
        f"/api/v1/iam/users/{account.user.id}/roles",
        json={"roles": ["viewer", "data_checker"]},
        headers=secadmin,
    )
    assert assign.status_code == 200
    me = client.get("/api/v1/iam/me", headers=sign_in(account)).json()
    assert "pii:unmask" in me["permissions"]
    listed = client.get("/api/v1/iam/roles", headers=secadmin).json()
    assert {"data_checker", "sysadmin", "viewer"} <= {r["name"] for r in listed}
