"""JSON files: an array of objects, an object holding the array under `records_path`
(e.g. "data.items", as most department APIs wrap it), or JSON lines.

Records are decoded one at a time from the text (json.JSONDecoder.raw_decode), so only one
record is ever a Python object, and each is numbered by the line its `{` is on. Nested values
become JSON text; numbers keep their written digits (decoded as Decimal, never float).
"""

from __future__ import annotations

import json
import os
import re
from abc import ABC, abstractmethod
from codecs import BOM_UTF8
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import NoReturn

from ._encoding import SAMPLE_BYTES, detect_encoding, encoding_label, normalise_codec
from .base import (
    BAD_ENCODING,
    BAD_JSON,
    BAD_RECORD,
    TOO_LARGE,
    ConnectorError,
    RowErrorPolicy,
    SourceRecord,
    emit_row_error,
)

MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
_DECODER = json.JSONDecoder(parse_float=Decimal)
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class JsonRecords(ABC):
    """Columns and records of any source that yields (line, decoded item) pairs."""

    def __init__(self, *, row_errors: RowErrorPolicy = "raise") -> None:
        self._row_errors: RowErrorPolicy = row_errors
        self._columns: list[str] | None = None

    @abstractmethod
    def _items(self) -> Iterator[tuple[int, object]]:
        """(line where the item starts, decoded item) for every item of the source."""

    def columns(self) -> list[str]:
        """Every key of every record, in order of first appearance (reads the whole source)."""
        if self._columns is None:
            seen: dict[str, None] = {}
            for _, item in self._items():
                if isinstance(item, dict):
                    seen.update(dict.fromkeys(item))
            self._columns = list(seen)
        return list(self._columns)

    def iter_records(self) -> Iterator[SourceRecord]:
        columns = self.columns()
        for line, item in self._items():
            if isinstance(item, dict):
                yield SourceRecord(line, {name: json_text(item.get(name)) for name in columns})
            else:
                error = ConnectorError(
                    BAD_RECORD, f"第 {line} 行的记录不是 JSON 对象，而是 {_kind(item)}", row=line
                )
                yield emit_row_error(error, self._row_errors, dict.fromkeys(columns))


class JsonConnector(JsonRecords):
    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        records_path: str | None = None,
        lines: bool | None = None,
        encoding: str | None = None,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        row_errors: RowErrorPolicy = "raise",
    ) -> None:
        """`lines=None` detects JSON lines (.jsonl/.ndjson, or a first line that is a whole object).

        `max_bytes` bounds a JSON document, which is held in memory as text; JSON lines stream.
        """
        super().__init__(row_errors=row_errors)
        self.path = Path(path)
        self.records_path = records_path
        self._lines = lines
        self._encoding = encoding
        self._max_bytes = max_bytes

    def _codec(self) -> tuple[str, int]:
        with self.path.open("rb") as raw:
            sample = raw.read(SAMPLE_BYTES)
        if self._encoding is not None:
            codec = normalise_codec(self._encoding)
            return codec, len(BOM_UTF8) if codec == "utf-8" and sample.startswith(BOM_UTF8) else 0
        return detect_encoding(sample, at_eof=len(sample) < SAMPLE_BYTES)

    def _is_lines(self, codec: str, bom: int) -> bool:
        if self._lines is not None:
            return self._lines
        if self.path.suffix.lower() in {".jsonl", ".ndjson"}:
            return True
        if self.records_path is not None:
            return False
        with self.path.open("rb") as raw:
            raw.seek(bom)
            first = b""
            while not first.strip():
                first = raw.readline(SAMPLE_BYTES)
                if not first:
                    return False
            if not first.lstrip().startswith(b"{"):
                return False  # an array: a document, and a long line need not be read twice
            if not first.endswith(b"\n"):
                first += raw.readline()  # an object line longer than the sample
        try:
            return isinstance(json.loads(first.decode(codec)), dict)
        except (UnicodeDecodeError, ValueError):
            return False

    def _items(self) -> Iterator[tuple[int, object]]:
        codec, bom = self._codec()
        if self._is_lines(codec, bom):
            with self.path.open("rb") as raw:
                raw.seek(bom)
                yield from iter_json_lines(raw, codec)
            return
        size = self.path.stat().st_size
        if size > self._max_bytes:
            raise ConnectorError(
                TOO_LARGE,
                f"JSON 文件 {size // 1048576} MB，超过上限 {self._max_bytes // 1048576} MB；"
                "请改用 JSON lines",
            )
        data = self.path.read_bytes()[bom:]
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ConnectorError(
                BAD_ENCODING, f"第 {line} 行含有不符合 {encoding_label(codec)} 编码的字节", row=line
            ) from exc
        yield from iter_json_document(text, self.records_path)


def iter_json_lines(lines: Iterator[bytes], codec: str) -> Iterator[tuple[int, object]]:
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError as exc:
            raise ConnectorError(
                BAD_ENCODING,
                f"第 {number} 行含有不符合 {encoding_label(codec)} 编码的字节",
                row=number,
            ) from exc
        if not text.strip():
            continue
        try:
            yield number, _DECODER.decode(text.strip())
        except json.JSONDecodeError as exc:
            raise ConnectorError(
                BAD_JSON, f"第 {number} 行不是合法的 JSON：{_reason(exc)}", row=number
            ) from exc


def iter_json_document(text: str, records_path: str | None) -> Iterator[tuple[int, object]]:
    """(line, item) for each item of the records array. Raises ConnectorError(bad_json)."""
    scanner = _Scanner(text)
    pos = scanner.skip(0)
    for key in records_path.split(".") if records_path else []:
        pos = scanner.find_key(pos, key, records_path or "")
    if not text.startswith("[", pos):
        what = "记录数组" if records_path is None else f"“{records_path}”处的值"
        hint = (
            "；若数组在对象内部，请指定 records_path（如 data.items）"
            if records_path is None
            else ""
        )
        raise ConnectorError(BAD_JSON, f"{what}不是 JSON 数组{hint}", row=scanner.line_at(pos))
    pos = scanner.skip(pos + 1)
    if text.startswith("]", pos):
        return
    while True:
        item = scanner.value(pos)
        yield scanner.line_at(pos), item
        pos = scanner.skip(scanner.end)
        if text.startswith(",", pos):
            pos = scanner.skip(pos + 1)
        elif text.startswith("]", pos):
            break
        else:
            scanner.fail(pos, "数组元素之间缺少逗号或数组缺少 ]")
    if records_path is None and scanner.skip(pos + 1) != len(text):
        scanner.fail(scanner.skip(pos + 1), "数组结束后还有多余内容")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.end = 0
        self._line, self._counted = 1, 0

    def skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self.text, pos)
        return match.end() if match else pos

    def line_at(self, pos: int) -> int:
        """Line of `pos`; positions are asked for in increasing order, so counting is linear."""
        if pos < self._counted:
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._counted, pos)
        self._counted = pos
        return self._line

    def value(self, pos: int) -> object:
        """Decode the value at `pos` and set `end` to just after it."""
        try:
            item, self.end = _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            raise ConnectorError(
                BAD_JSON, f"第 {exc.lineno} 行不是合法的 JSON：{_reason(exc)}", row=exc.lineno
            ) from exc
        return item

    def find_key(self, pos: int, key: str, path: str) -> int:
        if not self.text.startswith("{", pos):
            self.fail(pos, f"records_path“{path}”经过的值不是对象")
        pos = self.skip(pos + 1)
        while not self.text.startswith("}", pos):
            name = self.value(pos)
            pos = self.skip(self.end)
            if not isinstance(name, str) or not self.text.startswith(":", pos):
                self.fail(pos, "对象的键后缺少冒号")
            pos = self.skip(pos + 1)
            if name == key:
                return pos
            self.value(pos)
            pos = self.skip(self.end)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
            elif not self.text.startswith("}", pos):
                self.fail(pos, "对象成员之间缺少逗号")
        raise ConnectorError(BAD_JSON, f"JSON 中找不到 records_path“{path}”的键“{key}”", field=key)

    def fail(self, pos: int, reason: str) -> NoReturn:
        line = self.text.count("\n", 0, pos) + 1
        raise ConnectorError(BAD_JSON, f"第 {line} 行不是合法的 JSON：{reason}", row=line)


def json_text(value: object) -> str | None:
    """A JSON value as text: scalars as written, objects and arrays as compact JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain_number)


def _plain_number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def _kind(value: object) -> str:
    return {list: "数组", str: "字符串", bool: "布尔值", type(None): "null"}.get(
        type(value), "数字"
    )


def _reason(exc: json.JSONDecodeError) -> str:
    return f"{exc.msg}（第 {exc.colno} 列）"
