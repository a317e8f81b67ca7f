"""Appending to the ledger and verifying it. Append runs inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from citybrain.core.audit.chain import GENESIS_MAC, VerifyResult, compute_mac, judge
from citybrain.core.audit.models import AuditHead, AuditRecord
from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.context import actor_of


def audit_key() -> bytes:
    return get_settings().key("audit_key")


def record(
    session: Session,
    *,
    action: str,
    object_type: str = "",
    object_id: str = "",
    region_code: str | None = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
    role: str | None = None,
) -> AuditRecord:
    """Append one record chained to the last. Locks the head row until the caller's commit,
    so appends are strictly ordered; a rolled-back transaction leaves no record behind."""
    ctx = actor_of(session)
    head_seq, prev_mac = _lock_head(session)
    entry = AuditRecord(
        seq=head_seq + 1,
        at=utcnow(),
        actor=actor if actor is not None else ctx.actor,
        role=role if role is not None else ctx.role,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code if region_code is not None else ctx.region_code,
        outcome=outcome,
        source_ip=ctx.source_ip,
        request_id=ctx.request_id,
        detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, default=str),
        prev_mac=prev_mac,
        mac="",
    )
    entry.mac = compute_mac(audit_key(), prev_mac, entry)
    session.add(entry)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(mac=entry.mac))
    session.flush()
    return entry


def _lock_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.mac)
    ).one_or_none()
    if row is None:
        session.add(AuditHead(id=1, seq=1, mac=GENESIS_MAC))
        session.flush()
        return 0, GENESIS_MAC
    return int(row.seq) - 1, str(row.mac)


def verify(session: Session) -> VerifyResult:
    """Recompute the chain from the first record; name the first breach."""
    head = session.get(AuditHead, 1)
    head_seq = head.seq if head else 0
    rows = list(session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars())
    return judge(audit_key(), rows, head_seq=head_seq, ids=[r.id for r in rows])


def export_lines(records: Iterator[AuditRecord]) -> Iterator[str]:
    """JSON lines, one record a line, for the audit administrator's export."""
    for r in records:
        yield (
            json.dumps(
                {
                    "seq": r.seq,
                    "at": r.at.isoformat(),
                    "actor": r.actor,
                    "role": r.role,
                    "action": r.action,
                    "object_type": r.object_type,
                    "object_id": r.object_id,
                    "region_code": r.region_code,
                    "outcome": r.outcome,
                    "source_ip": r.source_ip,
                    "request_id": r.request_id,
                    "detail": json.loads(r.detail),
                    "mac": r.mac,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
