"""The audit administrator's export in three formats: JSON lines (codes and names, for
machines), CSV (UTF-8 with a byte-order mark, so Excel opens it in Chinese) and Excel."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum
from typing import Final

from openpyxl import Workbook

from citybrain.core.audit.present import PresentedRecord


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES: Final = {
    ExportFormat.jsonl: "application/x-ndjson",
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

Column = tuple[str, Callable[[PresentedRecord], str | int]]
COLUMNS: Final[tuple[Column, ...]] = (
    ("序号", lambda p: p.record.seq),
    ("时间 (北京时间)", lambda p: p.local_time),
    ("操作人", lambda p: p.actor_name),
    ("账号", lambda p: p.record.actor),
    ("角色", lambda p: p.role_title),
    ("操作", lambda p: p.action_title),
    ("操作代码", lambda p: p.record.action),
    ("对象类型", lambda p: p.object_type_title),
    ("对象", lambda p: p.record.object_id),
    ("区划", lambda p: p.region_name),
    ("区划代码", lambda p: p.record.region_code),
    ("结果", lambda p: p.outcome_title),
    ("来源 IP", lambda p: p.record.source_ip),
    ("请求编号", lambda p: p.record.request_id),
    ("详情", lambda p: p.detail_text),
    ("校验码 (MAC)", lambda p: p.record.mac),
)


def jsonl_chunks(rows: Iterable[PresentedRecord]) -> Iterator[bytes]:
    for p in rows:
        r = p.record
        line = {
            "seq": r.seq,
            "at": r.at.isoformat(),
            "actor": r.actor,
            "actor_name": p.actor_name,
            "role": r.role,
            "role_title": p.role_title,
            "action": r.action,
            "action_title": p.action_title,
            "object_type": r.object_type,
            "object_type_title": p.object_type_title,
            "object_id": r.object_id,
            "region_code": r.region_code,
            "region_name": p.region_name,
            "outcome": r.outcome,
            "source_ip": r.source_ip,
            "request_id": r.request_id,
            "detail": json.loads(r.detail) if r.detail else {},
            "detail_text": p.detail_text,
            "mac": r.mac,
        }
        yield (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")


def csv_chunks(rows: Iterable[PresentedRecord]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for title, _ in COLUMNS])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")  # the BOM Excel looks for
    for p in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(get(p)) for _, get in COLUMNS])
        yield buffer.getvalue().encode("utf-8")


def _cell(value: str | int) -> str | int:
    # a text cell starting with = + - @ would run as a formula in Excel (CSV injection)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def xlsx_bytes(rows: Iterable[PresentedRecord]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计日志")
    sheet.freeze_panes = "A2"
    sheet.append([title for title, _ in COLUMNS])
    for p in rows:
        sheet.append([_cell(get(p)) for _, get in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
