"""Appending to the ledger and verifying it. Append runs inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from citybrain.core.audit import anchor, checkpoints
from citybrain.core.audit.chain import (
    GENESIS_MAC,
    Breach,
    VerifyResult,
    compute_mac,
    head_ok,
    head_tag,
    judge,
)
from citybrain.core.audit.config import get_audit_settings
from citybrain.core.audit.models import AuditHead, AuditRecord
from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.context import actor_of, settings_of


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
    entry = draft(
        session,
        action=action,
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        outcome=outcome,
        detail=detail,
        actor=actor,
        role=role,
    )
    return append(session, [entry])[0]


@dataclass(frozen=True, slots=True)
class Draft:
    """A record's fields before it takes its place in the chain (seq, prev_mac, mac)."""

    at: datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_id: str
    region_code: str
    outcome: str
    source_ip: str
    request_id: str
    detail: str


_DRAFTED = tuple(f.name for f in dataclass_fields(Draft))


def draft(
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
) -> Draft:
    """A record as :func:`record` would append it now, the actor taken from ``session``."""
    ctx = actor_of(session)
    return Draft(
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
    )


def append(session: Session, drafts: Sequence[Draft]) -> list[AuditRecord]:
    """Chain ``drafts`` after the last record, in their order: one lock of the head, one move
    of it. The head stays locked until the caller's commit."""
    head_seq, prev_mac = _lock_head(session, len(drafts))
    key = audit_key()
    entries = []
    for offset, fields in enumerate(drafts, start=1):
        entry = AuditRecord(seq=head_seq + offset, **{f: getattr(fields, f) for f in _DRAFTED})
        entry.prev_mac, entry.mac = prev_mac, ""
        entry.mac = prev_mac = compute_mac(key, prev_mac, entry)
        session.add(entry)
        entries.append(entry)
    last = entries[-1]
    tag = head_tag(key, last.seq, last.mac)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(mac=last.mac, tag=tag))
    session.flush()
    for entry in entries:
        anchor.note_append(session, entry.seq)
    return entries


_HEAD = cast(Table, AuditHead.__table__)
_LOCK_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + bindparam("count"))
    .returning(_HEAD.c.seq, _HEAD.c.mac)
)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(mac=bindparam("mac"), tag=bindparam("tag"))
_INSERT_RECORD = insert(cast(Table, AuditRecord.__table__))


@dataclass(frozen=True, slots=True)
class _Chained:
    """A draft in its place in the chain: what :func:`compute_mac` reads."""

    seq: int
    fields: Draft

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fields, name)


def append_rows(session: Session, drafts: Sequence[Draft]) -> int:
    """:func:`append` for a transaction of its own that only appends (core/audit/reads.py):
    the same chain, written with prepared Core statements instead of through the unit of
    work, which costs a third of the time. The seq of the last record."""
    moved = session.execute(_LOCK_HEAD, {"count": len(drafts)}).one_or_none()
    if moved is None:
        session.execute(insert(_HEAD).values(id=1, seq=len(drafts), mac=GENESIS_MAC, tag=""))
        head_seq, prev_mac = 0, GENESIS_MAC
    else:
        head_seq, prev_mac = int(moved.seq) - len(drafts), str(moved.mac)
    key = audit_key()
    rows = []
    for offset, fields in enumerate(drafts, start=1):
        seq = head_seq + offset
        mac = compute_mac(key, prev_mac, _Chained(seq, fields))  # type: ignore[arg-type]
        rows.append(
            {"seq": seq, **{f: getattr(fields, f) for f in _DRAFTED}, "prev_mac": prev_mac,
             "mac": mac}
        )  # fmt: skip
        prev_mac = mac
    session.execute(_INSERT_RECORD, rows)
    last = rows[-1]["seq"]
    session.execute(_MOVE_HEAD, {"mac": prev_mac, "tag": head_tag(key, last, prev_mac)})
    for row in rows:
        anchor.note_append(session, row["seq"])
    return int(last)


def _lock_head(session: Session, count: int = 1) -> tuple[int, str]:
    """Move the head ``count`` places (locking it) and return where it was: (seq, mac)."""
    row = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + count)
        .returning(AuditHead.seq, AuditHead.mac)
    ).one_or_none()
    if row is None:
        session.add(AuditHead(id=1, seq=count, mac=GENESIS_MAC))
        session.flush()
        return 0, GENESIS_MAC
    return int(row.seq) - count, str(row.mac)


def verify(session: Session, *, checkpoint_file: Path | None = None) -> VerifyResult:
    """Recompute the chain from the first record and name the first breach; then compare it
    with the checkpoints outside the database (truncation, rewriting, forged checkpoints) and
    check the head's tag (a head moved back by someone without the audit key)."""
    key = audit_key()
    head = session.get(AuditHead, 1)
    head_seq = head.seq if head else 0
    rows = list(session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars())
    result = judge(key, rows, head_seq=head_seq, ids=[r.id for r in rows])
    if not result.ok:
        return result
    settings = settings_of(session)
    lines = anchor.read_lines(checkpoint_file or anchor.checkpoint_path(settings))
    _, public = anchor.signing_keys(settings)
    macs = {r.seq: r.mac for r in rows}
    anchored = checkpoints.judge(lines or [], public, macs)
    if not anchored.ok:
        return anchored
    last_mac = rows[-1].mac if rows else GENESIS_MAC
    if head is not None and (
        head.mac != last_mac or not head_ok(key, head.seq, head.mac, head.tag)
    ):
        return VerifyResult(
            ok=False,
            checked=result.checked,
            breach=Breach.head_forged,
            seq=head.seq,
            message=f"审计链头 (第 {head.seq} 条) 校验失败: 它不是用审计密钥写入的,"
            " 最新的审计记录可能被删除",
        )
    warnings: tuple[str, ...] = ()
    if lines is None and result.checked >= get_audit_settings().checkpoint_every:
        warnings = ("未找到检查点文件, 无法确认最新的审计记录未被删除",)
    return VerifyResult(
        ok=True,
        checked=result.checked,
        checkpoint_seq=anchored.checkpoint_seq,
        warnings=warnings,
    )


def anchor_committed(session: Session) -> str | None:
    """Take a checkpoint of the committed head (after a successful verify); see ``anchor``."""
    bind: Any = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return anchor.checkpoint_committed(engine, settings_of(session))
