"""Scoring a scheme for one period: normalisation, item scores, weighted totals, ranking.

Pure, no session, no I/O. Decisions worth knowing:

- A *missing* value (an object absent from an item's values) scores 0 on that item and is
  flagged (``ItemScore.missing``, ``ObjectResult.missing_items``), so a total is never silently
  based on fewer items; it takes no part in normalisation or in the item's ranking.
- A *manual* item needs evidence (non-blank) with every value entered; otherwise nothing is scored.
- Min-max normalisation gives the best object 100 and the worst 0; when all present values are
  equal (or only one is present) every object gets 100, since none is worse than another.
  Z-score uses the population standard deviation; when it is 0 every object gets 0.
- Ranks are competition ranks: ties share the better rank and the next rank is skipped
  (1, 2, 2, 4). Totals are compared after rounding to 9 decimals, so float noise from adding
  weighted scores does not split a tie; item values are compared exactly.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from citybrain.assessment.schemes import (
    FULL_POINTS,
    VALUE_LIMIT,
    WEIGHT_TOTAL,
    BandRule,
    DeductionRule,
    IndicatorKind,
    Item,
    LinearRule,
    Normalisation,
    PointsBand,
    RankRule,
    Scheme,
    check_scheme,
    refuse,
)
from citybrain.indicators.rules import Direction

TOTAL_DECIMALS = 9


@dataclass(frozen=True, slots=True)
class Entry:
    """A value with the evidence it rests on (required for manual items)."""

    value: float
    evidence: str = ""


Value = float | Entry
# item key -> object key -> value; an object absent from an item's mapping is missing.
Values = Mapping[str, Mapping[str, Value]]


@dataclass(frozen=True, slots=True)
class ItemScore:
    item: str
    object: str
    raw: float | None  # as given; None when missing
    value: float | None  # as the rule saw it (normalised when the item normalises)
    score: float  # 0–100
    weighted: float  # score × weight / 100
    missing: bool = False
    rank: int | None = None  # for rank rules: the object's rank on this item


@dataclass(frozen=True, slots=True)
class ObjectResult:
    object: str
    total: float  # 0–100
    rank: int
    items: tuple[ItemScore, ...]
    by_kind: Mapping[IndicatorKind, float] = field(default_factory=dict)
    missing_items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SchemeResult:
    scheme: str
    results: tuple[ObjectResult, ...]  # by rank, then object key

    def of(self, object_key: str) -> ObjectResult:
        for result in self.results:
            if result.object == object_key:
                return result
        raise KeyError(object_key)


def normalise(
    values: Mapping[str, float], method: Normalisation, direction: Direction
) -> dict[str, float]:
    """``values`` normalised across the objects; on the result higher is always better."""
    if method is Normalisation.none or not values:
        return dict(values)
    sign = 1.0 if direction is Direction.higher else -1.0
    low, high = min(values.values()), max(values.values())
    if method is Normalisation.min_max:
        if low == high:
            return dict.fromkeys(values, FULL_POINTS)
        best, span = (low, high - low) if sign > 0 else (high, low - high)
        # divide first: (x - best) / span is exactly 1 for the best, so it gets exactly 100
        return {k: FULL_POINTS * ((v - best) / span) for k, v in values.items()}
    if low == high:  # tested apart: the mean of equal numbers may round off them
        return dict.fromkeys(values, 0.0)
    mean = statistics.fmean(values.values())
    spread = statistics.pstdev(values.values())
    return {k: sign * (v - mean) / spread for k, v in values.items()}


def band_points(bands: Sequence[PointsBand], value: float) -> float:
    for band in bands:
        if band.contains(value):
            return band.points
    # check_bands guarantees cover; reaching here means the bands were never checked
    raise refuse(f"数值 {value:g} 不在任何区间内", "assessment_bands_gap", value)


def linear_points(rule: LinearRule, value: float) -> float:
    """0 at or beyond the floor, 100 at or beyond the target; the sign of ``target - floor``
    carries the direction, so one formula serves both."""
    share = (value - rule.floor) / (rule.target - rule.floor)
    return FULL_POINTS * min(1.0, max(0.0, share))


def deduction_points(rule: DeductionRule, events: int) -> float:
    deducted = events * rule.per_event
    if rule.cap is not None:
        deducted = min(deducted, rule.cap)
    return max(0.0, FULL_POINTS - deducted)


def competition_ranks(values: Mapping[str, float], direction: Direction) -> dict[str, int]:
    """Rank 1 for the best; ties share the better rank and the next rank is skipped."""
    ordered = sorted(values.values(), reverse=direction is Direction.higher)
    first_place: dict[float, int] = {}
    for place, value in enumerate(ordered, start=1):
        first_place.setdefault(value, place)
    return {k: first_place[v] for k, v in values.items()}


def rank_points(rule: RankRule, rank: int) -> float:
    return rule.points[rank - 1] if rank <= len(rule.points) else rule.others


def _checked_value(item: Item, object_key: str, given: Value) -> float:
    number, evidence = (given.value, given.evidence) if isinstance(given, Entry) else (given, "")
    where = {"item": item.key, "object": object_key}
    try:
        value = float(number)  # an int has no is_integer() before Python 3.12
    except OverflowError:  # an int too large for a float
        value = math.inf if number > 0 else -math.inf
    if math.isnan(value) or abs(value) > VALUE_LIMIT:
        raise refuse(
            f"指标「{item.name}」的数值 {value:g} 须为 ±1e15 以内的有限数值",
            "assessment_value_out_of_range",
            where,
        )
    if item.manual and not evidence.strip():
        raise refuse(
            f"指标「{item.name}」为人工录入, 对象 {object_key} 的分值须附佐证材料",
            "assessment_manual_evidence_missing",
            where,
        )
    if isinstance(item.rule, DeductionRule) and (value < 0 or not value.is_integer()):
        raise refuse(
            f"指标「{item.name}」的事件次数须为非负整数, 现为 {value:g}",
            "assessment_event_count_bad",
            where,
        )
    return value


def score_item(
    item: Item, objects: Sequence[str], given: Mapping[str, Value]
) -> tuple[ItemScore, ...]:
    """One score per object, in the order of ``objects``; ``item`` must come from a checked
    scheme (:func:`check_scheme`)."""
    raw = {k: _checked_value(item, k, given[k]) for k in objects if k in given}
    seen = normalise(raw, item.normalisation, item.direction)
    ranks = competition_ranks(seen, item.rule_direction) if isinstance(item.rule, RankRule) else {}
    scores = []
    for key in objects:
        if key not in seen:
            scores.append(ItemScore(item.key, key, None, None, 0.0, 0.0, missing=True))
            continue
        value = seen[key]
        rule = item.rule
        if isinstance(rule, BandRule):
            points = band_points(rule.bands, value)
        elif isinstance(rule, LinearRule):
            points = linear_points(rule, value)
        elif isinstance(rule, RankRule):
            points = rank_points(rule, ranks[key])
        else:
            points = deduction_points(rule, int(value))
        weighted = points * item.weight / WEIGHT_TOTAL
        scores.append(
            ItemScore(item.key, key, raw[key], value, points, weighted, rank=ranks.get(key))
        )
    return tuple(scores)


def score_scheme(scheme: Scheme, values: Values) -> SchemeResult:
    """Every object's item scores, weighted total, totals by kind and rank, best first.

    Raises ScoringError for a scheme :func:`check_scheme` refuses, for values naming an item or
    object the scheme lacks (``assessment_unknown_item``, ``assessment_unknown_object``), and for
    a bad value (``assessment_value_out_of_range``: NaN, infinite or beyond ±1e15,
    ``assessment_manual_evidence_missing``, ``assessment_event_count_bad``). Nothing is scored
    unless everything is valid."""
    checked = check_scheme(scheme)
    object_keys = [o.key for o in checked.objects]
    known_items = {i.key for i in checked.items}
    unknown_items = sorted(set(values) - known_items)
    if unknown_items:
        raise refuse(
            f"方案中没有指标: {'、'.join(unknown_items)}", "assessment_unknown_item", unknown_items
        )
    unknown_objects = sorted({k for v in values.values() for k in v} - set(object_keys))
    if unknown_objects:
        raise refuse(
            f"方案中没有考核对象: {'、'.join(unknown_objects)}",
            "assessment_unknown_object",
            unknown_objects,
        )
    per_item = [score_item(item, object_keys, values.get(item.key, {})) for item in checked.items]
    totals: dict[str, float] = {}
    partial: dict[str, tuple[tuple[ItemScore, ...], dict[IndicatorKind, float], tuple[str, ...]]]
    partial = {}
    for index, key in enumerate(object_keys):
        mine = tuple(scores[index] for scores in per_item)
        totals[key] = math.fsum(s.weighted for s in mine)
        by_kind = {
            kind: math.fsum(
                s.weighted for s, i in zip(mine, checked.items, strict=True) if i.kind is kind
            )
            for kind in IndicatorKind
        }
        partial[key] = (mine, by_kind, tuple(s.item for s in mine if s.missing))
    ranks = competition_ranks(
        {k: round(t, TOTAL_DECIMALS) for k, t in totals.items()}, Direction.higher
    )
    results = [
        ObjectResult(
            key, totals[key], ranks[key], partial[key][0], partial[key][1], partial[key][2]
        )
        for key in object_keys
    ]
    results.sort(key=lambda r: (r.rank, r.object))
    return SchemeResult(checked.name, tuple(results))
