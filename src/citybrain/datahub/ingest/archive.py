"""Checks of a zip-based file (XLSX) before any parser opens it: a few kilobytes can inflate to
gigabytes (a zip bomb) or to millions of rows, and openpyxl would faithfully read them all.

Declared sizes come from the zip directory and may lie, so the worksheets are also inflated
once, in 1 MiB pieces, counting their bytes and their ``<row`` tags (no XML is parsed); the
walk stops as soon as a limit is passed. A file that is not a zip is left to the connector,
which names the problem. Limits are settings of ``IngestSettings`` (``CITYBRAIN_INGEST_*``).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Final

from citybrain.core.errors import TooLarge
from citybrain.datahub.ingest.config import IngestSettings, get_ingest_settings

ZIP_KINDS: Final = frozenset({"xlsx"})
_CHUNK: Final = 1 << 20
_MB: Final = 1024 * 1024
# A row element, with or without a namespace prefix: <row ...>, <row>, <x:row ...>.
_ROW_TAG: Final = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CARRY: Final = 32  # longer than any row tag, so no tag is split between two pieces
_WORKSHEET: Final = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)


def check_file(path: Path, kind: str, settings: IngestSettings | None = None) -> None:
    """Refuse a zip-based file over the limits; other kinds pass untouched.

    Raises TooLarge (413) ``too_many_entries``, ``archive_too_large`` (declared or actual
    inflated size), ``zip_bomb`` (an entry inflates more than ``max_compression_ratio`` times)
    or ``too_many_rows`` (a worksheet holds more than ``max_rows`` rows)."""
    if kind not in ZIP_KINDS or not zipfile.is_zipfile(path):
        return
    limits = settings or get_ingest_settings()
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if len(entries) > limits.max_archive_entries:
            raise TooLarge(
                f"文件包含 {len(entries)} 个压缩条目，超过上限 {limits.max_archive_entries}",
                code="too_many_entries",
                detail={"entries": len(entries)},
            )
        budget = limits.max_uncompressed_mb * _MB
        declared = sum(entry.file_size for entry in entries)
        if declared > budget:
            raise _too_big(limits)
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > _MB and ratio > limits.max_compression_ratio:
                raise TooLarge(
                    f"文件解压后膨胀 {ratio:.0f} 倍，超过上限 {limits.max_compression_ratio} 倍，"
                    "疑为压缩炸弹，已拒收",
                    code="zip_bomb",
                    detail={"entry": entry.filename, "ratio": round(ratio)},
                )
        inflated = 0
        for entry in entries:
            if _WORKSHEET.fullmatch(entry.filename):
                inflated += _walk_sheet(archive, entry, limits, budget - inflated)


def _walk_sheet(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: IngestSettings, budget: int
) -> int:
    """Inflate one worksheet counting bytes and rows; returns the bytes inflated."""
    rows = inflated = 0
    carry = b""
    with archive.open(entry) as stream:
        while piece := stream.read(_CHUNK):
            inflated += len(piece)
            if inflated > budget:
                raise _too_big(limits)
            text = carry + piece
            cut = text.rfind(b"<", max(len(text) - _CARRY, 0))
            head, carry = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
            rows += len(_ROW_TAG.findall(head))
            if rows > limits.max_rows:
                raise _too_many_rows(limits)
    rows += len(_ROW_TAG.findall(carry))
    if rows > limits.max_rows:
        raise _too_many_rows(limits)
    return inflated


def _too_big(limits: IngestSettings) -> TooLarge:
    return TooLarge(
        f"文件解压后超过 {limits.max_uncompressed_mb} MB 上限，请拆分后分批上传",
        code="archive_too_large",
    )


def _too_many_rows(limits: IngestSettings) -> TooLarge:
    return TooLarge(
        f"工作表超过 {limits.max_rows} 行上限，请拆分后分批上传",
        code="too_many_rows",
        detail={"max_rows": limits.max_rows},
    )
