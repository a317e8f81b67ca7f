"""Pure chain rules: how a record's MAC and the head's tag are computed and how a sequence of
records is judged."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from citybrain.core.crypto import hmac_sm3

GENESIS_MAC = "0" * 64
_HEAD_LABEL = b"citybrain/audit-head/v1"
CHAINED_FIELDS = (
    "seq", "at", "actor", "role", "action", "object_type", "object_id",
    "region_code", "outcome", "source_ip", "request_id", "detail",
)  # fmt: skip


class ChainedRecord(Protocol):
    seq: int
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
    prev_mac: str
    mac: str


def _canonical(record: ChainedRecord) -> bytes:
    values: dict[str, Any] = {name: getattr(record, name) for name in CHAINED_FIELDS}
    values["at"] = record.at.isoformat(timespec="microseconds")
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def compute_mac(key: bytes, prev_mac: str, record: ChainedRecord) -> str:
    return hmac_sm3(key, prev_mac.encode("ascii") + b"|" + _canonical(record)).hex()


def head_tag(key: bytes, seq: int, mac: str) -> str:
    """HMAC-SM3 over the head's sequence and last MAC: without the key nobody can move the
    head back to an earlier record after deleting the newest ones."""
    return hmac_sm3(key, _HEAD_LABEL + f"|{seq}|{mac}".encode("ascii")).hex()


def head_ok(key: bytes, seq: int, mac: str, tag: str) -> bool:
    """True for a head carrying its tag; the untagged genesis head of an empty ledger (as a
    migration leaves it when no key was at hand) is accepted too, as it protects nothing."""
    if not tag:
        return seq == 0 and mac == GENESIS_MAC
    return hmac.compare_digest(head_tag(key, seq, mac), tag)


class Breach(StrEnum):
    modified = "modified"
    inserted = "inserted"
    deleted = "deleted"
    head_forged = "head_forged"
    truncated = "truncated"
    rewritten = "rewritten"
    checkpoint_forged = "checkpoint_forged"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    breach: Breach | None = None
    seq: int | None = None
    record_id: int | None = None
    message: str = "审计链完整"
    checkpoint_seq: int | None = None  # the newest checkpoint compared, if any
    warnings: tuple[str, ...] = ()


def judge(
    key: bytes, records: Iterable[ChainedRecord], *, head_seq: int, ids: Iterable[int]
) -> VerifyResult:
    """Walk records in ``seq`` order and name the first one that breaks the chain."""
    expected_prev, expected_seq, checked = GENESIS_MAC, 1, 0
    for record, record_id in zip(records, ids, strict=True):
        mac_ok = hmac.compare_digest(compute_mac(key, record.prev_mac, record), record.mac)
        linked = record.prev_mac == expected_prev
        if record.seq > head_seq or (not mac_ok and not linked):
            return _breach(Breach.inserted, record.seq, record_id, checked)
        if not mac_ok:
            return _breach(Breach.modified, record.seq, record_id, checked)
        if not linked or record.seq != expected_seq:
            return _breach(Breach.deleted, expected_seq, record_id, checked)
        expected_prev, expected_seq, checked = record.mac, record.seq + 1, checked + 1
    if expected_seq <= head_seq:
        return _breach(Breach.deleted, expected_seq, None, checked)
    return VerifyResult(ok=True, checked=checked)


_MESSAGES = {
    Breach.modified: "第 {seq} 条审计记录被篡改",
    Breach.inserted: "第 {seq} 条审计记录是插入的伪造记录",
    Breach.deleted: "第 {seq} 条审计记录被删除",
}


def _breach(kind: Breach, seq: int, record_id: int | None, checked: int) -> VerifyResult:
    return VerifyResult(
        ok=False,
        checked=checked,
        breach=kind,
        seq=seq,
        record_id=record_id,
        message=_MESSAGES[kind].format(seq=seq),
    )
