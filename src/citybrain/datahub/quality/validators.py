"""Named, pure field validators for data-quality rules.

Invariants:
- A validator returns ``None`` when the value is valid, otherwise one stable English reason code;
  every code has a Chinese message in :data:`REASON_MESSAGES`.
- Validators do no I/O. Facts that live in the database (does a 6-digit region code exist?)
  come in as callables.
- Checks run in a fixed order (length, characters, checksum, content), so a value that breaks
  several rules always gets the same, first reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

REQUIRED: Final = "required"
BAD_LENGTH: Final = "bad_length"
BAD_FORMAT: Final = "bad_format"
BAD_CHECKSUM: Final = "bad_checksum"
BAD_BIRTH_DATE: Final = "bad_birth_date"
UNKNOWN_REGION_PREFIX: Final = "unknown_region_prefix"
UNKNOWN_REGION: Final = "unknown_region"
UNKNOWN_AUTHORITY_CODE: Final = "unknown_authority_code"
BAD_DATE: Final = "bad_date"
NOT_A_NUMBER: Final = "not_a_number"
BELOW_MINIMUM: Final = "below_minimum"
ABOVE_MAXIMUM: Final = "above_maximum"
NOT_ALLOWED_VALUE: Final = "not_allowed_value"

REASON_MESSAGES: Final[dict[str, str]] = {
    REQUIRED: "必填项为空",
    BAD_LENGTH: "长度不正确",
    BAD_FORMAT: "格式不正确",
    BAD_CHECKSUM: "校验码错误",
    BAD_BIRTH_DATE: "出生日期无效或晚于当前日期",
    UNKNOWN_REGION_PREFIX: "行政区划代码前缀（省级）不存在",
    UNKNOWN_REGION: "行政区划代码不存在",
    UNKNOWN_AUTHORITY_CODE: "登记管理部门代码或机构类别代码不存在",
    BAD_DATE: "日期无法识别或不存在",
    NOT_A_NUMBER: "不是有效数字",
    BELOW_MINIMUM: "小于允许的最小值",
    ABOVE_MAXIMUM: "大于允许的最大值",
    NOT_ALLOWED_VALUE: "不在允许的取值范围内",
}

RegionExists = Callable[[str], bool]

# GB/T 2260 province-level codes of the 31 mainland provinces (Taiwan 71, HK 81, Macau 82 are
# not used as the address code of a mainland resident ID).
_PROVINCE_TABLE: Final = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65"
)
PROVINCE_CODES: Final = frozenset(_PROVINCE_TABLE.split())
# Residence permits for Hong Kong, Macau and Taiwan residents use 810000 / 820000 / 830000.
PERMIT_PREFIXES: Final = frozenset({"81", "82", "83"})
# The oldest person ever recorded lived to 122 and IDs were first issued in 1984, so nobody
# born before 1860 ever held one; earlier years are typing errors.
MIN_BIRTH_YEAR: Final = 1860

_ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK_CHARS: Final = "10X98765432"
_DIGITS = re.compile(r"\d+")


class Gender(StrEnum):
    male = "male"
    female = "female"

    @property
    def gb2261_code(self) -> str:
        """The GB/T 2261.1 code: 1 male, 2 female."""
        return "1" if self is Gender.male else "2"


# --- GB 11643 resident identity number ---------------------------------------------------------


def normalize_resident_id(value: str) -> str:
    """Blanks removed, full-width digits folded, check character upper-cased."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def id_check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(body17) != 17 or not body17.isascii() or not body17.isdigit():
        raise ValueError("expected 17 digits")
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def id15_to_18(id15: str) -> str:
    """First-generation 15-digit number → 18 digits: century ``19`` inserted, check appended."""
    id15 = normalize_resident_id(id15)
    if len(id15) != 15 or not id15.isascii() or not id15.isdigit():
        raise ValueError("expected 15 digits")
    body = id15[:6] + "19" + id15[6:]
    return body + id_check_char(body)


def _birth_date(id18: str) -> date | None:
    try:
        born = date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None
    return born if born.year >= MIN_BIRTH_YEAR else None


def _as_id18(value: str) -> str | None:
    """18-digit form when the shape (length and characters) is right, else ``None``."""
    s = normalize_resident_id(value)
    if len(s) == 15 and s.isascii() and s.isdigit():
        return id15_to_18(s)
    if len(s) == 18 and s.isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X"):
        return s
    return None


def validate_resident_id(
    value: str, *, today: date | None = None, region_exists: RegionExists | None = None
) -> str | None:
    """GB 11643 number (18 digits, or a legacy 15-digit one converted first).

    Order: length → characters → checksum → birth date (real, ≥ 1860, not after ``today``) →
    address code: first two digits a province, 81/82/83 + ``0000`` (HK/Macau/Taiwan residence
    permits), or ``9`` + province (2023 foreign permanent-resident ID); ``region_exists``, when
    given, is asked about the 6-digit code of ordinary resident IDs.
    """
    s = normalize_resident_id(value)
    if not s:
        return REQUIRED
    if len(s) not in (15, 18):
        return BAD_LENGTH
    id18 = _as_id18(s)
    if id18 is None:
        return BAD_FORMAT
    if id_check_char(id18[:17]) != id18[17]:
        return BAD_CHECKSUM
    born = _birth_date(id18)
    if born is None or born > (today or date.today()):
        return BAD_BIRTH_DATE
    return _check_id_region(id18, legacy=len(s) == 15, region_exists=region_exists)


def _check_id_region(id18: str, *, legacy: bool, region_exists: RegionExists | None) -> str | None:
    prefix = id18[:2]
    if not legacy and id18[0] == "9":
        return None if id18[1:3] in PROVINCE_CODES else UNKNOWN_REGION_PREFIX
    if not legacy and prefix in PERMIT_PREFIXES:
        return None if id18[2:6] == "0000" else UNKNOWN_REGION
    if prefix not in PROVINCE_CODES:
        return UNKNOWN_REGION_PREFIX
    if region_exists is not None and not region_exists(id18[:6]):
        return UNKNOWN_REGION
    return None


def birth_date_from_id(value: str) -> date:
    """Birth date encoded in a 15- or 18-digit number; ``ValueError`` when there is none."""
    id18 = _as_id18(value)
    born = _birth_date(id18) if id18 else None
    if born is None:
        raise ValueError(f"no valid birth date in {value!r}")
    return born


def gender_from_id(value: str) -> Gender:
    """Gender from the sequence code (odd male, even female); ``ValueError`` on bad shape."""
    id18 = _as_id18(value)
    if id18 is None:
        raise ValueError(f"not a resident ID number: {value!r}")
    return Gender.male if int(id18[16]) % 2 else Gender.female


# --- GB 32100 unified social credit code -----------------------------------------------------

USCC_CHARSET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I O S V Z
_USCC_VALUE: Final = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
# Registration authority (1st char) → allowed organisation type codes (2nd char), GB 32100 and
# the code list of the national USCC centre: 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政,
# 6 旅游, 7 宗教, 8 工会, 9 市场监管(工商), A 中央军委改革和编制办公室, N 农业, Y 其他.
USCC_AUTHORITY_TYPES: Final[dict[str, frozenset[str]]] = {
    "1": frozenset("1239"),
    "2": frozenset("19"),
    "3": frozenset("123459"),
    "4": frozenset("19"),
    "5": frozenset("1239"),
    "6": frozenset("129"),
    "7": frozenset("129"),
    "8": frozenset("19"),
    "9": frozenset("123"),
    "A": frozenset("19"),
    "N": frozenset("1239"),
    "Y": frozenset("1"),
}


def normalize_uscc(value: str) -> str:
    """Blanks and hyphens removed, full-width folded, upper-cased."""
    return "".join(unicodedata.normalize("NFKC", value).split()).replace("-", "").upper()


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character (MOD 31) of the first 17 characters."""
    if len(body17) != 17 or any(c not in _USCC_VALUE for c in body17):
        raise ValueError("expected 17 characters of the USCC charset")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(value: str, *, region_exists: RegionExists | None = None) -> str | None:
    """Unified social credit code: length → charset (3rd-8th digits) → checksum → codes.

    ``region_exists``, when given, is asked about the registering authority's region code
    (characters 3-8). Without it the region is not checked, because central-level
    registrations may carry codes that a list of the 31 provinces would wrongly refuse.
    """
    s = normalize_uscc(value)
    if not s:
        return REQUIRED
    if len(s) != 18:
        return BAD_LENGTH
    if any(c not in _USCC_VALUE for c in s) or not s[2:8].isdigit():
        return BAD_FORMAT
    if uscc_check_char(s[:17]) != s[17]:
        return BAD_CHECKSUM
    if s[1] not in USCC_AUTHORITY_TYPES.get(s[0], frozenset()):
        return UNKNOWN_AUTHORITY_CODE
    if region_exists is not None and not region_exists(s[2:8]):
        return UNKNOWN_REGION
    return None


# --- telephone numbers -----------------------------------------------------------------------

_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086|86(?=\d{11}$))")
_PHONE_SEPARATORS = re.compile(r"[\s\-]")
# Area code: 010 or 02x (3 digits) or 03xx-09xx (4 digits); local numbers start with 2-9.
_LANDLINE = re.compile(
    r"^(?:\(0(?:10|2\d|[3-9]\d{2})\)|0(?:10|2\d|[3-9]\d{2})[\- ]?)"
    r"[2-9]\d{6,7}"
    r"(?:(?:[\- ]|转|ext\.?|x)\d{1,6})?$",
    re.IGNORECASE,
)


def normalize_mobile(value: str) -> str:
    """Country prefix (+86, 0086, 86) and separators (blank, hyphen) removed."""
    s = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    return _MOBILE_PREFIX.sub("", s)


def validate_mobile(value: str) -> str | None:
    """Mainland mobile number ``1[3-9]`` + 9 digits, optional +86/0086 prefix and separators."""
    s = normalize_mobile(value)
    if not s:
        return REQUIRED
    if not (s.isascii() and s.isdigit()):
        return BAD_FORMAT
    if len(s) != 11:
        return BAD_LENGTH
    if s[0] != "1" or s[1] not in "3456789":
        return BAD_FORMAT
    return None


def validate_landline(value: str) -> str | None:
    """Fixed-line number: area code (``010``, ``02x``, ``0xxx``, optionally in brackets), ``-``
    or blank, 7-8 digit local number, optional extension after ``-``, blank, 转 or ext."""
    s = unicodedata.normalize("NFKC", value).strip()
    if not s:
        return REQUIRED
    return None if _LANDLINE.match(s) else BAD_FORMAT


# --- dates, numbers, enumerations, presence --------------------------------------------------

_DATE_PATTERNS: Final = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: str) -> date | str:
    """The date written as 2020-01-06, 2020/1/6, 2020.1.6, 2020年1月6日 or 20200106; else the
    reason code (``required`` or ``bad_date``). Full-width digits are accepted."""
    s = unicodedata.normalize("NFKC", value).strip()
    if not s:
        return REQUIRED
    for pattern in _DATE_PATTERNS:
        match = pattern.match(s)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return date(year, month, day)
            except ValueError:
                return BAD_DATE
    return BAD_DATE


def validate_date(value: str) -> str | None:
    result = parse_date(value)
    return result if isinstance(result, str) else None


def validate_range(
    value: str | int | float | Decimal,
    *,
    minimum: int | float | Decimal | None = None,
    maximum: int | float | Decimal | None = None,
) -> str | None:
    """A finite number within ``[minimum, maximum]`` (both inclusive, each optional)."""
    if isinstance(value, bool):
        return NOT_A_NUMBER
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
        if not value:
            return REQUIRED
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return NOT_A_NUMBER
    if not number.is_finite():
        return NOT_A_NUMBER
    if minimum is not None and number < Decimal(str(minimum)):
        return BELOW_MINIMUM
    if maximum is not None and number > Decimal(str(maximum)):
        return ABOVE_MAXIMUM
    return None


def validate_enum(value: str, allowed: Collection[str], *, ignore_case: bool = False) -> str | None:
    """``value`` (surrounding blanks ignored) is one of ``allowed``."""
    s = value.strip()
    if not s:
        return REQUIRED
    if ignore_case:
        return None if s.casefold() in {a.casefold() for a in allowed} else NOT_ALLOWED_VALUE
    return None if s in allowed else NOT_ALLOWED_VALUE


def validate_required(value: object) -> str | None:
    """Present: not ``None``, not blank text, not an empty collection."""
    if value is None:
        return REQUIRED
    if isinstance(value, str):
        return REQUIRED if not value.strip() else None
    if isinstance(value, Collection) and len(value) == 0:
        return REQUIRED
    return None


# Validators that need no parameters, by the name quality rules use for them.
VALIDATORS: Final[dict[str, Callable[[str], str | None]]] = {
    "required": validate_required,
    "resident_id": validate_resident_id,
    "uscc": validate_uscc,
    "mobile": validate_mobile,
    "landline": validate_landline,
    "date": validate_date,
}
