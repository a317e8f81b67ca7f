"""A record as a person reads it: titles beside the codes, the actor's name, the detail as
text. Shared by the audit page and every export format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone
from itertools import islice
from typing import Any, Final

from sqlalchemy.orm import Session

from citybrain.core.audit import titles
from citybrain.core.audit.directory import directory
from citybrain.core.audit.models import AuditRecord

CHINA_TZ: Final = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving


@dataclass(frozen=True, slots=True)
class PresentedRecord:
    record: AuditRecord
    actor_name: str
    role_title: str
    region_name: str
    action_title: str
    object_type_title: str
    outcome_title: str
    detail_text: str

    @property
    def local_time(self) -> str:
        """Beijing time, as the people reading the log keep it."""
        return self.record.at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "、".join(format_value(v) for v in value) or "—"
    if isinstance(value, dict):
        inner = "，".join(
            f"{titles.detail_label(str(k))}={format_value(v)}" for k, v in value.items()
        )
        return f"（{inner}）"
    return str(value)


def format_detail(detail: str) -> str:
    """``{"username": "li", "roles": ["analyst"]}`` → ``用户名: li；角色: analyst``."""
    try:
        data = json.loads(detail) if detail else {}
    except json.JSONDecodeError:
        return detail
    if not isinstance(data, dict):
        return format_value(data)
    return "；".join(f"{titles.detail_label(str(k))}: {format_value(v)}" for k, v in data.items())


def present(session: Session, records: Sequence[AuditRecord]) -> list[PresentedRecord]:
    """One query each for actors' names, roles' titles and regions' names, however many records."""
    names = directory().actor_names(session, {r.actor for r in records})
    role_codes = {code for r in records for code in r.role.split(",") if code}
    role_titles = directory().role_titles(session, role_codes)
    region_names = directory().region_names(session, {r.region_code for r in records})
    return [
        PresentedRecord(
            record=r,
            actor_name=names.get(r.actor) or r.actor,
            role_title=titles.role_title(r.role, role_titles),
            region_name=region_names.get(r.region_code) or r.region_code,
            action_title=titles.action_title(r.action),
            object_type_title=titles.object_type_title(r.object_type),
            outcome_title=titles.outcome_title(r.outcome),
            detail_text=format_detail(r.detail),
        )
        for r in records
    ]


def present_stream(
    session: Session, records: Iterable[AuditRecord], batch: int = 500
) -> Iterator[PresentedRecord]:
    iterator = iter(records)
    while chunk := list(islice(iterator, batch)):
        yield from present(session, chunk)
