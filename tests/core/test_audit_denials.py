"""Refused requests are on the ledger even though their own transaction was rolled back."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit import service
from citybrain.core.audit.models import AuditRecord


def _denials(session: Session) -> list[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.action == "security.denied")
    return list(session.execute(query.order_by(AuditRecord.seq)).scalars())


def test_forged_token_is_recorded(client: TestClient, session: Session) -> None:
    answer = client.get("/api/v1/iam/me", headers={"Authorization": "Bearer forged-token"})
    assert answer.status_code == 401
    (denial,) = _denials(session)
    assert (denial.actor, denial.outcome, denial.object_id) == (
        "anonymous", "failure", "GET /api/v1/iam/me",
    )  # fmt: skip
    assert json.loads(denial.detail) == {"status": 401, "code": answer.json()["code"]}


def test_missing_permission_is_recorded_with_the_caller(
    client: TestClient, session: Session, login: Callable[..., dict[str, str]]
) -> None:
    headers = login("sysadmin", username="sys_denied")
    answer = client.get("/api/v1/audit/records", headers=headers)
    assert answer.status_code == 403  # 三权分立: the system admin cannot read the audit log
    denial = _denials(session)[-1]
    assert denial.actor == "sys_denied"
    assert "sysadmin" in denial.role
    assert json.loads(denial.detail)["code"] == "permission_denied"
    assert service.verify(session).ok
