"""What every source connector yields, and the one error type it raises.

A connector turns one department source (a file, an HTTP endpoint, a database table) into a
stream of `SourceRecord`s whose values are all text or None; typing and validation happen later,
in quality. Connectors never buffer a whole source when the format allows streaming.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal, Protocol

# Stable English codes; the ingest layer maps them to its own messages and HTTP answers.
BAD_ENCODING: Final = "bad_encoding"
BAD_CSV: Final = "bad_csv"
RAGGED_ROW: Final = "ragged_row"
MISSING_HEADER: Final = "missing_header"
DUPLICATE_HEADER: Final = "duplicate_header"
PRECISION_LOST: Final = "precision_lost"
STRAY_VALUE: Final = "stray_value"  # XLSX: a cell with data in a column outside the header
FORMULA_ERROR: Final = "formula_error"
SHEET_NOT_FOUND: Final = "sheet_not_found"
UNSAFE_URL: Final = "unsafe_url"
HTTP_ERROR: Final = "http_error"
TOO_LARGE: Final = "too_large"
BAD_JSON: Final = "bad_json"
BAD_RECORD: Final = "bad_record"
UNSUPPORTED_FORMAT: Final = "unsupported_format"
UNSUPPORTED_QUERY: Final = "unsupported_query"
SOURCE_NOT_FOUND: Final = "source_not_found"
DB_ERROR: Final = "db_error"
BAD_WATERMARK: Final = "bad_watermark"
BAD_OPTION: Final = "bad_option"

RowErrorPolicy = Literal["raise", "record"]
"""`raise`: a bad row stops the stream with a ConnectorError (default).
`record`: the row is yielded with `SourceRecord.error` set so ingest can quarantine it and go on.
Errors that concern the whole source (encoding, header, URL) always raise."""


class ConnectorError(Exception):
    """A problem in the source, explained to the user in Chinese.

    `row` is the 1-based line or row number as the user sees it in a text editor or Excel;
    `field` is the column name (or, for XLSX headers, the column letter) when there is one.
    """

    def __init__(
        self, code: str, message_zh: str, row: int | None = None, field: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message_zh}")
        self.code = code
        self.message_zh = message_zh
        self.row = row
        self.field = field

    def __repr__(self) -> str:
        return (
            f"ConnectorError({self.code!r}, {self.message_zh!r}, "
            f"row={self.row}, field={self.field!r})"
        )


@dataclass(frozen=True, slots=True)
class SourceRecord:
    row: int
    values: dict[str, str | None]
    error: ConnectorError | None = None


class Connector(Protocol):
    def columns(self) -> list[str]:
        """Column names in source order; reads the head of the source (JSON: all of it)."""
        ...

    def iter_records(self) -> Iterator[SourceRecord]: ...


def emit_row_error(
    error: ConnectorError, policy: RowErrorPolicy, values: dict[str, str | None]
) -> SourceRecord:
    """Raise under the `raise` policy, else wrap the bad row as a record carrying its error."""
    if policy == "raise":
        raise error
    return SourceRecord(row=error.row or 0, values=values, error=error)


def to_text(value: object) -> str | None:
    """Render a Python value from a driver or parser as text that round-trips where it can."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


def format_float(value: float) -> str:
    """Shortest text for a float, without exponent and without a trailing `.0`."""
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")
