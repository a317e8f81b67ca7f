"""Pure rules of sharing: statuses, how each item is protected, when approval is needed, the
state of a grant at a moment, and the grant period in China time. No session, no I/O.

Protection of an item (what the consumer receives):

* the item's catalog ``mask`` (``id_number``, ``mobile``, ``name``, ``address``) by default;
* ``pseudonym`` by default for a 敏感/核心 item without a mask, and on request for any item
  (HMAC-SM3 under a key per consumer: stable for one consumer, unlinkable across consumers);
* ``clear`` by default for a 公开/内部 item without a mask. Asking ``clear`` for a masked item
  needs the ``pii:unmask`` permission and always an approver's decision; 敏感/核心 items are
  never delivered in clear.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Final

from citybrain.core.crypto import hmac_sm3
from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.masking import mask_value, pseudonymise
from citybrain.datahub.catalog.enums import MaskKind, Sensitivity, ShareType

CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
NEVER_CLEAR: Final = frozenset({Sensitivity.sensitive.value, Sensitivity.core.value})
_CONSUMER_KEY_LABEL: Final = b"citybrain/sharing/consumer/v1:"


class RequestStatus(StrEnum):
    pending = "pending"  # 待审核
    approved = "approved"  # 已同意 (a grant exists)
    rejected = "rejected"  # 已驳回 by the provider
    refused = "refused"  # 不予共享: refused at once with the resource's legal basis
    revoked = "revoked"  # 已撤销: the grant was revoked
    expired = "expired"  # 已过期: the grant's period ended


class DeliveryMethod(StrEnum):
    api = "api"  # 接口: pages of JSON from /data
    file = "file"  # 文件: CSV or XLSX from /data.csv, /data.xlsx


class Protection(StrEnum):
    id_number = "id_number"
    mobile = "mobile"
    name = "name"
    address = "address"
    pseudonym = "pseudonym"
    clear = "clear"


class GrantState(StrEnum):
    active = "active"
    not_started = "not_started"
    expired = "expired"
    revoked = "revoked"


STATUS_LABELS: Final[Mapping[str, str]] = {
    "pending": "待审核", "approved": "已同意", "rejected": "已驳回", "refused": "不予共享",
    "revoked": "已撤销", "expired": "已过期",
}  # fmt: skip


def default_protection(sensitivity: str, mask: str) -> Protection:
    """The catalog's rule for an item: its mask, else a pseudonym if 敏感/核心, else clear."""
    if mask and mask != MaskKind.none.value:
        return Protection(mask)
    if sensitivity in NEVER_CLEAR:
        return Protection.pseudonym
    return Protection.clear


def choose_protection(
    item: str, sensitivity: str, mask: str, wanted: Protection | None, *, may_unmask: bool
) -> Protection:
    """The protection of one item given what the requester asked for.

    Raises BadInput ``protection_not_allowed`` (a mask kind other than the item's own, or
    ``clear`` for a 敏感/核心 item) and PermissionDenied ``unmask_not_permitted`` (``clear`` for
    a masked item without ``pii:unmask``).
    """
    default = default_protection(sensitivity, mask)
    if wanted is None or wanted in (default, Protection.pseudonym):
        return wanted or default
    if wanted is Protection.clear:
        if sensitivity in NEVER_CLEAR:
            raise BadInput(
                f"敏感或核心信息项不得明文共享: {item}", code="protection_not_allowed", detail=item
            )
        if not may_unmask:
            raise PermissionDenied(
                f"明文获取 {item} 需要“查看未脱敏的个人信息”权限",
                code="unmask_not_permitted",
                detail=item,
            )
        return wanted
    raise BadInput(
        f"信息项 {item} 不能使用 {wanted.value} 方式保护", code="protection_not_allowed",
        detail={"item": item, "protection": wanted.value},
    )  # fmt: skip


def needs_approval(
    share_type: str, chosen: Mapping[str, Protection], defaults: Mapping[str, Protection]
) -> bool:
    """有条件共享 always; 无条件共享 only when an item is asked for in clear against its mask."""
    if share_type == ShareType.conditional.value:
        return True
    return any(
        p is Protection.clear and defaults[name] is not Protection.clear
        for name, p in chosen.items()
    )


def unknown_items(wanted: list[str], known: list[str]) -> list[str]:
    """The wanted item names that the resource does not have, in the order asked."""
    have = set(known)
    return [name for name in dict.fromkeys(wanted) if name not in have]


def china_today(now: datetime) -> date:
    return now.astimezone(CHINA_TZ).date()


def period_problem(start: date, end: date, today: date, max_days: int) -> str | None:
    """Why a requested period is unacceptable (a stable code), or None."""
    if end < start:
        return "period_reversed"
    if end < today:
        return "period_in_past"
    if (end - start).days + 1 > max_days:
        return "period_too_long"
    return None


def grant_state(
    now: datetime, start_on: date, end_on: date, revoked_at: datetime | None
) -> GrantState:
    """The one decision of a grant's state at ``now``. The period is a pair of dates, both
    included, read in China time (Asia/Shanghai): a grant ending 2027-06-30 serves until
    23:59:59.999 Beijing time that day, whatever zone the server or the browser is in.
    Revocation wins over expiry."""
    if revoked_at is not None and revoked_at <= now:
        return GrantState.revoked
    today = china_today(now)
    if today > end_on:
        return GrantState.expired
    if today < start_on:
        return GrantState.not_started
    return GrantState.active


def consumer_key(master_key: bytes, consumer_code: str) -> bytes:
    """The pseudonym key of one consumer department: HMAC-SM3(master, label ‖ code)."""
    return hmac_sm3(master_key, _CONSUMER_KEY_LABEL + consumer_code.encode("utf-8"))


def protect(protection: Protection, value: Any, key: bytes) -> Any:
    """One value as the consumer receives it; ``None`` stays ``None``. Non-text values that
    must be masked or pseudonymised are turned into text first (a number is never leaked)."""
    if value is None or protection is Protection.clear:
        return value
    text = value if isinstance(value, str) else str(value)
    if protection is Protection.pseudonym:
        return pseudonymise(text, key)
    return mask_value(protection.value, text)
