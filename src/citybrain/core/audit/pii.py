"""One way for every module to record that personal information left its mask: a person's
data shown in clear (unmasking) or downloaded. The record names the fields, the number of
people or rows and the stated reason, never the values themselves."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy.orm import Session

from citybrain.core.audit import service
from citybrain.core.audit.models import AuditRecord


class PiiAccess(StrEnum):
    unmask = "unmask"  # 查看原文
    download = "download"  # 下载


def record_pii_access(
    session: Session,
    *,
    kind: PiiAccess,
    object_type: str,
    object_id: str,
    region_code: str,
    fields: Iterable[str],
    reason: str = "",
    count: int | None = None,
    action: str | None = None,
    extra: dict[str, object] | None = None,
) -> AuditRecord:
    """Append the access in the caller's transaction (it happens only if the data is served).

    ``action`` defaults to ``pii.unmask`` / ``pii.download``; a module with an action of its
    own (``masterdata.unmask``) passes it, and the detail keeps the same shape either way:
    ``{"pii": kind, "fields": [...], "reason": ..., "count": ...}``."""
    detail: dict[str, object] = {"pii": kind.value, "fields": sorted(set(fields))}
    if reason:
        detail["reason"] = reason
    if count is not None:
        detail["count"] = count
    detail.update(extra or {})
    return service.record(
        session,
        action=action or f"pii.{kind.value}",
        object_type=object_type,
        object_id=object_id,
        region_code=region_code,
        detail=detail,
    )
