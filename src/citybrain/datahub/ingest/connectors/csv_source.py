"""CSV and TSV files as departments export them: UTF-8 with or without BOM, or GBK.

The file is read line by line and decoded one line at a time, so a 1,000,000-row file costs a
few kilobytes of memory and a byte that does not fit the detected encoding is reported with the
line it is on, not as an anonymous failure somewhere in a 64 KiB block.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Generator, Iterator
from typing import BinaryIO

from openpyxl.utils import get_column_letter

from ._encoding import SAMPLE_BYTES, detect_encoding, encoding_label, normalise_codec
from .base import (
    BAD_CSV,
    BAD_ENCODING,
    DUPLICATE_HEADER,
    MISSING_HEADER,
    RAGGED_ROW,
    ConnectorError,
    RowErrorPolicy,
    SourceRecord,
    emit_row_error,
)

DELIMITERS = ",\t;|"
_SNIFF_LINES = 50


class CsvConnector:
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        row_errors: RowErrorPolicy = "raise",
    ) -> None:
        """`encoding` and `delimiter` override detection (e.g. when the user picked them)."""
        self.path = os.fspath(path)
        self._encoding = encoding
        self._delimiter = delimiter
        self._row_errors: RowErrorPolicy = row_errors
        self._columns: list[str] | None = None

    @property
    def encoding(self) -> str:
        """The codec the file is decoded with (detected unless given)."""
        return self._detect()[0]

    @property
    def delimiter(self) -> str:
        return self._detect()[2]

    def columns(self) -> list[str]:
        if self._columns is None:
            rows = self._rows()
            try:
                first = next(rows, None)
            finally:
                rows.close()
            if first is None:
                raise ConnectorError(MISSING_HEADER, "文件为空，没有表头行", row=1)
            self._columns = _check_header(first[1], first[0])
        return list(self._columns)

    def iter_records(self) -> Iterator[SourceRecord]:
        header: list[str] | None = None
        for line, fields in self._rows():
            if header is None:
                header = _check_header(fields, line)
                self._columns = header
                continue
            if len(fields) == len(header):
                yield SourceRecord(
                    line, {h: v or None for h, v in zip(header, fields, strict=True)}
                )
                continue
            values: dict[str, str | None] = {
                h: v or None for h, v in zip(header, fields, strict=False)
            }
            values.update(dict.fromkeys(header[len(fields) :]))
            missing = header[len(fields)] if len(fields) < len(header) else None
            error = ConnectorError(
                RAGGED_ROW,
                f"第 {line} 行有 {len(fields)} 个字段，表头有 {len(header)} 个"
                + (f"，缺少“{missing}”及之后的字段" if missing else "，多出的字段没有表头"),
                row=line,
                field=missing,
            )
            yield emit_row_error(error, self._row_errors, values)

    def _detect(self) -> tuple[str, int, str]:
        """(codec, BOM length, delimiter), from the first 64 KiB unless given."""
        with open(self.path, "rb") as raw:
            sample = raw.read(SAMPLE_BYTES)
        if self._encoding is None:
            codec, bom = detect_encoding(sample, at_eof=len(sample) < SAMPLE_BYTES)
        else:
            codec = normalise_codec(self._encoding)
            bom = (
                len(codecs.BOM_UTF8)
                if codec == "utf-8" and sample.startswith(codecs.BOM_UTF8)
                else 0
            )
        delimiter = self._delimiter or _sniff_delimiter(
            sample[bom:].decode(codec, errors="replace")
        )
        return codec, bom, delimiter

    def _rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """(first physical line of the record, fields) for every non-blank record."""
        codec, bom, delimiter = self._detect()
        with open(self.path, "rb") as raw:
            raw.seek(bom)
            reader = csv.reader(_decoded_lines(raw, codec), delimiter=delimiter)
            previous_end = 0
            while True:
                try:
                    fields = next(reader, None)
                except csv.Error as exc:
                    line = reader.line_num
                    raise ConnectorError(
                        BAD_CSV, f"第 {line} 行无法按 CSV 解析：{exc}", row=line
                    ) from exc
                if fields is None:
                    return
                start, previous_end = previous_end + 1, reader.line_num
                # Blank lines, and the ",,,," lines Excel leaves under a table, carry nothing.
                if any(value.strip() for value in fields):
                    yield start, fields


def _decoded_lines(raw: BinaryIO, codec: str) -> Iterator[str]:
    label = encoding_label(codec)
    if codec.startswith(("utf-16", "utf-32")):
        # Newline bytes are not self-delimiting in these codecs; let the text layer split them.
        text = io.TextIOWrapper(raw, encoding=codec, newline="")
        line = 0
        try:
            for decoded in text:
                line += 1
                yield decoded
        except UnicodeDecodeError as exc:
            raise _encoding_error(line + 1, label) from exc
        finally:
            text.detach()
        return
    # In UTF-8 and GB18030 the byte 0x0A only ever means a newline, so splitting bytes is safe.
    for line, chunk in enumerate(raw, start=1):
        try:
            yield chunk.decode(codec)
        except UnicodeDecodeError as exc:
            raise _encoding_error(line, label) from exc


def _encoding_error(line: int, label: str) -> ConnectorError:
    return ConnectorError(
        BAD_ENCODING,
        f"第 {line} 行含有不符合 {label} 编码的字节，文件可能混用了多种编码或已损坏",
        row=line,
    )


def _sniff_delimiter(text: str) -> str:
    all_lines = text.splitlines()
    if not text.endswith(("\n", "\r")):
        all_lines = all_lines[:-1] or all_lines  # the sample may end in the middle of a line
    lines = [line for line in all_lines if line.strip()][:_SNIFF_LINES]
    if not lines:
        return ","
    header = lines[0]
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed and sniffed in header:
        return sniffed
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(fields: list[str], line: int) -> list[str]:
    names = [field.strip().lstrip("\ufeff").strip() for field in fields]
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        letter = get_column_letter(index)
        if not name:
            raise ConnectorError(
                MISSING_HEADER,
                f"第 {line} 行表头的第 {index} 列（{letter} 列）没有列名",
                row=line,
                field=letter,
            )
        if name in seen:
            raise ConnectorError(
                DUPLICATE_HEADER,
                f"第 {line} 行表头中列名“{name}”重复出现（第 {seen[name]} 列和第 {index} 列）",
                row=line,
                field=name,
            )
        seen[name] = index
    return names
