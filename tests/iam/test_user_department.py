"""A user belongs to one department of their region or to none: API, CLI, /me and sessions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.cli import iam as iam_cli
from citybrain.core.audit.models import AuditRecord
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.core.errors import BadInput, NotFound
from citybrain.iam import service
from citybrain.iam.departments import ensure_department
from citybrain.iam.models import User

USERS = "/api/v1/iam/users"


@pytest.fixture
def departments(session: Session) -> None:
    for code, name, region in (
        ("620722-GA", "民乐县公安局", "620722"),
        ("620722-MZ", "民乐县民政局", "620722"),
        ("510903-GA", "船山区公安分局", "510903"),
    ):
        ensure_department(session, code=code, name=name, short_name=name[-3:], region_code=region)
    session.flush()


@pytest.mark.usefixtures("departments")
def test_create_with_a_department_of_the_region(
    client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    admin = login("sysadmin")
    body = {"username": "li.ga", "password": "Cb-dept-2024!pass", "region_code": "620722",
            "roles": ["handler"], "department_code": "620722-GA"}  # fmt: skip
    created = client.post(USERS, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert (created.json()["department_code"], created.json()["department_name"]) == (
        "620722-GA", "民乐县公安局",
    )  # fmt: skip
    outside = client.post(USERS, json={**body, "username": "li.x", "department_code": "510903-GA"},
                          headers=admin)  # fmt: skip
    assert (outside.status_code, outside.json()["code"]) == (422, "department_out_of_region")
    typed = client.post(USERS, json={**body, "username": "li.y", "department_code": "620722-ZZ"},
                        headers=admin)  # fmt: skip
    assert (typed.status_code, typed.json()["code"]) == (404, "department_not_found")
    none = client.post(USERS, json={**body, "username": "li.z", "department_code": None,
                                    "roles": ["analyst"]}, headers=admin)  # fmt: skip
    assert none.json()["department_code"] is None


@pytest.mark.usefixtures("departments")
def test_me_shows_the_department_and_a_move_ends_the_sessions(
    client: TestClient, make_user: Callable[..., object], sign_in: Callable[..., dict[str, str]],
    login: Callable[..., dict[str, str]], session: Session,
) -> None:  # fmt: skip
    account = make_user("handler", department_code="620722-GA")
    headers = sign_in(account)
    me = client.get("/api/v1/iam/me", headers=headers).json()
    assert (me["department_code"], me["department_name"]) == ("620722-GA", "民乐县公安局")
    user_id = account.user.id  # type: ignore[attr-defined]
    moved = client.put(f"{USERS}/{user_id}/department", json={"department_code": "620722-MZ"},
                       headers=login("sysadmin"))  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["department_name"] == "民乐县民政局"
    assert client.get("/api/v1/iam/me", headers=headers).status_code == 401  # re-scoped
    actions = session.scalars(
        select(AuditRecord.action).where(AuditRecord.object_id == str(user_id))
    ).all()
    assert "iam.user.department" in actions


@pytest.mark.usefixtures("departments")
def test_the_department_list_is_the_callers_region(
    client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    listed = client.get("/api/v1/iam/departments", headers=login("sysadmin", "510903")).json()
    assert [d["code"] for d in listed] == ["510903-GA"]


@pytest.mark.usefixtures("departments")
def test_service_refuses_a_department_outside_the_users_region(session: Session) -> None:
    user = service.create_user(session, username="wang.ga", password="Cb-dept-2024!pass",
                               region_code="620722", roles=["handler"])  # fmt: skip
    assert user.department_code is None  # the default: no department
    with pytest.raises(BadInput) as outside:
        service.set_department(session, user=user, department_code="510903-GA", actor=None)
    assert outside.value.code == "department_out_of_region"
    with pytest.raises(NotFound):
        service.set_department(session, user=user, department_code="nope", actor=None)
    service.set_department(session, user=user, department_code="620722-GA", actor=None)
    assert user.department_code == "620722-GA"


@pytest.fixture
def cli_on_test_connection(connection, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    @contextmanager
    def cli_session() -> Iterator[Session]:
        factory = make_session_factory(connection)
        with factory() as s, s.begin():
            set_actor(s, actor="cli:tester", role="cli", source_ip="local")
            yield s

    monkeypatch.setattr(iam_cli, "cli_session", cli_session)


@pytest.mark.usefixtures("departments", "cli_on_test_connection")
def test_cli_creates_and_moves_a_user_with_a_department(session: Session) -> None:
    runner = CliRunner()
    created = runner.invoke(
        iam_cli.user_app,
        ["create", "--username", "zhao.ga", "--role", "handler", "--region", "620722",
         "--department", "620722-GA", "--password-stdin"],
        input="Stdin-pass-2024!\n",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    user = session.scalars(select(User).where(User.username_key == "zhao.ga")).one()
    assert user.department_code == "620722-GA"
    moved = runner.invoke(iam_cli.user_app, ["set-department", "--username", "zhao.ga"])
    assert moved.exit_code == 0, moved.output
    session.expire_all()
    assert session.get_one(User, user.id).department_code is None
    refused = runner.invoke(
        iam_cli.user_app, ["set-department", "--username", "zhao.ga", "--department", "510903-GA"]
    )
    assert refused.exit_code == 2
    assert "department_out_of_region" in refused.output
