"""Rule checks as DuckDB SQL: the set-based twin of :mod:`.checks` for the values written the
usual way. Pure: builds SQL text, runs nothing; :mod:`.bulk` runs it over a staged batch.

A :class:`Twin` answers a step for the values its ``fast`` condition, or its vectorised kernel
(:mod:`.bulk_kernels`), admits: an ID number of exactly 18 digits (or 17 and ``X``), a mobile
number of 11 digits, a date written ``YYYY-MM-DD``, plain text without blanks at either end,
and so on. For those values the Python step would return the value unchanged (no
normalisation applies to it), so the SQL only has to say whether it fails, and why, in the
order the Python step checks. Every other value
(full-width digits, ``+86``, ``2020年1月6日``, a 15-digit ID, blanks around it) is answered by
the Python step itself, once per distinct value. The shapes are narrow on purpose: equality
with the per-row pipeline is then a matter of a few lines per rule, and a test compares both on
the demo files, the published ID-number and credit-code test vectors and awkward values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from citybrain.datahub.quality import bulk_kernels as kernels
from citybrain.datahub.quality.bulk_kernels import Kernel
from citybrain.datahub.quality.checks import TOO_LONG, TOO_SHORT, TYPE_STEPS
from citybrain.datahub.quality.rules import RuleKind, RuleSpec

_LANDLINE: Final = (
    r"(?:\(0(?:10|2\d|[3-9]\d{2})\)|0(?:10|2\d|[3-9]\d{2})[\- ]?)"
    r"[2-9]\d{6,7}"
    r"(?:(?:[\- ]|转|ext\.?|x)\d{1,6})?"
)  # validators._LANDLINE without its anchors (regexp_full_match anchors)


@dataclass(frozen=True, slots=True)
class Twin:
    """One step in SQL, over ``<x>``: a non-null value.

    ``fast`` says which values the SQL answers (their canonical value is ``<x>`` itself);
    ``reason`` is the reason code of the step's failure for those values, or NULL when it
    passes. ``shaped``: the values admitted have no blank character at either end (a shape
    of digits and letters), so the caller need not test the ends for blanks."""

    fast: str = "false"
    reason: str = "NULL"
    shaped: bool = False
    kernel: Kernel | None = None
    """A vectorised check instead of ``fast`` and ``reason``: the values it gives a code of
    0 or more are answered (0 passes, ``k`` fails with its ``k``-th reason); ``fast`` then
    admits further values, which pass."""


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _full(x: str, pattern: str, options: str = "") -> str:
    flags = f", {quote(options)}" if options else ""
    return f"regexp_full_match({x}, {quote(pattern)}{flags})"


def _first_failure(cases: list[tuple[str, str]]) -> str:
    """The reason of the first condition that holds, else NULL."""
    if not cases:
        return "NULL"
    return "CASE " + " ".join(f"WHEN {c} THEN {quote(r)}" for c, r in cases) + " END"


def resident_id(today: date) -> Twin:
    """GB 11643 for 17 digits and a digit or ``X``: see ``bulk_kernels.resident_id``."""
    return Twin(kernel=kernels.resident_id(today), shaped=True)


def uscc() -> Twin:
    """GB 32100 for 18 characters of its alphabet: see ``bulk_kernels.uscc``."""
    return Twin(kernel=kernels.uscc(), shaped=True)


def _ascii(x: str) -> str:
    return f"strlen({x}) = length({x})"


def mobile() -> Twin:
    return Twin(kernel=kernels.mobile(), shaped=True)


def landline() -> Twin:
    """Only ASCII values: Python's ``\\d`` would also take other scripts' digits. A landline
    starts with 0 or a bracket and ends with a digit: no blank at either end."""
    return Twin(fast=f"{_ascii('<x>')} AND {_full('<x>', _LANDLINE, 'i')}", shaped=True)


def phone() -> Twin:
    """A mobile number, else a landline (ASCII; no landline normalises to a valid mobile
    number: it starts with 0 or a bracket, and ends with a digit)."""
    return Twin(
        kernel=kernels.mobile(),
        fast=f"{_ascii('<x>')} AND {_full('<x>', _LANDLINE, 'i')}",
        shaped=True,
    )


def iso_date() -> Twin:
    """``YYYY-MM-DD``: see ``bulk_kernels.iso_date``."""
    return Twin(kernel=kernels.iso_date(), shaped=True)


def iso_datetime() -> Twin:
    """``YYYY-MM-DD HH:MM:SS``: see ``bulk_kernels.iso_datetime``."""
    return Twin(kernel=kernels.iso_datetime(), shaped=True)


def integer() -> Twin:
    """Digits without sign, leading zero or separator: ``str(int(x)) == x``."""
    return Twin(fast=_full("<x>", "-?[1-9][0-9]{0,17}|0"), shaped=True)


def decimal() -> Twin:
    """Plain decimal notation: ``format(Decimal(x), "f") == x``."""
    return Twin(fast=_full("<x>", r"-?(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?"), shaped=True)


def length(low: Any, high: Any) -> Twin:
    """Length in characters (code points, as Python's ``len``) of any text."""
    cases = []
    if high is not None:
        cases.append((f"length(<x>) > {int(high)}", TOO_LONG))
    if low is not None:
        cases.append((f"length(<x>) < {int(low)}", TOO_SHORT))
    return Twin(fast="true", reason=_first_failure(cases))


def enum(values: list[str]) -> Twin:
    """A value spelled exactly as listed; any other (case, blanks, unknown) goes to Python.
    A listed value with a blank at an end can never match a stripped value: left out."""
    listed = ", ".join(quote(value) for value in values if value == value.strip())
    return Twin(fast=f"<x> IN ({listed})" if listed else "false", shaped=True)


ANY_TEXT: Final = Twin(fast="true")
PLAIN: Final = Twin(kernel=kernels.plain(), shaped=True)
"""The guard of twins that admit any text: no blank at either end (see ``bulk_kernels.plain``)."""
_TYPES: Final = {"date": iso_date, "datetime": iso_datetime, "integer": integer, "decimal": decimal}


def twin(rule: RuleSpec, item_type: str, today: date) -> Twin | None:
    """The SQL twin of a value step, or None when every value of this kind runs in Python
    (booleans, patterns, ranges, region codes, references: few distinct values, or Python's
    own semantics)."""
    kind, params = rule.kind, rule.params
    if kind is RuleKind.type:
        if item_type not in TYPE_STEPS:
            return ANY_TEXT
        make = _TYPES.get(item_type)
        return make() if make is not None else None
    if kind is RuleKind.resident_id:
        return resident_id(today)
    if kind is RuleKind.uscc:
        return uscc()
    if kind is RuleKind.phone:
        return phone()
    if kind is RuleKind.mobile:
        return mobile()
    if kind is RuleKind.landline:
        return landline()
    if kind is RuleKind.date:
        return iso_date()
    if kind is RuleKind.length:
        return length(params.get("min"), params.get("max"))
    if kind is RuleKind.enum and not params.get("ignore_case", False):
        return enum(list(params["values"]))
    return None


def render(sql: str, x: str) -> str:
    """A twin's SQL with its input put in."""
    return sql.replace("<x>", x)
