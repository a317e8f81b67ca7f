"""Rule checks as DuckDB SQL: the set-based twin of :mod:`.checks` for the high-volume kinds.

Pure: builds SQL text, runs nothing. :mod:`.bulk` runs it over a staged batch.

Only values made of ASCII characters take the SQL path. For those, Unicode normalisation (NFKC)
and Python's notion of whitespace agree with the plain ASCII rules written here, so the SQL
gives exactly the answer of the Python steps; any value with a non-ASCII character (full-width
digits, 年月日, an ideographic space) is answered by the Python steps themselves, once per
distinct value. Kinds with no SQL twin here run in Python for every distinct value. A test
compares both paths on the demo files and the ID-number test vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from citybrain.datahub.quality import validators as v
from citybrain.datahub.quality.checks import TOO_LONG, TOO_SHORT
from citybrain.datahub.quality.rules import RuleKind, RuleSpec

# Python's str.strip() and str.split() whitespace, restricted to ASCII.
ASCII_SPACE: Final = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "
ASCII_SPACE_CLASS: Final = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
UNICODE_SPACE: Final = "".join(chr(c) for c in range(0x80, 0x3001) if chr(c).isspace())
"""The non-ASCII characters Python's str.strip() removes (NBSP, the ideographic space …)."""

_ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_PROVINCES: Final = ", ".join(f"'{p}'" for p in sorted(v.PROVINCE_CODES))
_PERMITS: Final = ", ".join(f"'{p}'" for p in sorted(v.PERMIT_PREFIXES))
_LANDLINE: Final = (
    r"(?:\(0(?:10|2\d|[3-9]\d{2})\)|0(?:10|2\d|[3-9]\d{2})[\- ]?)"
    r"[2-9]\d{6,7}"
    r"(?:(?:[\- ]|转|ext\.?|x)\d{1,6})?"
)


@dataclass(frozen=True, slots=True)
class Step:
    """The SQL of one step over its input ``<x>`` (non-null text): the reason code of its
    failure (NULL when it passes) and its canonical value when it passes. Both may use
    ``stages``, expressions computed first as columns of their own and referred to as
    ``<s0>``, ``<s1>`` …, so that no expression repeats another inside it (DuckDB would bind
    and evaluate each copy)."""

    reason: str
    value: str = "<x>"
    stages: tuple[str, ...] = ()
    ascii_only: bool = True
    """True when the SQL is right for ASCII text only (it leaves NFKC out); a step that is
    right for any text (lengths, plain text) lets non-ASCII values stay in SQL as well."""


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _first_failure(cases: list[tuple[str, str]]) -> str:
    """The reason of the first condition that holds, else NULL."""
    if not cases:
        return "NULL::VARCHAR"
    return "CASE " + " ".join(f"WHEN {c} THEN {quote(r)}" for c, r in cases) + " END"


def _id_check_char(body: str) -> str:
    """ISO 7064 MOD 11-2 over 17 digits, on the number rather than its characters (four times
    cheaper in DuckDB than one substring per digit)."""
    number = f"({body})::BIGINT"
    total = " + ".join(
        f"(({number} // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(_ID_WEIGHTS)
    )
    return f"substr('10X98765432', (({total}) % 11)::INTEGER + 1, 1)"


def resident_id(today: date) -> Step:
    """GB 11643, as :func:`validators.validate_resident_id` without a region lookup, whose
    canonical value is the 18-digit number (see ``checks._resident_id``)."""
    # Stages: s0 the number without blanks, upper-cased; s1 its form (18, 15 or NULL);
    # s2 the 17 digits before the check character; s3 the check character; s4 the 18-digit
    # number; s5 the birth date. Regular expressions run once each.
    normal = (
        "CASE WHEN regexp_full_match(<x>, '[0-9]{17}[0-9Xx]') THEN upper(<x>) "
        f"ELSE upper(regexp_replace(<x>, '{ASCII_SPACE_CLASS}', '', 'g')) END"
    )
    form = (
        "CASE WHEN regexp_full_match(<s0>, '[0-9]{17}[0-9X]') THEN 18 "
        "WHEN regexp_full_match(<s0>, '[0-9]{15}') THEN 15 END"
    )
    modern = "<s1> = 18"
    body = (
        "CASE <s1> WHEN 15 THEN substr(<s0>, 1, 6) || '19' || substr(<s0>, 7, 9) "
        "WHEN 18 THEN substr(<s0>, 1, 17) END"
    )
    check = _id_check_char("<s2>")
    id18 = "CASE <s1> WHEN 15 THEN <s2> || <s3> WHEN 18 THEN <s0> END"
    born = "try_strptime(substr(<s4>, 7, 8), '%Y%m%d')"
    prefix = "substr(<s4>, 1, 2)"
    region_bad = (
        f"CASE WHEN {modern} AND substr(<s4>, 1, 1) = '9' THEN "
        f"CASE WHEN substr(<s4>, 2, 2) IN ({_PROVINCES}) THEN NULL "
        f"ELSE '{v.UNKNOWN_REGION_PREFIX}' END "
        f"WHEN {modern} AND {prefix} IN ({_PERMITS}) THEN "
        f"CASE WHEN substr(<s4>, 3, 4) = '0000' THEN NULL ELSE '{v.UNKNOWN_REGION}' END "
        f"WHEN {prefix} NOT IN ({_PROVINCES}) THEN '{v.UNKNOWN_REGION_PREFIX}' END"
    )
    cases = [
        ("<s0> = ''", v.REQUIRED),
        ("length(<s0>) NOT IN (15, 18)", v.BAD_LENGTH),
        ("<s1> IS NULL", v.BAD_FORMAT),
        ("<s3> <> substr(<s4>, 18, 1)", v.BAD_CHECKSUM),
        (
            f"<s5> IS NULL OR year(<s5>) < {v.MIN_BIRTH_YEAR} "
            f"OR <s5>::DATE > DATE '{today.isoformat()}'",
            v.BAD_BIRTH_DATE,
        ),
    ]
    return Step(
        reason=f"coalesce({_first_failure(cases)}, {region_bad})",
        value="<s4>",
        stages=(normal, form, body, check, id18, born),
    )


def _normal_mobile(x: str) -> str:
    """As ``validators.normalize_mobile``; eleven plain digits (the usual case) need no work."""
    s = f"regexp_replace({x}, '{ASCII_SPACE_CLASS}|-', '', 'g')"
    return (
        f"CASE WHEN regexp_full_match({x}, '[0-9]{{11}}') AND NOT starts_with({x}, '0086') "
        f"THEN {x} "
        f"WHEN starts_with({s}, '+86') THEN substr({s}, 4) "
        f"WHEN starts_with({s}, '0086') THEN substr({s}, 5) "
        f"WHEN regexp_full_match({s}, '86[0-9]{{11}}') THEN substr({s}, 3) ELSE {s} END"
    )


def _mobile_reason(s: str) -> str:
    return (
        f"CASE WHEN regexp_full_match({s}, '1[3-9][0-9]{{9}}') THEN NULL "
        f"WHEN {s} = '' THEN '{v.REQUIRED}' "
        f"WHEN NOT regexp_full_match({s}, '[0-9]+') THEN '{v.BAD_FORMAT}' "
        f"WHEN length({s}) <> 11 THEN '{v.BAD_LENGTH}' ELSE '{v.BAD_FORMAT}' END"
    )


def mobile() -> Step:
    return Step(reason=_mobile_reason("<s0>"), value="<s0>", stages=(_normal_mobile("<x>"),))


def phone() -> Step:
    """A mobile number, else a landline; a failed number starting with 1 reports the mobile
    reason (as ``checks._phone``)."""
    landline_ok = f"regexp_full_match(<x>, {quote(_LANDLINE)}, 'i')"
    return Step(
        reason=(
            f"CASE WHEN <s1> IS NULL OR {landline_ok} THEN NULL "
            f"WHEN starts_with(<s0>, '1') THEN <s1> ELSE '{v.BAD_FORMAT}' END"
        ),
        value="CASE WHEN <s1> IS NULL THEN <s0> ELSE <x> END",
        stages=(_normal_mobile("<x>"), _mobile_reason("<s0>")),
    )


def length(low: Any, high: Any) -> Step:
    cases = []
    if high is not None:
        cases.append((f"length(<x>) > {int(high)}", TOO_LONG))
    if low is not None:
        cases.append((f"length(<x>) < {int(low)}", TOO_SHORT))
    return Step(reason=_first_failure(cases), ascii_only=False)


IDENTITY: Final = Step(reason="NULL::VARCHAR", ascii_only=False)


def step_sql(rule: RuleSpec, item_type: str, today: date) -> Step | None:
    """The SQL twin of a value step, or None when this kind runs in Python."""
    kind, params = rule.kind, rule.params
    if kind is RuleKind.type:
        return IDENTITY if item_type == "string" else None
    if kind is RuleKind.resident_id:
        return resident_id(today)
    if kind is RuleKind.mobile:
        return mobile()
    if kind is RuleKind.phone:
        return phone()
    if kind is RuleKind.length:
        return length(params.get("min"), params.get("max"))
    return None


def render(stage: str, x: str, stages: list[str]) -> str:
    """A stage's SQL with its input and the earlier stages' columns put in."""
    for index in range(len(stages) - 1, -1, -1):
        stage = stage.replace(f"<s{index}>", stages[index])
    return stage.replace("<x>", x)
