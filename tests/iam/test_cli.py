"""``citybrain user`` and ``citybrain apikey`` through Typer's runner, on the test's
connection (the CLI's own unit of work is swapped for one joined to the test transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.cli import iam as iam_cli
from citybrain.core.audit.models import AuditRecord
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.iam import passwords
from citybrain.iam.models import ApiKey, User

runner = CliRunner()


@pytest.fixture(autouse=True)
def _cli_on_test_connection(connection, monkeypatch):
    @contextmanager
    def cli_session() -> Iterator[Session]:
        factory = make_session_factory(connection)
        with factory() as s, s.begin():
            set_actor(s, actor="cli:tester", role="cli", source_ip="local")
            yield s

    monkeypatch.setattr(iam_cli, "cli_session", cli_session)


def test_user_create_reads_the_password_from_stdin(session):
    result = runner.invoke(
        iam_cli.user_app,
        [
            "create",
            "--username",
            "Gansu.Li",
            "--role",
            "analyst",
            "--region",
            "620722",
            "--password-stdin",
        ],
        input="Stdin-pass-2024!\n",
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户" in result.output
    user = session.scalars(select(User).where(User.username_key == "gansu.li")).one()
    assert [r.name for r in user.roles] == ["analyst"]
    assert user.must_change_password is True
    assert passwords.verify_password(user.password_hash, "Stdin-pass-2024!")
    assert "Stdin-pass-2024!" not in result.output
    record = session.scalars(
        select(AuditRecord).where(AuditRecord.object_id == str(user.id))
    ).first()
    assert record is not None
    assert record.actor == "cli:tester"


def test_user_create_refuses_a_weak_password_with_exit_2(session):
    result = runner.invoke(
        iam_cli.user_app,
        [
            "create",
            "--username",
            "weak1",
            "--role",
            "viewer",
            "--region",
            "620722",
            "--password-stdin",
        ],
        input="123456\n",
    )
    assert result.exit_code == 2
    assert "weak_password" in result.output
    assert session.scalars(select(User).where(User.username_key == "weak1")).first() is None


def test_user_create_refuses_a_duplicate_across_widths(session):
    args = ["create", "--role", "viewer", "--region", "620722", "--password-stdin"]
    first = runner.invoke(
        iam_cli.user_app, [*args, "--username", "admin"], input="Dup-pass-2024!\n"
    )
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        iam_cli.user_app, [*args, "--username", "ＡＤＭＩＮ"], input="Dup-pass-2024!\n"
    )
    assert second.exit_code == 2
    assert "duplicate_username" in second.output


def test_user_create_needs_password_stdin():
    result = runner.invoke(
        iam_cli.user_app, ["create", "--username", "x1", "--role", "viewer", "--region", "620722"]
    )
    assert result.exit_code == 2


def test_user_list_shows_the_region(session, make_user):
    account = make_user("viewer")
    result = runner.invoke(iam_cli.user_app, ["list", "--region", "620722"])
    assert result.exit_code == 0, result.output
    assert account.username in result.output


def test_apikey_create_prints_the_key_once_and_revoke_works(session):
    result = runner.invoke(
        iam_cli.apikey_app,
        [
            "create",
            "--name",
            "县医保局",
            "--region",
            "620722",
            "--scope",
            "catalog:read",
            "--scope",
            "sharing:request",
            "--days",
            "30",
        ],
    )
    assert result.exit_code == 0, result.output
    key = next(line for line in result.output.splitlines() if line.startswith("cbk_"))
    row = session.scalars(select(ApiKey).where(ApiKey.key_prefix == key.split("_")[1])).one()
    assert key not in row.key_hash
    revoked = runner.invoke(iam_cli.apikey_app, ["revoke", str(row.id)])
    assert revoked.exit_code == 0, revoked.output
    session.refresh(row)
    assert row.revoked_at is not None


def test_apikey_create_refuses_admin_scopes():
    result = runner.invoke(
        iam_cli.apikey_app,
        ["create", "--name", "x", "--region", "620722", "--scope", "audit:read"],
    )
    assert result.exit_code == 2
    assert "scope_not_allowed" in result.output
