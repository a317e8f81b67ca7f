"""Each vectorised kernel gives its Python validator's answer for every value of its shape and
sends every other value to Python (-1), on crafted, mutated and random values."""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybrain.datahub.quality import bulk_kernels as kernels
from citybrain.datahub.quality import checks
from citybrain.datahub.quality import validators as v
from citybrain.datahub.quality.bulk_kernels import Kernel

TODAY = date(2024, 6, 30)
FUZZ = settings(max_examples=60, derandomize=True, deadline=None)


def _codes(kernel: Kernel, values: list[str | None]) -> list[int]:
    return [int(c) for c in kernel.codes(pa.array(values, pa.string()))]


def _expect(
    kernel: Kernel, values: list[str], shape: str, python: Callable[[str], str | None]
) -> None:
    """Codes of ``values``: -1 exactly off ``shape``, else the Python validator's reason."""
    got = _codes(kernel, values)
    for value, code in zip(values, got, strict=True):
        if re.fullmatch(shape, value) is None:
            assert code == -1, value
            continue
        reason = python(value)
        assert code >= 0, value
        assert (kernel.reasons[code - 1] if code else None) == reason, value


def _vectors(data_dir: Path, name: str, column: str) -> list[str]:
    with (data_dir / "checksums" / name).open(encoding="utf-8") as handle:
        return [row[column] for row in csv.DictReader(handle)]


def _mutations(values: list[str], alphabet: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for value in values:
        for _ in range(20):
            chars = list(value)
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            out.append("".join(chars))
    return out


def _resident_id(value: str) -> str | None:
    return v.validate_resident_id(value, today=TODAY)


def test_resident_id_on_the_vectors_and_their_mutations(data_dir: Path) -> None:
    ids = [i for i in _vectors(data_dir, "cn_resident_id_test_vectors.csv", "number") if i]
    values = ids + _mutations([i for i in ids if len(i) == 18], "0123456789Xx ", 1)
    values += ["810000199101010071", "811000199101010071", "911010219910101007",
               "971010219910101007", "000000199101010071", "11010218590101007X",
               "11010220240701007X", "11010220240630007X"]  # fmt: skip
    _expect(kernels.resident_id(TODAY), values, "[0-9]{17}[0-9X]", _resident_id)


def _id(body: str) -> str:
    return body + v.id_check_char(body)


def test_resident_id_birth_dates_and_regions_with_right_checksums() -> None:
    days = [f"{y:04d}{m:02d}{d:02d}" for y in (1859, 1860, 1900, 2000, 2023, 2024)
            for m in range(0, 14) for d in range(0, 33)]  # fmt: skip
    days += ["20240630", "20240701", "99991231"]
    regions = ["110102", "620722", "810000", "820000", "830000", "811000", "830001", "910102",
               "971010", "000000", "710000", "990000", "920000"]  # fmt: skip
    values = [_id(f"{r}{d}{s:03d}") for r in regions for d in days[::7] for s in (1, 2)]
    values += [_id(f"620722{d}001") for d in days]
    _expect(kernels.resident_id(TODAY), values, "[0-9]{17}[0-9X]", _resident_id)


@FUZZ
@given(st.lists(st.text("0123456789X", min_size=17, max_size=19), min_size=1, max_size=300))
def test_resident_id_on_random_digits(values: list[str]) -> None:
    _expect(kernels.resident_id(TODAY), values, "[0-9]{17}[0-9X]", _resident_id)


@FUZZ
@given(st.lists(st.text("0123456789", min_size=17, max_size=17), min_size=1, max_size=300))
def test_resident_id_on_random_numbers_with_their_check_character(values: list[str]) -> None:
    _expect(kernels.resident_id(TODAY), [_id(b) for b in values], "[0-9]{17}[0-9X]", _resident_id)


def test_uscc_on_the_vectors_and_their_mutations(data_dir: Path) -> None:
    codes = [c for c in _vectors(data_dir, "cn_uscc_test_vectors.csv", "code") if c]
    values = codes + _mutations([c for c in codes if len(c) == 18], v.USCC_CHARSET + "IOZa-", 2)
    _expect(kernels.uscc(), values, f"[{v.USCC_CHARSET}]{{18}}", v.validate_uscc)


@FUZZ
@given(st.lists(st.text(v.USCC_CHARSET[:12] + "9NY", min_size=18, max_size=18), max_size=300))
def test_uscc_on_random_codes(values: list[str]) -> None:
    _expect(kernels.uscc(), values, f"[{v.USCC_CHARSET}]{{18}}", v.validate_uscc)


@FUZZ
@given(st.lists(st.text("0123456789+- ", min_size=10, max_size=12), max_size=300))
def test_mobile(values: list[str]) -> None:
    _expect(kernels.mobile(), values, "1[3-9][0-9]{9}", v.validate_mobile)


def _date(value: str) -> str | None:
    parsed = v.parse_date(value)
    if isinstance(parsed, str):
        return parsed
    assert parsed.isoformat() == value  # the canonical text is the value itself
    return None


DAYS = st.builds(
    "{:04d}-{:02d}-{:02d}".format,
    st.sampled_from([0, 1, 4, 100, 400, 1582, 1900, 2000, 2023, 2024, 9999]) | st.integers(0, 9999),
    st.integers(0, 14),
    st.integers(0, 33),
)


ALL_DAYS = [
    f"{y:04d}-{m:02d}-{d:02d}"
    for y in (0, 1, 4, 100, 400, 1582, 1900, 2000, 2023, 2024, 9999)
    for m in range(0, 15)
    for d in range(0, 34)
]


def test_iso_date_on_every_month_and_day() -> None:
    _expect(kernels.iso_date(), ALL_DAYS, "[0-9]{4}-[0-9]{2}-[0-9]{2}", _date)


@FUZZ
@given(st.lists(DAYS | st.text("0123456789-/ ", min_size=9, max_size=11), max_size=300))
def test_iso_date(values: list[str]) -> None:
    _expect(kernels.iso_date(), values, "[0-9]{4}-[0-9]{2}-[0-9]{2}", _date)


def _datetime(value: str) -> str | None:
    try:
        canonical = checks.TYPE_STEPS["datetime"](value)
    except checks.RuleFailure as failure:
        return failure.reason
    assert canonical == value
    return None


TIMES = st.builds(
    "{} {:02d}:{:02d}:{:02d}".format, DAYS, st.integers(0, 25), st.integers(0, 61),
    st.integers(0, 61),
)  # fmt: skip


DATETIME = "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"


def test_iso_datetime_on_every_day_and_the_edges_of_the_clock() -> None:
    clocks = ["00:00:00", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "12:30:45"]
    values = [f"{day} {clock}" for day in ALL_DAYS[::3] for clock in clocks]
    _expect(kernels.iso_datetime(), values, DATETIME, _datetime)


@FUZZ
@given(st.lists(TIMES | st.text("0123456789-: ", min_size=18, max_size=20), max_size=200))
def test_iso_datetime(values: list[str]) -> None:
    _expect(kernels.iso_datetime(), values, DATETIME, _datetime)


BLANKS = " \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"


@FUZZ
@given(st.lists(st.text("ab张三号\u00e9\u200b\ufeff" + BLANKS, max_size=6), max_size=300))
def test_plain_is_text_without_blanks_at_its_ends(values: list[str]) -> None:
    got = _codes(kernels.plain(), values)
    assert got == [-1 if (not s or s != s.strip()) else 0 for s in values]


def test_kernels_take_nulls_slices_and_mixed_lengths() -> None:
    values = [None, "62072219900101123X", "", "13800138000", None, "2024-02-29", "\u3000x"]
    array = pa.array(values, pa.string())
    for kernel in (kernels.resident_id(TODAY), kernels.mobile(), kernels.iso_date()):
        whole = _codes(kernel, values)
        assert [int(c) for c in kernel.codes(array.slice(2))] == whole[2:]
        assert [int(c) for c in kernel.codes(pa.chunked_array([array[:3], array[3:]]))] == whole
    assert _codes(kernels.resident_id(TODAY), values)[1] in (0, 1, 2, 3, 4)
    assert _codes(kernels.iso_date(), values)[5] == 0
    assert _codes(kernels.plain(), values) == [-1, 0, -1, 0, -1, 0, -1]
    assert _codes(kernels.plain(), []) == []


@pytest.mark.parametrize("width", [18, 10])
def test_a_batch_of_one_length_is_read_without_a_copy(width: int) -> None:
    values = ["1" * width] * 5
    kernel = kernels.resident_id(TODAY) if width == 18 else kernels.iso_date()
    assert _codes(kernel, values) == _codes(kernel, [*values, "x"])[:5]
