"""Rule sets compiled into per-field check chains for the ingest hot path. Pure apart from the
lookups passed in (region existence, reference keys), which the caller caches.

A step takes the stripped, non-empty text of a value and returns its canonical text (ISO
dates, 18-digit resident IDs, ``true``/``false``), or raises :class:`RuleFailure` with a reason
code. Steps are plain closures so a row costs a handful of calls and no allocation on success.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from citybrain.datahub.quality import validators as v
from citybrain.datahub.quality.rules import KIND_ORDER, ItemSpec, ResourceSpec, RuleKind, RuleSpec

Step = Callable[[str], str]

NOT_INTEGER: Final = "not_integer"
NOT_BOOLEAN: Final = "not_boolean"
BAD_DATETIME: Final = "bad_datetime"
TOO_LONG: Final = "too_long"
TOO_SHORT: Final = "too_short"
PATTERN_MISMATCH: Final = "pattern_mismatch"
DUPLICATE_KEY: Final = "duplicate_key"
UNKNOWN_REFERENCE: Final = "unknown_reference"
SOURCE_ERROR: Final = "source_error"

REASON_MESSAGES: Final[dict[str, str]] = {
    **v.REASON_MESSAGES,
    NOT_INTEGER: "不是整数",
    NOT_BOOLEAN: "不是“是/否”值",
    BAD_DATETIME: "日期时间无法识别",
    TOO_LONG: "超过允许的长度",
    TOO_SHORT: "短于允许的长度",
    PATTERN_MISMATCH: "不符合规定的格式",
    DUPLICATE_KEY: "与本批次前面的行重复",
    UNKNOWN_REFERENCE: "引用的记录不存在",
    SOURCE_ERROR: "源数据单元格有误",
}

_TRUE: Final = frozenset({"true", "t", "1", "y", "yes", "是", "对", "有"})
_FALSE: Final = frozenset({"false", "f", "0", "n", "no", "否", "错", "无"})


class RuleFailure(Exception):
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Lookups:
    """Facts from outside the row: does a region code exist, does a referenced key exist.

    ``reference(resource_code)`` returns a membership test taking the canonical value."""

    region_exists: Callable[[str], bool]
    reference: Callable[[str], Callable[[str], bool]]


@dataclass(frozen=True, slots=True)
class FieldChecks:
    item: ItemSpec
    required: bool
    unique: bool
    steps: tuple[tuple[RuleKind, Step], ...]


@dataclass(frozen=True, slots=True)
class CompiledRules:
    resource: ResourceSpec
    rules: tuple[RuleSpec, ...]
    fields: tuple[FieldChecks, ...]  # in catalog item order

    def by_item(self) -> dict[str, FieldChecks]:
        return {f.item.name: f for f in self.fields}


def compile_rules(
    resource: ResourceSpec, rules: Sequence[RuleSpec], lookups: Lookups
) -> CompiledRules:
    """Per item: required and unique flags, and the value steps in :data:`KIND_ORDER`."""
    by_item: dict[str, list[RuleSpec]] = {}
    for rule in rules:
        by_item.setdefault(rule.item, []).append(rule)
    fields = []
    for item in resource.items:
        own = by_item.get(item.name, [])
        kinds = {r.kind for r in own}
        ordered = sorted(
            (r for r in own if r.kind in KIND_ORDER), key=lambda r: KIND_ORDER.index(r.kind)
        )
        steps = tuple((r.kind, _step(item, r, lookups)) for r in ordered)
        fields.append(
            FieldChecks(item, RuleKind.required in kinds, RuleKind.unique in kinds, steps)
        )
    return CompiledRules(resource, tuple(rules), tuple(fields))


def _step(item: ItemSpec, rule: RuleSpec, lookups: Lookups) -> Step:
    kind, params = rule.kind, rule.params
    if kind is RuleKind.type:
        return TYPE_STEPS.get(item.type, _identity)
    if kind is RuleKind.resident_id:
        return _resident_id
    if kind is RuleKind.uscc:
        return _uscc
    if kind is RuleKind.phone:
        return _phone
    if kind is RuleKind.mobile:
        return _mobile
    if kind is RuleKind.landline:
        return _validated(v.validate_landline)
    if kind is RuleKind.date:
        return _date
    if kind is RuleKind.length:
        return _length(params.get("min"), params.get("max"))
    if kind is RuleKind.pattern:
        return _pattern(str(params["regex"]))
    if kind is RuleKind.enum:
        return _enum(params["values"], bool(params.get("ignore_case", False)))
    if kind is RuleKind.range:
        return _range(params.get("min"), params.get("max"))
    if kind is RuleKind.region:
        return _region(lookups.region_exists)
    if kind is RuleKind.reference:
        return _reference(lookups.reference(str(params["resource"])))
    return _identity


def _identity(text: str) -> str:
    return text


def _validated(check: Callable[[str], str | None]) -> Step:
    def step(text: str) -> str:
        reason = check(text)
        if reason is not None:
            raise RuleFailure(reason)
        return text

    return step


# --- types ------------------------------------------------------------------------------------


def _integer(text: str) -> str:
    try:
        return str(int(text))  # int() accepts full-width digits too
    except ValueError:
        raise RuleFailure(NOT_INTEGER) from None


def _decimal(text: str) -> str:
    try:
        number = Decimal(unicodedata.normalize("NFKC", text).replace(",", ""))
    except InvalidOperation:
        raise RuleFailure(v.NOT_A_NUMBER) from None
    if not number.is_finite():
        raise RuleFailure(v.NOT_A_NUMBER)
    return format(number, "f")


def _date(text: str) -> str:
    parsed = v.parse_date(text)
    if isinstance(parsed, str):
        raise RuleFailure(parsed)
    return parsed.isoformat()


def parse_datetime(text: str) -> datetime | None:
    """2024-01-02 08:30[:00], ISO with T, 2024/1/2 8:30, 2024年1月2日 8:30, or a date alone."""
    s = unicodedata.normalize("NFKC", text).strip()
    try:
        return datetime.fromisoformat(s).replace(tzinfo=None)
    except ValueError:
        pass
    head, _, tail = s.replace("T", " ").partition(" ")
    day = v.parse_date(head)
    if not isinstance(day, date):
        return None
    try:
        clock = time.fromisoformat(tail.strip().zfill(5)) if tail.strip() else time()
    except ValueError:
        return None
    return datetime.combine(day, clock)


def _datetime(text: str) -> str:
    parsed = parse_datetime(text)
    if parsed is None:
        raise RuleFailure(BAD_DATETIME)
    return parsed.isoformat(sep=" ")


def _boolean(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    if folded in _TRUE:
        return "true"
    if folded in _FALSE:
        return "false"
    raise RuleFailure(NOT_BOOLEAN)


TYPE_STEPS: Final[dict[str, Step]] = {
    "integer": _integer,
    "decimal": _decimal,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
}


# --- identifiers ------------------------------------------------------------------------------


def _resident_id(text: str) -> str:
    # Prefix only (province): a person keeps the ID of a county that has since been renamed or
    # merged, so the current GB/T 2260 list would wrongly refuse valid old numbers.
    reason = v.validate_resident_id(text)
    if reason is not None:
        raise RuleFailure(reason)
    normal = v.normalize_resident_id(text)
    return v.id15_to_18(normal) if len(normal) == 15 else normal


def _uscc(text: str) -> str:
    reason = v.validate_uscc(text)
    if reason is not None:
        raise RuleFailure(reason)
    return v.normalize_uscc(text)


def _mobile(text: str) -> str:
    reason = v.validate_mobile(text)
    if reason is not None:
        raise RuleFailure(reason)
    return v.normalize_mobile(text)


def _phone(text: str) -> str:
    mobile = v.validate_mobile(text)
    if mobile is None:
        return v.normalize_mobile(text)
    reason = v.validate_landline(text)
    if reason is not None:
        # A number starting with 1 was meant as a mobile: its reason says more than "landline".
        raise RuleFailure(mobile if v.normalize_mobile(text).startswith("1") else reason)
    return unicodedata.normalize("NFKC", text).strip()


# --- parameterised --------------------------------------------------------------------------


def _length(low: Any, high: Any) -> Step:
    def step(text: str) -> str:
        if high is not None and len(text) > high:
            raise RuleFailure(TOO_LONG)
        if low is not None and len(text) < low:
            raise RuleFailure(TOO_SHORT)
        return text

    return step


def _pattern(regex: str) -> Step:
    compiled = re.compile(regex)

    def step(text: str) -> str:
        if compiled.fullmatch(text) is None:
            raise RuleFailure(PATTERN_MISMATCH)
        return text

    return step


def _enum(values: Sequence[str], ignore_case: bool) -> Step:
    canonical = {(x.casefold() if ignore_case else x): x for x in values}

    def step(text: str) -> str:
        found = canonical.get(text.casefold() if ignore_case else text)
        if found is None:
            raise RuleFailure(v.NOT_ALLOWED_VALUE)
        return found

    return step


def _range(low: Any, high: Any) -> Step:
    def step(text: str) -> str:
        reason = v.validate_range(text, minimum=low, maximum=high)
        if reason is not None:
            raise RuleFailure(reason)
        return text

    return step


def _region(exists: Callable[[str], bool]) -> Step:
    def step(text: str) -> str:
        code = unicodedata.normalize("NFKC", text).strip()
        if not code.isascii() or not code.isdigit():
            raise RuleFailure(v.BAD_FORMAT)
        if not exists(code):
            raise RuleFailure(v.UNKNOWN_REGION)
        return code

    return step


def _reference(contains: Callable[[str], bool]) -> Step:
    def step(text: str) -> str:
        if not contains(text):
            raise RuleFailure(UNKNOWN_REFERENCE)
        return text

    return step


def message_of(reason: str) -> str:
    """The Chinese message of a reason code (the code itself when unknown)."""
    return REASON_MESSAGES.get(reason, reason)
