"""Pure rules of five-colour warnings (五色预警): no session, no I/O.

A rule maps a value to a colour through *bands*: ranges ``[lower, upper)`` (``None`` is
unbounded) that together cover every number exactly once, each with its own colour, the colours
worsening in the direction the indicator calls bad (for "higher is better", lower values are
worse). Besides the value, a rule may colour:

- a period-over-period change (环比) worse than ``change.percent`` per cent;
- a rank among the worst ``rank.bottom`` of the sibling regions (same parent, same period);
- a value that is missing (``missing_colour``) or late (``late_colour``: still missing
  ``late_after_days`` after its period ended).

The verdict is the worst colour of these. *Hysteresis*: a value that left its previous band
keeps the previous band's colour until it passes the threshold by ``hysteresis`` (in the
indicator's unit), so a value wobbling on a threshold does not flap. A red verdict for
``escalate_after`` consecutive periods escalates, once per red streak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Final

from citybrain.core.errors import BadInput
from citybrain.indicators.periods import Granularity, shift, start_of
from citybrain.indicators.rules import Direction


class IndicatorWarningColour(StrEnum):
    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"
    green = "green"


class IndicatorWarningStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    closed = "closed"


# Short names inside the package; the long ones name the OpenAPI schemas (unique per module).
Colour = IndicatorWarningColour
WarningStatus = IndicatorWarningStatus


class DataState(StrEnum):
    present = "present"
    missing = "missing"
    late = "late"


SEVERITY: Final = {
    Colour.green: 0,
    Colour.blue: 1,
    Colour.yellow: 2,
    Colour.orange: 3,
    Colour.red: 4,
}
COLOUR_NAMES_ZH: Final = {
    Colour.red: "红色",
    Colour.orange: "橙色",
    Colour.yellow: "黄色",
    Colour.blue: "蓝色",
    Colour.green: "绿色",
}
MAX_ESCALATE_AFTER: Final = 36


class RuleRefused(BadInput):
    """A warning rule that cannot be saved; the code names what is wrong."""


@dataclass(frozen=True, slots=True)
class Band:
    colour: Colour
    lower: float | None = None  # inclusive
    upper: float | None = None  # exclusive

    def contains(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value < self.upper
        )

    def label(self) -> str:
        low = "-∞" if self.lower is None else f"{self.lower:g}"
        high = "+∞" if self.upper is None else f"{self.upper:g}"
        return f"[{low}, {high})"


@dataclass(frozen=True, slots=True)
class ChangeRule:
    percent: float  # a worsening of at least this many per cent against the period before
    colour: Colour


@dataclass(frozen=True, slots=True)
class RankRule:
    bottom: int  # among the ``bottom`` worst siblings
    colour: Colour


@dataclass(frozen=True, slots=True)
class Rule:
    bands: tuple[Band, ...]
    hysteresis: float = 0.0
    change: ChangeRule | None = None
    rank: RankRule | None = None
    missing_colour: Colour | None = Colour.yellow
    late_colour: Colour | None = Colour.orange
    late_after_days: int = 15
    escalate_after: int = 3


def _refuse(message: str, code: str, detail: object = None) -> RuleRefused:
    return RuleRefused(message, code=code, detail=detail)


def _finite(number: float | None, what: str) -> None:
    if number is not None and not math.isfinite(number):
        raise _refuse(f"{what}须为有限数值", "warning_threshold_not_finite", what)


def _sort_key(band: Band) -> float:
    return -math.inf if band.lower is None else band.lower


def check_bands(bands: Sequence[Band], direction: Direction) -> tuple[Band, ...]:
    """The bands sorted from low to high values, or RuleRefused: ``warning_thresholds_empty``,
    ``warning_threshold_not_finite``, ``warning_band_empty`` (lower ≥ upper),
    ``warning_colour_repeated``, ``warning_thresholds_overlap``, ``warning_thresholds_gap``
    (some numbers would have no colour), ``warning_thresholds_direction`` (colours not
    worsening towards the bad side of the indicator)."""
    if not bands:
        raise _refuse("至少须设置一个颜色区间", "warning_thresholds_empty")
    for band in bands:
        _finite(band.lower, "区间下限")
        _finite(band.upper, "区间上限")
        if band.lower is not None and band.upper is not None and band.lower >= band.upper:
            raise _refuse(
                f"{COLOUR_NAMES_ZH[band.colour]}区间 {band.label()} 为空: 下限须小于上限",
                "warning_band_empty",
                band.colour.value,
            )
    colours = [b.colour for b in bands]
    if len(set(colours)) != len(colours):
        repeated = sorted({c.value for c in colours if colours.count(c) > 1})
        raise _refuse("同一颜色只能设置一个区间", "warning_colour_repeated", repeated)
    ordered = sorted(bands, key=_sort_key)
    if ordered[0].lower is not None:
        raise _refuse(
            f"低于 {ordered[0].lower:g} 的数值没有对应颜色 (最低区间须不设下限)",
            "warning_thresholds_gap",
            {"below": ordered[0].lower},
        )
    if ordered[-1].upper is not None:
        raise _refuse(
            f"不低于 {ordered[-1].upper:g} 的数值没有对应颜色 (最高区间须不设上限)",
            "warning_thresholds_gap",
            {"from": ordered[-1].upper},
        )
    for below, above in pairwise(ordered):
        if below.upper is None or above.lower is None or below.upper > above.lower:
            raise _refuse(
                f"{COLOUR_NAMES_ZH[below.colour]}区间 {below.label()} 与"
                f"{COLOUR_NAMES_ZH[above.colour]}区间 {above.label()} 重叠",
                "warning_thresholds_overlap",
                [below.colour.value, above.colour.value],
            )
        if below.upper < above.lower:
            raise _refuse(
                f"{below.upper:g} 至 {above.lower:g} 之间的数值没有对应颜色",
                "warning_thresholds_gap",
                {"from": below.upper, "to": above.lower},
            )
    severities = [SEVERITY[b.colour] for b in ordered]
    worsening = severities if direction is Direction.lower else severities[::-1]
    if any(a >= b for a, b in pairwise(worsening)):
        side = "越低越差" if direction is Direction.higher else "越高越差"
        raise _refuse(
            f"颜色须随指标方向逐级加重 ({side}): 绿、蓝、黄、橙、红依次排列",
            "warning_thresholds_direction",
            [b.colour.value for b in ordered],
        )
    return tuple(ordered)


def check_rule(rule: Rule, direction: Direction) -> Rule:
    """The rule with its bands sorted, or RuleRefused (see :func:`check_bands`, and
    ``warning_hysteresis_bad``, ``warning_escalate_after_bad``, ``warning_change_bad``,
    ``warning_rank_bad``, ``warning_late_after_bad``)."""
    bands = check_bands(rule.bands, direction)
    _finite(rule.hysteresis, "回差")
    widths = [b.upper - b.lower for b in bands if b.upper is not None and b.lower is not None]
    if rule.hysteresis < 0 or (widths and rule.hysteresis * 2 >= min(widths)):
        raise _refuse(
            "回差须不小于 0, 且小于最窄区间宽度的一半", "warning_hysteresis_bad", rule.hysteresis
        )
    if not 1 <= rule.escalate_after <= MAX_ESCALATE_AFTER:
        raise _refuse(
            f"连续红色期数须在 1 至 {MAX_ESCALATE_AFTER} 之间",
            "warning_escalate_after_bad",
            rule.escalate_after,
        )
    if rule.change is not None and not (0 < rule.change.percent <= 10_000):
        raise _refuse("环比变动阈值须为正的百分比", "warning_change_bad", rule.change.percent)
    if rule.rank is not None and not 1 <= rule.rank.bottom <= 1000:
        raise _refuse("排名阈值须为正整数", "warning_rank_bad", rule.rank.bottom)
    if not 0 <= rule.late_after_days <= 366:
        raise _refuse("迟报天数须在 0 至 366 之间", "warning_late_after_bad", rule.late_after_days)
    return Rule(
        bands,
        rule.hysteresis,
        rule.change,
        rule.rank,
        rule.missing_colour,
        rule.late_colour,
        rule.late_after_days,
        rule.escalate_after,
    )


def band_of(bands: Sequence[Band], value: float) -> Band:
    """The band holding ``value`` (bands checked: exactly one does)."""
    for band in bands:
        if band.contains(value):
            return band
    raise ValueError(f"no band holds {value}")  # unreachable for checked bands


def with_hysteresis(
    bands: Sequence[Band], value: float, previous: Colour | None, width: float
) -> Band:
    """The band whose colour ``value`` gets, keeping ``previous`` while the value stays within
    ``width`` of the previous band's range."""
    raw = band_of(bands, value)
    if previous is None or raw.colour is previous or width <= 0:
        return raw
    held = next((b for b in bands if b.colour is previous), None)
    if held is None:  # the rule changed and no longer has that colour
        return raw
    low = None if held.lower is None else held.lower - width
    high = None if held.upper is None else held.upper + width
    if (low is None or value >= low) and (high is None or value < high):
        return held
    return raw


def change_percent(value: float | None, previous: float | None) -> float | None:
    """Change against the period before, in per cent of the earlier value's size."""
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous) * 100


def worsening(percent: float, direction: Direction) -> float:
    """How much worse a change is (negative: it improved)."""
    return -percent if direction is Direction.higher else percent


def rank_from_worst(value: float, siblings: Sequence[float], direction: Direction) -> int:
    """1 for the worst of ``siblings`` (which include ``value``); ties share a rank."""
    if direction is Direction.higher:
        return 1 + sum(1 for s in siblings if s < value)
    return 1 + sum(1 for s in siblings if s > value)


def due_on(period: str, granularity: Granularity, late_after_days: int) -> date:
    """The last day a value of ``period`` may arrive: ``late_after_days`` after the period's
    last day. Still missing after it, the value is late."""
    last_day = start_of(shift(period, granularity, 1), granularity) - timedelta(days=1)
    return last_day + timedelta(days=late_after_days)


def period_over(period: str, granularity: Granularity, today: date) -> bool:
    """The period has ended: only then can its value be missing."""
    return due_on(period, granularity, 0) < today


def data_state(present: bool, due: date, today: date) -> DataState:
    if present:
        return DataState.present
    return DataState.late if today > due else DataState.missing


@dataclass(frozen=True, slots=True)
class Observation:
    value: float | None
    previous_value: float | None = None
    rank: int | None = None  # 1 = the worst among its siblings
    siblings: int = 0  # how many sibling regions have a value (itself included)
    state: DataState = DataState.present


@dataclass(frozen=True, slots=True)
class Previous:
    """The state the verdict of the period before left behind."""

    band_colour: Colour | None
    consecutive_red: int = 0
    streak_escalated: bool = False


@dataclass(frozen=True, slots=True)
class Verdict:
    colour: Colour
    band_colour: Colour | None  # the hysteresis state: the value's band colour
    reasons: tuple[str, ...]
    consecutive_red: int
    escalate: bool  # this verdict makes the red streak reach ``escalate_after``
    streak_escalated: bool


def _worst(found: list[tuple[Colour, str]]) -> tuple[Colour, tuple[str, ...]]:
    colour = max((c for c, _ in found), key=SEVERITY.__getitem__)
    if colour is Colour.green:
        return colour, tuple(r for _, r in found[:1])
    return colour, tuple(r for c, r in found if c is not Colour.green)


def evaluate(
    rule: Rule, direction: Direction, seen: Observation, previous: Previous | None
) -> Verdict | None:
    """The colour of one region's period, or None when there is nothing to colour (a missing
    value and no colour for missing data)."""
    before = previous or Previous(None)
    found: list[tuple[Colour, str]] = []
    band_colour = before.band_colour
    if seen.state is not DataState.present or seen.value is None:
        late = seen.state is DataState.late
        colour = rule.late_colour if late else rule.missing_colour
        if colour is None:
            return None
        found.append((colour, "数据迟报" if late else "数据缺失"))
    else:
        band = with_hysteresis(rule.bands, seen.value, before.band_colour, rule.hysteresis)
        band_colour = band.colour
        kept = "" if band.contains(seen.value) else f" (回差 {rule.hysteresis:g} 内保持)"
        found.append((band.colour, f"数值 {seen.value:g} 属{band.label()}{kept}"))
        percent = change_percent(seen.value, seen.previous_value)
        if (
            rule.change is not None
            and percent is not None
            and worsening(percent, direction) >= rule.change.percent
        ):
            word = "上升" if percent > 0 else "下降"
            found.append((rule.change.colour, f"环比{word} {abs(percent):.1f}%"))
        if (
            rule.rank is not None
            and seen.rank is not None
            and seen.siblings > rule.rank.bottom
            and seen.rank <= rule.rank.bottom
        ):
            found.append((rule.rank.colour, f"在 {seen.siblings} 个同级区划中倒数第 {seen.rank}"))
    colour, reasons = _worst(found)
    red = colour is Colour.red
    consecutive = before.consecutive_red + 1 if red else 0
    streak_escalated = red and before.consecutive_red > 0 and before.streak_escalated
    escalate = red and not streak_escalated and consecutive >= rule.escalate_after
    if red and consecutive > 1:
        reasons = (*reasons, f"连续 {consecutive} 期红色")
    return Verdict(
        colour, band_colour, reasons, consecutive, escalate, streak_escalated or escalate
    )
