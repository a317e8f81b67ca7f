"""Vectorised checks of the values of a batch, on the bytes of Arrow string arrays.

DuckDB calls each kernel with a vector of values at a time (an Arrow UDF, see :mod:`.bulk`);
the kernel answers with one small integer per value: ``-1`` when the value is not of the
kernel's shape (the Python step answers it instead), ``0`` when it passes and ``k > 0`` for
the ``k``-th of the kernel's ``reasons``.

Most shapes are ASCII of a fixed length, so the values are the rows of a byte matrix, and two
adjacent bytes read as one 16-bit number index tables built once: whether both are digits and
what they are worth, their share of a checksum. A check is then a few table look-ups and
additions over all rows at once (GB 11643's 17 weighted digits are nine look-ups), where
taking digits apart by arithmetic or regular expressions costs five to ten times more. Each
kernel is the twin of a Python validator for the values of its shape; the tests compare both
on the demo files, the published test vectors, awkward values and random ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.datahub.quality import validators as v
from citybrain.datahub.quality.checks import BAD_DATETIME

Codes = Any  # numpy arrays (numpy's own typing of shapes is not worth it here)
_PAIRS: Final = np.arange(65536, dtype=np.int32)
_LOW: Final = _PAIRS & 0xFF  # the first byte of a pair (little-endian 16-bit view)
_HIGH: Final = _PAIRS >> 8
_MISS: Final = 1_000_000  # a table entry for a pair not of the shape; any sum with one is >= it


def _digit(byte: Codes) -> Codes:
    return (byte >= 0x30) & (byte <= 0x39)


_BOTH_DIGITS: Final = _digit(_LOW) & _digit(_HIGH)
_TWO_DIGITS: Final = np.where(_BOTH_DIGITS, (_LOW - 0x30) * 10 + _HIGH - 0x30, -1).astype(np.int16)
"""Pair → the two-digit number it writes, or -1."""


@dataclass(frozen=True, slots=True)
class Kernel:
    """A vectorised check: ``codes(array)`` and the reasons its positive codes stand for."""

    name: str
    codes: Callable[[pa.Array], Codes]
    reasons: tuple[str, ...] = ()


def _strings(array: pa.Array) -> tuple[int, Codes, Codes]:
    """``(n, offsets, data)`` of a string array (int64 offsets, uint8 data)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if array.type != pa.string():
        array = array.cast(pa.string())
    n = len(array)
    offsets_buffer, data_buffer = array.buffers()[1], array.buffers()[2]
    if n == 0:
        return 0, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=n + 1, offset=array.offset * 4)
    data = (
        np.frombuffer(data_buffer, dtype=np.uint8)
        if data_buffer is not None
        else np.zeros(0, dtype=np.uint8)
    )
    return n, offsets.astype(np.int64), data


def _matrix(array: pa.Array, width: int) -> tuple[Codes, Codes, Codes]:
    """``(codes, rows, pairs)``: codes all -1; the indexes of the values ``width`` bytes long
    and their bytes as 16-bit pairs (a ``len(rows) × ceil(width / 2)`` matrix; an odd last
    byte is paired with a zero byte)."""
    n, offsets, data = _strings(array)
    codes = np.full(n, -1, dtype=np.int8)
    lengths = np.diff(offsets)
    start = int(offsets[0]) if n else 0
    if n and (lengths == width).all() and width % 2 == 0:  # the usual case: no copy at all
        return codes, np.arange(n), data[start : start + n * width].reshape(n, width).view("<u2")
    rows = np.flatnonzero(lengths == width)
    matrix = np.zeros((len(rows), width + width % 2), dtype=np.uint8)
    matrix[:, :width] = data[offsets[rows][:, None] + np.arange(width)]
    return codes, rows, matrix.view("<u2")


def _real_day(year: Codes, month: Codes, day: Codes) -> Codes:
    """Python's ``date(year, month, day)`` succeeds (1 <= year <= 9999 assumed)."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = _DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days)


_DAYS: Final = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)


def _table(valid: Codes, value: Codes) -> Codes:
    return np.where(valid, value, _MISS).astype(np.int32)


# --- GB 11643 resident ID ---------------------------------------------------------------------

_ID_WEIGHTS: Final = [pow(2, 17 - i, 11) for i in range(17)]
_ID_SUMS: Final = [
    _table(
        _BOTH_DIGITS, _ID_WEIGHTS[2 * k] * (_LOW - 0x30) + _ID_WEIGHTS[2 * k + 1] * (_HIGH - 0x30)
    )
    for k in range(8)
] + [_table(_digit(_LOW) & (_digit(_HIGH) | (ord("X") == _HIGH)), _ID_WEIGHTS[16] * (_LOW - 0x30))]
"""Per pair of positions: its share of the weighted digit sum (the last pair: the 17th digit,
and a digit or X after it)."""
_ID_CHECKS: Final = np.frombuffer(b"10X98765432", dtype=np.uint8).astype(np.int32)
_PROVINCE: Final = np.zeros(100, dtype=bool)
_PROVINCE[[int(p) for p in v.PROVINCE_CODES]] = True
_PERMIT: Final = np.zeros(100, dtype=bool)
_PERMIT[[int(p) for p in v.PERMIT_PREFIXES]] = True
_ZEROS: Final = 0x3030  # "00" as a pair


def resident_id(today: date) -> Kernel:
    """GB 11643 for 17 digits and a digit or ``X`` (``validators.validate_resident_id``
    without a region lookup): checksum, birth date (real, from 1860, not after ``today``),
    then the address code: 9 + province, 81/82/83 + 0000, or a province."""
    today_ymd = today.year * 10000 + today.month * 100 + today.day

    def codes(array: pa.Array) -> Codes:
        out, rows, pairs = _matrix(array, 18)
        total = _ID_SUMS[0][pairs[:, 0]]
        for k in range(1, 9):
            total = total + _ID_SUMS[k][pairs[:, k]]
        shaped = total < _MISS
        checksum_ok = _ID_CHECKS[total % 11] == (pairs[:, 8] >> 8)
        year = _TWO_DIGITS[pairs[:, 3]].astype(np.int32) * 100 + _TWO_DIGITS[pairs[:, 4]]
        month = _TWO_DIGITS[pairs[:, 5]].astype(np.int32)
        day = _TWO_DIGITS[pairs[:, 6]].astype(np.int32)
        ymd = year * 10000 + month * 100 + day
        born_ok = _real_day(year, month, day) & (year >= v.MIN_BIRTH_YEAR) & (ymd <= today_ymd)
        prefix = np.clip(_TWO_DIGITS[pairs[:, 0]], 0, 99)
        # 9 + a province: the second and third digits straddle the first two pairs.
        after_nine = np.clip(((pairs[:, 0] >> 8) - 0x30) * 10 + (pairs[:, 1] & 0xFF) - 0x30, 0, 99)
        foreign = (pairs[:, 0] & 0xFF) == ord("9")
        permit_ok = (pairs[:, 1] == _ZEROS) & (pairs[:, 2] == _ZEROS)
        region = np.where(
            foreign,
            np.where(_PROVINCE[after_nine], 0, 3),
            np.where(
                _PERMIT[prefix],
                np.where(permit_ok, 0, 4),
                np.where(_PROVINCE[prefix], 0, 3),
            ),
        )
        code = np.where(checksum_ok, np.where(born_ok, region, 2), 1)
        out[rows[shaped]] = code[shaped]
        return out

    reasons = (v.BAD_CHECKSUM, v.BAD_BIRTH_DATE, v.UNKNOWN_REGION_PREFIX, v.UNKNOWN_REGION)
    return Kernel("resident_id", codes, reasons)


# --- GB 32100 unified social credit code ------------------------------------------------------

_USCC_VALUE: Final = np.full(256, _MISS, dtype=np.int32)
_USCC_VALUE[np.frombuffer(v.USCC_CHARSET.encode(), dtype=np.uint8)] = np.arange(len(v.USCC_CHARSET))
_USCC_WEIGHTS: Final = [pow(3, i, 31) for i in range(17)]
_USCC_LOW: Final = _USCC_VALUE[_LOW]
_USCC_HIGH: Final = _USCC_VALUE[_HIGH]
_USCC_SUMS: Final = [
    _table(
        (_USCC_LOW < _MISS) & (_USCC_HIGH < _MISS),
        _USCC_WEIGHTS[2 * k] * _USCC_LOW + _USCC_WEIGHTS[2 * k + 1] * _USCC_HIGH,
    )
    for k in range(8)
] + [_table((_USCC_LOW < _MISS) & (_USCC_HIGH < _MISS), _USCC_WEIGHTS[16] * _USCC_LOW)]
_USCC_CHECK: Final = np.where(_USCC_HIGH < _MISS, _USCC_HIGH, -1).astype(np.int32)
_USCC_AUTHORITY: Final = np.zeros(65536, dtype=bool)
for _authority, _types in v.USCC_AUTHORITY_TYPES.items():
    for _type in _types:
        _USCC_AUTHORITY[ord(_authority) | ord(_type) << 8] = True


def uscc() -> Kernel:
    """GB 32100 for 18 characters of the code's own alphabet (``validators.validate_uscc``
    without a region lookup): characters 3-8 digits, checksum, then authority and type."""

    def codes(array: pa.Array) -> Codes:
        out, rows, pairs = _matrix(array, 18)
        total = _USCC_SUMS[0][pairs[:, 0]]
        for k in range(1, 9):
            total = total + _USCC_SUMS[k][pairs[:, k]]
        shaped = total < _MISS
        digits_ok = (
            _BOTH_DIGITS[pairs[:, 1]] & _BOTH_DIGITS[pairs[:, 2]] & _BOTH_DIGITS[pairs[:, 3]]
        )
        checksum_ok = (31 - total % 31) % 31 == _USCC_CHECK[pairs[:, 8]]
        authority_ok = _USCC_AUTHORITY[pairs[:, 0]]
        code = np.where(digits_ok, np.where(checksum_ok, np.where(authority_ok, 0, 3), 2), 1)
        out[rows[shaped]] = code[shaped]
        return out

    return Kernel("uscc", codes, (v.BAD_FORMAT, v.BAD_CHECKSUM, v.UNKNOWN_AUTHORITY_CODE))


# --- mobile numbers, dates, times -------------------------------------------------------------

_MOBILE_HEAD: Final = (ord("1") == _LOW) & (ord("3") <= _HIGH) & (ord("9") >= _HIGH)
_DIGIT_AND_ZERO: Final = _digit(_LOW) & (_HIGH == 0)  # an odd last byte, paired with zero


def mobile() -> Kernel:
    """``1[3-9]`` and nine digits, which every mobile rule passes unchanged."""

    def codes(array: pa.Array) -> Codes:
        out, rows, pairs = _matrix(array, 11)
        ok = _MOBILE_HEAD[pairs[:, 0]] & _DIGIT_AND_ZERO[pairs[:, 5]]
        for k in range(1, 5):
            ok &= _BOTH_DIGITS[pairs[:, k]]
        out[rows[ok]] = 0
        return out

    return Kernel("mobile", codes)


def _digit_after(char: str) -> Codes:
    """Pair → the digit after ``char``, or -1."""
    return np.where((ord(char) == _LOW) & _digit(_HIGH), _HIGH - 0x30, -1).astype(np.int16)


def _digit_before(char: str) -> Codes:
    """Pair → the digit before ``char``, or -1."""
    return np.where(_digit(_LOW) & (ord(char) == _HIGH), _LOW - 0x30, -1).astype(np.int16)


_DASH_DIGIT: Final = _digit_after("-")
_DIGIT_DASH: Final = _digit_before("-")
_SPACE_DIGIT: Final = _digit_after(" ")
_DIGIT_COLON: Final = _digit_before(":")
_COLON_DIGIT: Final = _digit_after(":")
_DIGIT_ALONE: Final = np.where(_DIGIT_AND_ZERO, _LOW - 0x30, -1).astype(np.int16)


def _ymd(pairs: Codes) -> tuple[Codes, Codes, Codes, Codes]:
    """``(shaped, year, month, day)`` of ``YYYY-MM-DD`` in the first five pairs."""
    parts = (
        _TWO_DIGITS[pairs[:, 0]],
        _TWO_DIGITS[pairs[:, 1]],
        _DASH_DIGIT[pairs[:, 2]],
        _DIGIT_DASH[pairs[:, 3]],
        _TWO_DIGITS[pairs[:, 4]],
    )
    shaped = (parts[0] | parts[1] | parts[2] | parts[3] | parts[4]) >= 0
    year = parts[0].astype(np.int32) * 100 + parts[1]
    month = parts[2].astype(np.int32) * 10 + parts[3]
    return shaped, year, month, parts[4].astype(np.int32)


def iso_date(reason: str = v.BAD_DATE) -> Kernel:
    """``YYYY-MM-DD`` (the first form ``validators.parse_date`` tries): a real day, else
    ``reason``."""

    def codes(array: pa.Array) -> Codes:
        out, rows, pairs = _matrix(array, 10)
        shaped, year, month, day = _ymd(pairs)
        out[rows[shaped]] = np.where(_real_day(year, month, day), 0, 1)[shaped]
        return out

    return Kernel("iso_date", codes, (reason,))


def iso_datetime() -> Kernel:
    """``YYYY-MM-DD HH:MM:SS``, which ``datetime.fromisoformat`` reads and writes back
    unchanged; a day or a time that does not exist is ``bad_datetime``."""

    def codes(array: pa.Array) -> Codes:
        out, rows, pairs = _matrix(array, 19)
        shaped, year, month, day = _ymd(pairs)
        # " H" "H:" "MM" ":S" "S\0"
        parts = (
            _SPACE_DIGIT[pairs[:, 5]],
            _DIGIT_COLON[pairs[:, 6]],
            _TWO_DIGITS[pairs[:, 7]],
            _COLON_DIGIT[pairs[:, 8]],
            _DIGIT_ALONE[pairs[:, 9]],
        )
        shaped &= (parts[0] | parts[1] | parts[2] | parts[3] | parts[4]) >= 0
        hour = parts[0].astype(np.int32) * 10 + parts[1]
        second = parts[3].astype(np.int32) * 10 + parts[4]
        clock = (hour < 24) & (parts[2] < 60) & (second < 60)
        out[rows[shaped]] = np.where(_real_day(year, month, day) & clock, 0, 1)[shaped]
        return out

    return Kernel("iso_datetime", codes, (BAD_DATETIME,))


# --- plain text -------------------------------------------------------------------------------

_SPACE_CHARS: Final = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_ASCII_BLANK: Final = np.zeros(256, dtype=bool)
_ASCII_BLANK[[ord(c) for c in _SPACE_CHARS if ord(c) < 0x80]] = True
_WIDE: Final = [c.encode() for c in _SPACE_CHARS if ord(c) >= 0x80]
_WIDE2: Final = np.array(sorted(int.from_bytes(b, "big") for b in _WIDE if len(b) == 2))
_WIDE3: Final = np.array(sorted(int.from_bytes(b, "big") for b in _WIDE if len(b) == 3))
"""The blanks outside ASCII, their UTF-8 bytes as one big-endian number (two or three bytes)."""
_LEADS: Final = np.zeros(256, dtype=bool)
_LEADS[[b[0] for b in _WIDE]] = True
_TAILS: Final = np.zeros(256, dtype=bool)
_TAILS[[b[-1] for b in _WIDE]] = True


def _bytes_at(data: Codes, positions: Codes) -> Codes:
    """``data[positions]`` as int64, 0 where a position is outside the data."""
    inside = (positions >= 0) & (positions < len(data))
    return np.where(inside, data[np.clip(positions, 0, len(data) - 1)], 0).astype(np.int64)


def _encodes(data: Codes, start: Codes, size: int, encodings: Codes) -> Codes:
    """Whether the ``size`` bytes from ``start`` are one of ``encodings``. Strings are valid
    UTF-8, so such a match is a whole character of the string even where ``start`` was taken
    from its end: a lead byte (C2, E1-E3) is never a continuation byte."""
    number = np.zeros(len(start), dtype=np.int64)
    for offset in range(size):
        number = number << 8 | _bytes_at(data, start + offset)
    return np.isin(number, encodings)


def plain() -> Kernel:
    """Text with no character str.strip() removes at either end (not empty): Python steps
    that only strip it would leave it unchanged."""

    def codes(array: pa.Array) -> Codes:
        n, offsets, data = _strings(array)
        out = np.zeros(n, dtype=np.int8)
        if n == 0:
            return out
        if len(data) == 0:
            return np.full(n, -1, dtype=np.int8)
        starts, ends = offsets[:-1], offsets[1:]
        empty = ends == starts
        first = _bytes_at(data, starts)
        last = _bytes_at(data, ends - 1)
        blank = empty | _ASCII_BLANK[first] | _ASCII_BLANK[last]
        maybe = ~blank & (_LEADS[first] | _TAILS[last])
        if maybe.any():
            at = np.flatnonzero(maybe)
            s, e = starts[at], ends[at]
            blank[at] = (
                _encodes(data, s, 2, _WIDE2)
                | _encodes(data, s, 3, _WIDE3)
                | _encodes(data, e - 2, 2, _WIDE2)
                | _encodes(data, e - 3, 3, _WIDE3)
            )
        out[blank] = -1
        return out

    return Kernel("plain", codes)
