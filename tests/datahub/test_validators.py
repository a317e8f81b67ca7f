"""Validators against the published vectors in $CITYBRAIN_DATA_DIR/checksums and exhaustively."""

from __future__ import annotations

import csv
import os
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from citybrain.datahub.quality import validators as v
from citybrain.datahub.quality.validators import (
    REASON_MESSAGES,
    Gender,
    birth_date_from_id,
    gender_from_id,
    id15_to_18,
    id_check_char,
    parse_date,
    uscc_check_char,
    validate_date,
    validate_enum,
    validate_landline,
    validate_mobile,
    validate_range,
    validate_required,
    validate_resident_id,
    validate_uscc,
)

DATA_DIR = Path(os.environ.get("CITYBRAIN_DATA_DIR", "/work/shared/data"))
CHECKSUMS = DATA_DIR / "checksums"
# The vectors' own dates lie before this; a fixed "today" keeps the tests independent of the
# clock.
TODAY = date(2024, 6, 1)


def _rows(name: str) -> list[dict[str, str]]:
    with (CHECKSUMS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ID_ROWS = _rows("cn_resident_id_test_vectors.csv")
USCC_ROWS = _rows("cn_uscc_test_vectors.csv")

# Why each published *invalid* resident ID is invalid, as our validator must report it. The
# sources assert only "invalid"; the reason here follows the `note` column.
ID_INVALID_REASONS = {
    "990426199112010074": v.UNKNOWN_REGION_PREFIX,  # 9 + "90": no province 90 (checksum fine)
    "T60426199101010078": v.BAD_FORMAT,  # letter in the number
    "360426199113010079": v.BAD_BIRTH_DATE,  # month 13
    "36042619910102009X": v.BAD_CHECKSUM,  # wrong check character
    "3301022011022000D6": v.BAD_FORMAT,  # letter in the number
    "360198910283844": v.BAD_BIRTH_DATE,  # 15-digit: 1991-02-83
    # hutool: "invalid birthday". Its checksum is right; the date 2218-97-20 is impossible, and
    # the prefix 20 is no province either, but the date is checked first.
    "201511221897205960": v.BAD_BIRTH_DATE,
    "815727834224151": v.BAD_BIRTH_DATE,  # 15-digit: 1983-42-24
}


def test_vector_files_are_the_documented_ones() -> None:
    assert len(ID_ROWS) == 29
    assert len(USCC_ROWS) == 209


@pytest.mark.parametrize("row", ID_ROWS, ids=lambda r: r["number"])
def test_resident_id_vectors(row: dict[str, str]) -> None:
    number, expected = row["number"], row["expected_valid_per_source"]
    reason = validate_resident_id(number, today=TODAY)
    if expected == "true":
        assert reason is None, row
    elif expected == "false":
        assert reason == ID_INVALID_REASONS[number], row
    else:
        # The source asserts no validity (birth-place lookups, age, conversion input, the
        # strict-mode lower-case x). Our rules find all of them valid: a right checksum, a real
        # date, a province prefix. 110111198012010078 and 110201199312010077 fail python-stdnum's
        # *historical* birth-place lookup (county code not in use in the birth year); we do not
        # check region history, only existence through `region_exists`.
        assert expected == ""
        assert reason is None, row


def test_resident_id_computed_checksum_column_agrees() -> None:
    for row in ID_ROWS:
        computed = row["gb11643_checksum_ok_computed"]
        if computed:
            number = v.normalize_resident_id(row["number"])
            assert (id_check_char(number[:17]) == number[17]) is (computed == "true"), row


def test_resident_id_15_to_18_conversion_pairs() -> None:
    # hutool convert15To18 pairs, as given in the `note` column.
    pairs = {
        row["number"]: row["note"].rsplit(" ", 1)[-1]
        for row in ID_ROWS
        if row["kind"] == "15-digit" and row["note"].startswith(("converts to", "first-gen"))
    }
    assert pairs == {
        "150102880730303": "150102198807303035",
        "330102200403064": "33010219200403064X",
    }
    for id15, id18 in pairs.items():
        assert id15_to_18(id15) == id18
        assert validate_resident_id(id18, today=TODAY) is None


def test_resident_id_lower_case_x_is_accepted() -> None:
    assert validate_resident_id("44011320141005001x", today=TODAY) is None
    assert v.normalize_resident_id(" 44011320141005001x ") == "44011320141005001X"


def test_resident_id_hutool_facts() -> None:
    # 321083197812162119: birth 1978-12-16, male (note column).
    assert birth_date_from_id("321083197812162119") == date(1978, 12, 16)
    assert gender_from_id("321083197812162119") is Gender.male
    assert Gender.male.gb2261_code == "1"
    # issue3651: born 2008-07-11 and 2008-07-31.
    assert birth_date_from_id("321083200807112111") == date(2008, 7, 11)
    assert birth_date_from_id("321083200807312113") == date(2008, 7, 31)
    assert birth_date_from_id("150102880730303") == date(1988, 7, 30)
    assert gender_from_id("33010219200403064X") is Gender.female  # sequence 064: even
    with pytest.raises(ValueError, match="birth date"):
        birth_date_from_id("360426199113010079")
    with pytest.raises(ValueError, match="not a resident ID"):
        gender_from_id("12345")


def _valid_ids() -> list[str]:
    return [
        v.normalize_resident_id(r["number"])
        for r in ID_ROWS
        if r["kind"] == "18-digit" and validate_resident_id(r["number"], today=TODAY) is None
    ]


def test_every_single_character_change_of_a_valid_id_is_detected() -> None:
    # MOD 11-2 detects every single substitution: each weight is non-zero mod 11.
    checked = 0
    for number in _valid_ids():
        for position in range(18):
            alphabet = "0123456789X" if position == 17 else "0123456789"
            for replacement in alphabet:
                if replacement == number[position]:
                    continue
                changed = number[:position] + replacement + number[position + 1 :]
                assert id_check_char(changed[:17]) != changed[17], changed
                checked += 1
    assert checked > 2000


def test_every_adjacent_transposition_of_a_valid_id_is_detected() -> None:
    for number in _valid_ids():
        for i in range(17):
            a, b = number[i], number[i + 1]
            if a == b or "X" in (a, b):
                continue
            swapped = number[:i] + b + a + number[i + 2 :]
            assert id_check_char(swapped[:17]) != swapped[17], swapped


def test_id_check_char_against_brute_force_definition() -> None:
    rng = random.Random(11643)
    for _ in range(2000):
        body = "".join(rng.choice("0123456789") for _ in range(17))
        # The check character c makes sum(a_i * 2^(i-1)) ≡ 1 (mod 11) over all 18 positions,
        # counting positions from the right and X as 10 (ISO 7064 MOD 11-2).
        (check,) = [
            c
            for c in "0123456789X"
            if (
                sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
                + (10 if c == "X" else int(c))
            )
            % 11
            == 1
        ]
        assert id_check_char(body) == check


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", v.REQUIRED),
        ("   ", v.REQUIRED),
        ("12345", v.BAD_LENGTH),
        ("3604261991010100711", v.BAD_LENGTH),
        ("36042619910101007Y", v.BAD_FORMAT),
        ("36042619910101007X", v.BAD_CHECKSUM),
        ("３６０４２６１９９１０１０１００７１", None),  # full-width digits are folded
        ("360426 1991 0101 0071", None),  # blanks are removed
        ("360426910101007", None),  # 15 digits, converted first
        ("36042691010100A", v.BAD_FORMAT),
    ],
)
def test_resident_id_shape_reasons(number: str, reason: str | None) -> None:
    assert validate_resident_id(number, today=TODAY) == reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("11010118590101001", v.BAD_BIRTH_DATE),  # before 1860
        ("11010120240602001", v.BAD_BIRTH_DATE),  # after TODAY
        ("11010120240601001", None),  # born today
        ("11010119000229001", v.BAD_BIRTH_DATE),  # 1900 was no leap year
        ("71010119900101001", v.UNKNOWN_REGION_PREFIX),  # Taiwan 71 is no ID prefix
        ("00010119900101001", v.UNKNOWN_REGION_PREFIX),
        ("81000019900101001", None),  # Hong Kong residence permit
        ("81010119900101001", v.UNKNOWN_REGION),  # permits use 810000 only
        ("93268219850101001", None),  # foreigner ID: 9, province 32, nationality 682
        ("91010119900101001", v.UNKNOWN_REGION_PREFIX),  # foreigner ID: no province 10
    ],
)
def test_resident_id_content_reasons(body: str, reason: str | None) -> None:
    # A correct check character, so only the rule under test can fail.
    assert validate_resident_id(body + id_check_char(body), today=TODAY) == reason


def test_legacy_15_digit_numbers_have_province_prefixes_only() -> None:
    assert validate_resident_id("810000900101001", today=TODAY) == v.UNKNOWN_REGION_PREFIX
    assert validate_resident_id("932682850101001", today=TODAY) == v.UNKNOWN_REGION_PREFIX


def test_resident_id_region_callable() -> None:
    known = {"360426", "620722"}
    assert validate_resident_id("360426199101010071", region_exists=known.__contains__) is None
    assert validate_resident_id("412723199010050012", region_exists=known.__contains__) == (
        v.UNKNOWN_REGION
    )
    # Permits and foreigner IDs carry no county, so the callable is not asked.
    assert validate_resident_id("81000019980902013X", region_exists=known.__contains__) is None
    assert validate_resident_id("932682198501010017", region_exists=known.__contains__) is None


def test_resident_id_today_default_is_the_real_date() -> None:
    assert validate_resident_id("360426199101010071") is None


# --- unified social credit code ----------------------------------------------------------------

USCC_INVALID_REASONS = {
    "12345": v.BAD_LENGTH,
    # python-stdnum says InvalidFormat ("first character not allowed"): its format check predates
    # the authority code A (中央军委改革和编制办公室), which GB 32100's code list now has, A1
    # included. The code is invalid for us too, because its check character is wrong.
    "A1110000600037341L": v.BAD_CHECKSUM,
    "9111000060003IOZSV": v.BAD_FORMAT,  # I O S V Z are not in the charset
    "91110000600037341N": v.BAD_CHECKSUM,
    # hutool: an early pilot-region code (厦门) that does not conform to GB 32100.
    "91350211M00013FA1N": v.BAD_CHECKSUM,
}


@pytest.mark.parametrize("row", USCC_ROWS, ids=lambda r: r["code"])
def test_uscc_vectors(row: dict[str, str]) -> None:
    code, expected = row["code"], row["expected_valid_per_source"]
    reason = validate_uscc(code)
    if expected == "true":  # includes "91 110000 600037341L": blanks are removed first
        assert reason is None, row
    elif expected == "false":
        assert reason == USCC_INVALID_REASONS[code], row
    else:
        # 91310115591693856A: hutool asserts only its simple format check; the full check
        # passes as well.
        assert code == "91310115591693856A"
        assert reason is None


def test_uscc_computed_checksum_column_agrees() -> None:
    for row in USCC_ROWS:
        if row["gb32100_checksum_ok_computed"]:
            code = v.normalize_uscc(row["code"])
            ok = uscc_check_char(code[:17]) == code[17]
            assert ok is (row["gb32100_checksum_ok_computed"] == "true"), row


def test_every_single_character_change_of_a_valid_uscc_is_detected() -> None:
    valid = [v.normalize_uscc(r["code"]) for r in USCC_ROWS if r["expected_valid_per_source"]]
    valid = [c for c in valid if validate_uscc(c) is None]
    assert len(valid) >= 200
    for code in valid[:40]:
        for position in range(18):
            for replacement in v.USCC_CHARSET:
                if replacement != code[position]:
                    changed = code[:position] + replacement + code[position + 1 :]
                    assert uscc_check_char(changed[:17]) != changed[17], changed


def test_uscc_authority_and_type_codes() -> None:
    def with_check(body17: str) -> str:
        return body17 + uscc_check_char(body17)

    assert validate_uscc(with_check("N2620722MA7ABCDE1")) is None  # 农业, village collective
    assert validate_uscc(with_check("Y1620722MA7ABCDE1")) is None
    assert validate_uscc(with_check("94620722MA7ABCDE1")) == v.UNKNOWN_AUTHORITY_CODE
    assert validate_uscc(with_check("B1620722MA7ABCDE1")) == v.UNKNOWN_AUTHORITY_CODE
    assert validate_uscc(with_check("Y2620722MA7ABCDE1")) == v.UNKNOWN_AUTHORITY_CODE
    assert validate_uscc(with_check("9162A722MA7ABCDE1")) == v.BAD_FORMAT  # region not digits
    assert validate_uscc(
        with_check("91620722MA7ABCDE1"), region_exists={"620722"}.__contains__
    ) is (None)
    assert validate_uscc(
        with_check("91620799MA7ABCDE1"), region_exists={"620722"}.__contains__
    ) == (v.UNKNOWN_REGION)
    assert validate_uscc("91110000600037341l") is None  # lower case is folded
    assert validate_uscc("") == v.REQUIRED


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("13800138000", None),
        ("+86 138 0013 8000", None),
        ("0086-19912345678", None),
        ("8613800138000", None),
        ("138-0013-8000", None),
        ("", v.REQUIRED),
        ("1380013800", v.BAD_LENGTH),
        ("138001380001", v.BAD_LENGTH),
        ("12800138000", v.BAD_FORMAT),
        ("23800138000", v.BAD_FORMAT),
        ("1380013800a", v.BAD_FORMAT),
        ("0931-8888888", v.BAD_FORMAT),
    ],
)
def test_mobile(number: str, reason: str | None) -> None:
    assert validate_mobile(number) == reason


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("010-62345678", None),
        ("0936 4412345", None),
        ("09364412345", None),
        ("(0936)4412345", None),
        ("021-62345678-8021", None),
        ("0936-4412345转206", None),
        ("0755 2345 678", v.BAD_FORMAT),  # blanks inside the local number
        ("010-6234567890", v.BAD_FORMAT),
        ("010-12345678", v.BAD_FORMAT),  # local numbers never start with 0 or 1
        ("010-02345678", v.BAD_FORMAT),  # local numbers never start with 0 or 1
        ("0936-441234", v.BAD_FORMAT),
        ("13800138000", v.BAD_FORMAT),
        ("", v.REQUIRED),
    ],
)
def test_landline(number: str, reason: str | None) -> None:
    assert validate_landline(number) == reason


# --- dates, ranges, enumerations, presence -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-01-06", date(2020, 1, 6)),
        ("2020/1/6", date(2020, 1, 6)),
        ("2020.1.6", date(2020, 1, 6)),
        ("2020年1月6日", date(2020, 1, 6)),
        ("2020年01月06号", date(2020, 1, 6)),
        ("２０２０年１月６日", date(2020, 1, 6)),
        ("20200106", date(2020, 1, 6)),
        (" 2024-02-29 ", date(2024, 2, 29)),
        ("2023-02-29", v.BAD_DATE),
        ("2020-13-01", v.BAD_DATE),
        ("2020/1/6 12:09:38", v.BAD_DATE),
        ("06/01/2020", v.BAD_DATE),
        ("2020-1-6-7", v.BAD_DATE),
        ("", v.REQUIRED),
    ],
)
def test_parse_date(text: str, expected: date | str) -> None:
    assert parse_date(text) == expected
    assert validate_date(text) == (expected if isinstance(expected, str) else None)


def test_validate_range() -> None:
    assert validate_range("5", minimum=0, maximum=10) is None
    assert validate_range(" 10.00 ", minimum=0, maximum=10) is None
    assert validate_range(Decimal("0"), minimum=0) is None
    assert validate_range(-0.5, minimum=0) == v.BELOW_MINIMUM
    assert validate_range("10.01", maximum=10) == v.ABOVE_MAXIMUM
    assert validate_range("abc") == v.NOT_A_NUMBER
    assert validate_range("NaN") == v.NOT_A_NUMBER
    assert validate_range("inf") == v.NOT_A_NUMBER
    assert validate_range(True) == v.NOT_A_NUMBER
    assert validate_range("") == v.REQUIRED
    assert validate_range("１２", maximum=12) is None


def test_validate_enum_and_required() -> None:
    assert validate_enum("男", {"男", "女"}) is None
    assert validate_enum("未知", {"男", "女"}) == v.NOT_ALLOWED_VALUE
    assert validate_enum("Yes", ["yes", "no"]) == v.NOT_ALLOWED_VALUE
    assert validate_enum("Yes", ["yes", "no"], ignore_case=True) is None
    assert validate_enum(" ", ["yes"]) == v.REQUIRED
    assert validate_required(None) == v.REQUIRED
    assert validate_required("  ") == v.REQUIRED
    assert validate_required([]) == v.REQUIRED
    assert validate_required(0) is None
    assert validate_required("x") is None


def test_every_reason_has_a_chinese_message() -> None:
    codes = {
        value
        for name, value in vars(v).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    } - {v.USCC_CHARSET}
    assert codes == set(REASON_MESSAGES)
    assert all(REASON_MESSAGES[c] and not REASON_MESSAGES[c].isascii() for c in codes)


def test_named_validators_registry() -> None:
    assert v.VALIDATORS["resident_id"]("360426199101010071") is None
    assert v.VALIDATORS["uscc"]("91110000600037341L") is None
    assert v.VALIDATORS["mobile"]("13800138000") is None
    assert v.VALIDATORS["required"]("") == v.REQUIRED
