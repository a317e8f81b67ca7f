"""Periods as labels, pure: ``2024-03-05`` (day), ``2024-03`` (month), ``2024Q1`` (quarter),
``2024`` (year). Labels of one granularity sort as strings in time order, so a range of
periods is a string range in SQL.

An indicator's SQL may answer its ``period`` column as such a label, as a date or timestamp
inside the period (``date_trunc('month', signed_on)``), or, for years, as an integer; every form
is turned into the label here, so the engines need not agree on date types.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final


class Granularity(StrEnum):
    day = "day"
    month = "month"
    quarter = "quarter"
    year = "year"


GRANULARITY_NAMES_ZH: Final = {
    Granularity.day: "日",
    Granularity.month: "月",
    Granularity.quarter: "季度",
    Granularity.year: "年",
}
_PATTERNS: Final = {
    Granularity.day: re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    Granularity.month: re.compile(r"^(\d{4})-(\d{2})$"),
    Granularity.quarter: re.compile(r"^(\d{4})Q([1-4])$"),
    Granularity.year: re.compile(r"^(\d{4})$"),
}
EXAMPLES: Final = {
    Granularity.day: "2024-03-05",
    Granularity.month: "2024-03",
    Granularity.quarter: "2024Q1",
    Granularity.year: "2024",
}


class PeriodError(ValueError):
    """A value that is not a period of the wanted granularity (message in Chinese)."""


def label_of_date(day: date, granularity: Granularity) -> str:
    """The label of the period containing ``day``."""
    if granularity is Granularity.day:
        return day.isoformat()
    if granularity is Granularity.month:
        return f"{day.year:04d}-{day.month:02d}"
    if granularity is Granularity.quarter:
        return f"{day.year:04d}Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


def label_of(value: object, granularity: Granularity) -> str:
    """The label of an engine's ``period`` value: a label string, a date or timestamp inside
    the period, or an integer year. Raises :class:`PeriodError` for anything else."""
    if isinstance(value, datetime):
        return label_of_date(value.date(), granularity)
    if isinstance(value, date):
        return label_of_date(value, granularity)
    if isinstance(value, bool):
        raise PeriodError(f"期间不能是布尔值: {value}")
    if isinstance(value, int | Decimal | float) and _integral(value):
        if granularity is not Granularity.year:
            raise PeriodError(f"只有按年的指标可用整数表示期间: {value}")
        return check_label(str(int(value)), granularity)
    if isinstance(value, str):
        return check_label(value.strip(), granularity)
    raise PeriodError(f"期间的取值无法识别: {value!r:.40}")


def _integral(value: int | Decimal | float) -> bool:
    try:
        return int(value) == value
    except (OverflowError, ValueError):  # inf, NaN
        return False


def check_label(text: str, granularity: Granularity) -> str:
    """``text`` if it is a valid label of ``granularity``; else :class:`PeriodError`."""
    match = _PATTERNS[granularity].match(text)
    if match is None:
        raise PeriodError(
            f"期间 {text!s:.20} 不是{GRANULARITY_NAMES_ZH[granularity]}的格式 (如 "
            f"{EXAMPLES[granularity]})"
        )
    try:
        start_of(text, granularity)
    except ValueError as exc:
        raise PeriodError(f"期间 {text!s:.20} 不是有效日期") from exc
    return text


def start_of(label: str, granularity: Granularity) -> date:
    """The first day of the period ``label`` (assumed well-formed)."""
    if granularity is Granularity.day:
        return date.fromisoformat(label)
    if granularity is Granularity.month:
        year, month = label.split("-")
        return date(int(year), int(month), 1)
    if granularity is Granularity.quarter:
        year, quarter = label.split("Q")
        return date(int(year), (int(quarter) - 1) * 3 + 1, 1)
    return date(int(label), 1, 1)


def shift(label: str, granularity: Granularity, steps: int) -> str:
    """The period ``steps`` periods after ``label`` (before, when negative)."""
    start = start_of(label, granularity)
    if granularity is Granularity.day:
        return label_of_date(start + timedelta(days=steps), granularity)
    months = {Granularity.month: 1, Granularity.quarter: 3, Granularity.year: 12}[granularity]
    index = start.year * 12 + start.month - 1 + steps * months
    return label_of_date(date(index // 12, index % 12 + 1, 1), granularity)


def between(first: str, last: str, granularity: Granularity, *, limit: int = 5000) -> list[str]:
    """Every label from ``first`` to ``last`` inclusive (both checked); refuses a reversed
    range and more than ``limit`` periods with :class:`PeriodError`."""
    check_label(first, granularity)
    check_label(last, granularity)
    if last < first:
        raise PeriodError(f"期间范围颠倒: {first} 晚于 {last}")
    labels = [first]
    while labels[-1] < last:
        if len(labels) >= limit:
            raise PeriodError(f"期间范围超过 {limit} 个期间")
        labels.append(shift(labels[-1], granularity, 1))
    return labels


def recent(today: date, granularity: Granularity, count: int) -> tuple[str, str]:
    """The ``count`` periods ending with the one containing ``today`` (first, last)."""
    last = label_of_date(today, granularity)
    return shift(last, granularity, -(count - 1)), last
