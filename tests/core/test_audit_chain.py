"""The audit ledger: chained appends, database-enforced append-only, and tamper detection that
names the first modified, inserted or deleted record."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.core.audit import service
from citybrain.core.audit.chain import Breach
from citybrain.core.config import get_settings


def _append(session: Session, n: int) -> list[int]:
    return [
        service.record(session, action="test.touch", object_type="thing", object_id=str(i)).seq
        for i in range(n)
    ]


def _disable_guard(session: Session) -> None:
    """What a DBA with full rights could do; the application itself never can."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_record_no_update"))
        session.execute(text("DROP TRIGGER audit_record_no_delete"))
    else:
        session.execute(text("ALTER TABLE audit_record DISABLE TRIGGER USER"))


def test_intact_chain_verifies(session: Session) -> None:
    seqs = _append(session, 5)
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    result = service.verify(session)
    assert result.ok, result.message
    assert result.checked >= 5


def test_application_cannot_update_or_delete(session: Session) -> None:
    _append(session, 1)
    for statement in ("UPDATE audit_record SET actor = 'x'", "DELETE FROM audit_record"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        nested.rollback()


def test_modified_record_is_named(session: Session) -> None:
    seqs = _append(session, 6)
    _disable_guard(session)
    session.execute(
        text("UPDATE audit_record SET outcome = 'failure' WHERE seq = :s"), {"s": seqs[3]}
    )
    result = service.verify(session)
    assert (result.ok, result.breach, result.seq) == (False, Breach.modified, seqs[3])


def test_deleted_record_is_named(session: Session) -> None:
    seqs = _append(session, 6)
    _disable_guard(session)
    session.execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": seqs[2]})
    result = service.verify(session)
    assert (result.ok, result.breach, result.seq) == (False, Breach.deleted, seqs[2])


def test_truncated_tail_is_named(session: Session) -> None:
    seqs = _append(session, 4)
    _disable_guard(session)
    session.execute(text("DELETE FROM audit_record WHERE seq = :s"), {"s": seqs[-1]})
    result = service.verify(session)
    assert (result.ok, result.breach, result.seq) == (False, Breach.deleted, seqs[-1])


def test_inserted_record_is_named(session: Session) -> None:
    seqs = _append(session, 3)
    forged = dict(
        session.execute(text("SELECT * FROM audit_record WHERE seq = :s"), {"s": seqs[-1]})
        .mappings()
        .one()
    )
    forged.pop("id")
    forged.update(seq=seqs[-1] + 1, prev_mac=forged["mac"], mac="f" * 64, action="iam.forged")
    columns = ", ".join(forged)
    session.execute(
        text(f"INSERT INTO audit_record ({columns}) VALUES ({', '.join(':' + c for c in forged)})"),
        forged,
    )
    result = service.verify(session)
    assert (result.ok, result.breach, result.seq) == (False, Breach.inserted, seqs[-1] + 1)


def test_detail_is_json_and_context_is_recorded(session: Session) -> None:
    from citybrain.core.context import set_actor

    set_actor(session, actor="zhangsan", role="analyst", source_ip="10.1.2.3", request_id="r1")
    entry = service.record(session, action="x.y", detail={"字段": "值"})
    assert (entry.actor, entry.role, entry.source_ip, entry.request_id) == (
        "zhangsan", "analyst", "10.1.2.3", "r1",
    )  # fmt: skip
    assert json.loads(entry.detail) == {"字段": "值"}


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from citybrain.cli import context

    db = tmp_path / "cli.db"
    monkeypatch.setenv("CITYBRAIN_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("CITYBRAIN_HOME", str(tmp_path))  # its own checkpoints and key file
    get_settings.cache_clear()
    context.cli_engine.cache_clear()
    yield db
    context.cli_engine().dispose()
    context.cli_engine.cache_clear()
    get_settings.cache_clear()


def test_cli_audit_verify_exit_status(cli_database: Path) -> None:
    from citybrain.cli.context import cli_session
    from citybrain.cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    with cli_session() as session:
        _append(session, 3)
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    with sqlite3.connect(cli_database) as raw:
        raw.execute("DROP TRIGGER audit_record_no_update")
        raw.execute("UPDATE audit_record SET actor = 'mallory' WHERE seq = 2")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "第 2 条" in broken.output
