"""An assessment scheme (考核方案) and its validation: pure, no session, no I/O.

Every rule turns an item's value into an *item score* on a 0–100 scale (百分制); an item's
``weight`` is its share of the total in per cent, so the weights of a scheme add up to 100 and
the weighted total ``Σ score × weight / 100`` is again 0–100.

Rules:

- :class:`BandRule` — ranges ``[lower, upper)`` (``None`` unbounded) that cover every number
  exactly once, each worth its points;
- :class:`LinearRule` — 0 at or beyond ``floor``, 100 at or beyond ``target``, a straight line
  between; ``target > floor`` when higher is better, ``target < floor`` when lower is better;
- :class:`RankRule` — points by rank among the objects (rank 1 = best in the item's direction);
  ties share the better rank (competition ranking, 1-2-2-4), so tied objects get the same points;
- :class:`DeductionRule` — the value is a count of events (overdue, badly rated): 100 minus
  ``per_event`` for each, the total deduction limited to ``cap`` when set, never below 0.

When an item normalises (:class:`Normalisation`), its rule sees the normalised value, on which
higher is always better (the item's direction has been applied by the normalisation).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Final

from citybrain.core.errors import BadInput
from citybrain.indicators.rules import Direction

WEIGHT_TOTAL: Final = 100.0
WEIGHT_TOLERANCE: Final = 1e-9
FULL_POINTS: Final = 100.0
# Values beyond this are refused so that differences (min-max, linear) stay finite.
VALUE_LIMIT: Final = 1e15


class ScoringError(BadInput, ValueError):
    """A scheme or an input that cannot be scored: ``message`` in Chinese, ``code`` stable English,
    ``detail`` names what is wrong. A ``ValueError`` too, for callers outside the web layer."""

    default_code = "assessment_invalid"


class IndicatorKind(StrEnum):
    process = "process"  # 过程性
    result = "result"  # 结果性
    third_party = "third_party"  # 第三方


class ObjectKind(StrEnum):
    township = "township"  # 乡镇
    department = "department"  # 部门


class Normalisation(StrEnum):
    none = "none"
    min_max = "min_max"  # 0 for the worst object, 100 for the best
    z_score = (
        "z_score"  # (x - mean) / population standard deviation, sign flipped if lower is better
    )


@dataclass(frozen=True, slots=True)
class PointsBand:
    points: float
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
class BandRule:
    bands: tuple[PointsBand, ...]


@dataclass(frozen=True, slots=True)
class LinearRule:
    floor: float
    target: float


@dataclass(frozen=True, slots=True)
class RankRule:
    points: tuple[float, ...]  # points[0] for rank 1, points[1] for rank 2, ...
    others: float = 0.0  # for ranks beyond the list


@dataclass(frozen=True, slots=True)
class DeductionRule:
    per_event: float
    cap: float | None = None  # the most that can be deducted in all


Rule = BandRule | LinearRule | RankRule | DeductionRule


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    name: str
    kind: IndicatorKind
    weight: float  # per cent of the total
    rule: Rule
    direction: Direction = Direction.higher
    normalisation: Normalisation = Normalisation.none
    manual: bool = False  # entered by hand: every entered value needs evidence

    @property
    def rule_direction(self) -> Direction:
        """The direction the rule sees: higher is better once the value is normalised."""
        return self.direction if self.normalisation is Normalisation.none else Direction.higher


@dataclass(frozen=True, slots=True)
class AssessedObject:
    key: str
    name: str
    kind: ObjectKind


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    objects: tuple[AssessedObject, ...]
    items: tuple[Item, ...]


def refuse(message: str, code: str, detail: object = None) -> ScoringError:
    return ScoringError(message, code=code, detail=detail)


def check_finite(number: float | None, what: str) -> None:
    if number is not None and not math.isfinite(number):
        raise refuse(f"{what}须为有限数值", "assessment_number_not_finite", what)


def _check_points(points: float, what: str) -> None:
    check_finite(points, what)
    if not 0 <= points <= FULL_POINTS:
        raise refuse(
            f"{what} {points:g} 须在 0 至 100 之间", "assessment_points_out_of_range", what
        )


def _band_start(band: PointsBand) -> float:
    return -math.inf if band.lower is None else band.lower


def check_bands(bands: Sequence[PointsBand]) -> tuple[PointsBand, ...]:
    """The bands sorted from low to high, or ScoringError: ``assessment_bands_empty``,
    ``assessment_band_empty`` (lower ≥ upper), ``assessment_bands_overlap``,
    ``assessment_bands_gap`` (some number would score nothing), or a points/number code."""
    if not bands:
        raise refuse("分档计分至少须设置一个区间", "assessment_bands_empty")
    for band in bands:
        check_finite(band.lower, "区间下限")
        check_finite(band.upper, "区间上限")
        _check_points(band.points, f"区间 {band.label()} 的分值")
        if band.lower is not None and band.upper is not None and band.lower >= band.upper:
            raise refuse(
                f"区间 {band.label()} 为空: 下限须小于上限", "assessment_band_empty", band.label()
            )
    ordered = sorted(bands, key=_band_start)
    if ordered[0].lower is not None:
        raise refuse(
            f"低于 {ordered[0].lower:g} 的数值没有对应分值 (最低区间须不设下限)",
            "assessment_bands_gap",
            {"below": ordered[0].lower},
        )
    if ordered[-1].upper is not None:
        raise refuse(
            f"不低于 {ordered[-1].upper:g} 的数值没有对应分值 (最高区间须不设上限)",
            "assessment_bands_gap",
            {"from": ordered[-1].upper},
        )
    for below, above in pairwise(ordered):
        if below.upper is None or above.lower is None or below.upper > above.lower:
            raise refuse(
                f"区间 {below.label()} 与区间 {above.label()} 重叠",
                "assessment_bands_overlap",
                [below.label(), above.label()],
            )
        if below.upper < above.lower:
            raise refuse(
                f"{below.upper:g} 至 {above.lower:g} 之间的数值没有对应分值",
                "assessment_bands_gap",
                {"from": below.upper, "to": above.lower},
            )
    return tuple(ordered)


def check_rule(rule: Rule, direction: Direction) -> Rule:
    """The rule ready to score (bands sorted), or ScoringError naming what is wrong."""
    if isinstance(rule, BandRule):
        return BandRule(check_bands(rule.bands))
    if isinstance(rule, LinearRule):
        check_finite(rule.floor, "保底值")
        check_finite(rule.target, "目标值")
        if rule.floor == rule.target:
            raise refuse(
                f"保底值与目标值相同 ({rule.target:g}), 无法线性计分",
                "assessment_floor_equals_target",
                rule.target,
            )
        if (rule.target > rule.floor) != (direction is Direction.higher):
            side = (
                "越高越好, 目标值须高于"
                if direction is Direction.higher
                else "越低越好, 目标值须低于"
            )
            raise refuse(
                f"指标{side}保底值", "assessment_linear_direction", [rule.floor, rule.target]
            )
        return rule
    if isinstance(rule, RankRule):
        if not rule.points:
            raise refuse("按名次计分至少须设置第一名的分值", "assessment_rank_points_empty")
        for place, points in enumerate(rule.points, start=1):
            _check_points(points, f"第 {place} 名的分值")
        _check_points(rule.others, "其余名次的分值")
        if any(a < b for a, b in pairwise((*rule.points, rule.others))):
            raise refuse(
                "名次分值须随名次递减 (不得高于前一名)",
                "assessment_rank_points_order",
                [*rule.points, rule.others],
            )
        return rule
    check_finite(rule.per_event, "每次扣分")
    if rule.per_event <= 0:
        raise refuse("每次扣分须大于 0", "assessment_deduction_bad", rule.per_event)
    if rule.cap is not None:
        check_finite(rule.cap, "扣分上限")
        if not 0 < rule.cap <= FULL_POINTS:
            raise refuse("扣分上限须大于 0 且不超过 100", "assessment_deduction_cap_bad", rule.cap)
    return rule


def check_scheme(scheme: Scheme) -> Scheme:
    """The scheme with its rules ready to score, or ScoringError: ``assessment_objects_empty``,
    ``assessment_object_repeated``, ``assessment_items_empty``, ``assessment_item_repeated``,
    ``assessment_weight_negative``, ``assessment_weights_sum`` (not 100 within 1e-9),
    ``assessment_deduction_normalised``, or a rule's code (:func:`check_rule`)."""
    if not scheme.objects:
        raise refuse("考核方案须至少有一个考核对象", "assessment_objects_empty")
    _unique([o.key for o in scheme.objects], "考核对象", "assessment_object")
    if not scheme.items:
        raise refuse("考核方案须至少有一个考核指标", "assessment_items_empty")
    _unique([i.key for i in scheme.items], "考核指标", "assessment_item")
    items = []
    for item in scheme.items:
        check_finite(item.weight, f"指标「{item.name}」的权重")
        if item.weight < 0:
            raise refuse(
                f"指标「{item.name}」的权重 {item.weight:g} 不能为负数",
                "assessment_weight_negative",
                item.key,
            )
        if isinstance(item.rule, DeductionRule) and item.normalisation is not Normalisation.none:
            raise refuse(
                f"指标「{item.name}」按次扣分, 不能归一化",
                "assessment_deduction_normalised",
                item.key,
            )
        try:
            rule = check_rule(item.rule, item.rule_direction)
        except ScoringError as error:
            raise refuse(
                f"指标「{item.name}」: {error.message}",
                error.code,
                {"item": item.key, "detail": error.detail},
            ) from error
        items.append(dataclasses.replace(item, rule=rule))
    total = math.fsum(i.weight for i in scheme.items)
    if abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
        raise refuse(f"各指标权重之和须为 100, 现为 {total:g}", "assessment_weights_sum", total)
    return Scheme(scheme.name, scheme.objects, tuple(items))


def _unique(keys: list[str], what: str, code_prefix: str) -> None:
    """Refuses ``<prefix>_key_blank`` and ``<prefix>_repeated``."""
    if any(not k.strip() for k in keys):
        raise refuse(f"{what}的标识不能为空", f"{code_prefix}_key_blank")
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise refuse(f"{what}重复: {'、'.join(repeated)}", f"{code_prefix}_repeated", repeated)
