"""Refusals raised inside a request that is then rolled back are still on the ledger (refused
password changes), and reads of personal data are recorded in one shape (pii helper)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import refusals, service
from citybrain.core.audit.models import AuditRecord
from citybrain.core.audit.pii import PiiAccess, record_pii_access
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.core.errors import BadInput

URL = "/api/v1/iam/me/password"


def _refused(session: Session) -> list[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.action == "iam.password.change_refused")
    return list(session.execute(query.order_by(AuditRecord.seq)).scalars())


@pytest.mark.parametrize(
    ("old", "new", "code", "violations"),
    [
        ("not-my-password", "Next-2024!abc", "wrong_password", None),
        (None, "short", "weak_password", ["too_short"]),
        (None, None, "password_reused", ["reused"]),
    ],
    ids=["wrong-old", "policy", "reuse"],
)
def test_refused_password_change_is_recorded(
    client: TestClient,
    session: Session,
    make_user: Callable[..., object],
    sign_in: Callable[[object], dict[str, str]],
    old: str | None,
    new: str | None,
    code: str,
    violations: list[str] | None,
) -> None:
    account = make_user("viewer", "620722")
    password = account.password  # type: ignore[attr-defined]
    user = account.user  # type: ignore[attr-defined]
    hash_before = user.password_hash
    body = {"old_password": old or password, "new_password": new or password}
    answer = client.post(URL, json=body, headers=sign_in(account))
    assert answer.status_code == 422
    assert answer.json()["code"] == code
    (record,) = _refused(session)
    assert (record.actor, record.outcome, record.object_id, record.region_code) == (
        user.username, "failure", str(user.id), "620722",
    )  # fmt: skip
    detail = json.loads(record.detail)
    assert detail["code"] == code
    if violations is not None:
        assert set(violations) <= set(detail["violations"])
    assert password not in record.detail
    session.refresh(user)
    assert user.password_hash == hash_before  # the refusal changed nothing
    assert service.verify(session).ok


def test_refusal_waits_for_the_transaction_and_survives_its_rollback(
    session: Session,
) -> None:
    factory = make_session_factory(session.get_bind())
    with factory() as request:
        request.begin()
        set_actor(request, actor="mallory", role="viewer", region_code="620722")
        refusals.record_refusal(request, action="test.refused", object_id="x")
        assert not _named(session, "test.refused")  # nothing before the transaction ends
        request.rollback()
    (record,) = _named(session, "test.refused")
    assert (record.actor, record.outcome) == ("mallory", "failure")


def _named(session: Session, action: str) -> list[AuditRecord]:
    return list(session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars())


def test_pii_access_has_one_shape(session: Session) -> None:
    record = record_pii_access(
        session,
        kind=PiiAccess.download,
        object_type="masterdata_person",
        object_id="P1",
        region_code="620722",
        fields=["phone", "id_number", "phone"],
        count=12,
        reason="核查低保资格",
    )
    assert record.action == "pii.download"
    assert json.loads(record.detail) == {
        "pii": "download",
        "fields": ["id_number", "phone"],
        "count": 12,
        "reason": "核查低保资格",
    }


def test_refusal_after_rollback_on_a_real_sqlite_file_does_not_wait_for_its_own_lock(
    tmp_path: Path,
) -> None:
    """On an engine (not the tests' shared connection) the request held SQLite's write lock
    (BEGIN IMMEDIATE); the refusal's own transaction must start only once that is released."""
    from citybrain.core.db import make_engine
    from citybrain.core.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'own.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    started = time.monotonic()

    def refused_request() -> None:
        with factory() as request, request.begin():
            service.record(request, action="test.before_refusal")  # takes the write lock
            refusals.record_refusal(request, action="test.refused_on_file")
            raise BadInput("拒绝", code="refused")

    with pytest.raises(BadInput):
        refused_request()
    assert time.monotonic() - started < 5  # the busy timeout is 10 s
    with factory() as check:
        actions = list(check.execute(select(AuditRecord.action)).scalars())
        assert actions == ["test.refused_on_file"]  # the request's own record was rolled back
        assert service.verify(check, checkpoint_file=tmp_path / "none.jsonl").ok
    engine.dispose()
