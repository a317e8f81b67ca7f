"""考核评价 arithmetic on small cases worked by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import math

import pytest

from citybrain.assessment.schemes import (
    AssessedObject,
    BandRule,
    DeductionRule,
    IndicatorKind,
    Item,
    LinearRule,
    Normalisation,
    ObjectKind,
    PointsBand,
    RankRule,
    Scheme,
    ScoringError,
)
from citybrain.assessment.scoring import (
    Entry,
    Values,
    band_points,
    competition_ranks,
    deduction_points,
    linear_points,
    normalise,
    score_scheme,
)
from citybrain.core.errors import BadInput
from citybrain.indicators.rules import Direction

TOWNS = (
    AssessedObject("hongshui", "洪水镇", ObjectKind.township),
    AssessedObject("liuba", "六坝镇", ObjectKind.township),
    AssessedObject("minlian", "民联镇", ObjectKind.township),
)
ON_TIME = Item(
    "on_time", "办件按时办结率", IndicatorKind.result, 60, LinearRule(floor=80, target=100)
)
OVERDUE = Item("overdue", "逾期事件", IndicatorKind.process, 40, DeductionRule(per_event=5, cap=30))
SCHEME = Scheme("2026年11月乡镇考核", TOWNS, (ON_TIME, OVERDUE))
SATISFACTION_BANDS = BandRule(
    (
        PointsBand(0, upper=80),
        PointsBand(60, 80, 90),
        PointsBand(85, 90, 95),
        PointsBand(100, lower=95),
    )
)


def test_three_townships_two_indicators_weights_60_40() -> None:
    # 按时办结率, linear from floor 80 to target 100, weight 60:
    #   洪水 95 -> (95-80)/(100-80) = 0.75 -> 75;  六坝 100 -> 100;  民联 70 (below floor) -> 0
    # 逾期事件, 5 points per event, at most 30 deducted, weight 40:
    #   洪水 2 -> 100-10 = 90;  六坝 8 -> 40 capped at 30 -> 70;  民联 0 -> 100
    # totals: 洪水 75×0.6 + 90×0.4 = 45 + 36 = 81
    #         六坝 100×0.6 + 70×0.4 = 60 + 28 = 88
    #         民联 0×0.6 + 100×0.4 = 0 + 40 = 40      -> ranks 六坝 1, 洪水 2, 民联 3
    values: Values = {
        "on_time": {"hongshui": 95, "liuba": 100, "minlian": 70},
        "overdue": {"hongshui": 2, "liuba": 8, "minlian": 0},
    }
    result = score_scheme(SCHEME, values)
    assert [(r.object, r.rank, r.total) for r in result.results] == [
        ("liuba", 1, 88),
        ("hongshui", 2, 81),
        ("minlian", 3, 40),
    ]
    hongshui = result.of("hongshui")
    assert [(s.item, s.score, s.weighted) for s in hongshui.items] == [
        ("on_time", 75, 45),
        ("overdue", 90, 36),
    ]
    assert hongshui.by_kind == {
        IndicatorKind.result: 45,
        IndicatorKind.process: 36,
        IndicatorKind.third_party: 0,
    }
    assert hongshui.missing_items == ()
    assert result.scheme == "2026年11月乡镇考核"
    with pytest.raises(KeyError):
        result.of("nowhere")


def test_a_missing_value_scores_zero_and_is_flagged() -> None:
    # 民联 has no 逾期事件 count: 0 on that item, flagged; its total is 0×0.6 + 0×0.4 = 0 while
    # 洪水 keeps 81 and 六坝 88. The missing object takes no part in the other items' arithmetic.
    values: Values = {
        "on_time": {"hongshui": 95, "liuba": 100, "minlian": 70},
        "overdue": {"hongshui": 2, "liuba": 8},
    }
    result = score_scheme(SCHEME, values)
    minlian = result.of("minlian")
    assert minlian.total == 0
    assert minlian.missing_items == ("overdue",)
    overdue = minlian.items[1]
    assert (overdue.missing, overdue.raw, overdue.value, overdue.score) == (True, None, None, 0)
    assert result.of("hongshui").total == 81
    assert result.of("hongshui").missing_items == ()
    # an item nobody reported: every object flagged
    only_on_time = score_scheme(SCHEME, {"on_time": values["on_time"]})
    assert all(r.missing_items == ("overdue",) for r in only_on_time.results)
    assert only_on_time.of("liuba").total == 60


@pytest.mark.parametrize(
    ("value", "points"),
    [(-5, 0), (79.999, 0), (80, 60), (89.999, 60), (90, 85), (94.5, 85), (95, 100), (1e6, 100)],
)
def test_bands_lower_bound_inclusive_upper_exclusive(value: float, points: float) -> None:
    assert band_points(SATISFACTION_BANDS.bands, value) == points


@pytest.mark.parametrize(
    ("value", "points"),
    [(0, 0), (79, 0), (80, 0), (85, 25), (90, 50), (99, 95), (100, 100), (120, 100)],
)
def test_linear_higher_is_better(value: float, points: float) -> None:
    # floor 80, target 100: (value - 80) / 20 × 100, clamped to 0..100
    assert linear_points(LinearRule(floor=80, target=100), value) == pytest.approx(points)


@pytest.mark.parametrize(
    ("value", "points"),
    [(9, 0), (5, 0), (4, 25), (3, 50), (2, 75), (1, 100), (0.5, 100), (0, 100)],
)
def test_linear_lower_is_better(value: float, points: float) -> None:
    # 投诉率: floor 5 (%), target 1: (value - 5) / (1 - 5) × 100; e.g. 3 -> -2/-4 = 0.5 -> 50
    assert linear_points(LinearRule(floor=5, target=1), value) == pytest.approx(points)


@pytest.mark.parametrize(
    ("rule", "events", "points"),
    [
        (DeductionRule(per_event=5), 0, 100),
        (DeductionRule(per_event=5), 3, 85),
        (DeductionRule(per_event=5), 20, 0),
        (DeductionRule(per_event=5), 21, 0),  # floored at 0, never negative
        (DeductionRule(per_event=2.5, cap=10), 3, 92.5),
        (DeductionRule(per_event=2.5, cap=10), 4, 90),  # exactly at the cap
        (DeductionRule(per_event=2.5, cap=10), 400, 90),
    ],
)
def test_deduction_per_event(rule: DeductionRule, events: int, points: float) -> None:
    assert deduction_points(rule, events) == points


def test_rank_rule_ties_share_the_better_rank() -> None:
    # 群众满意度 among four departments, points 100/90/80 for ranks 1-3, 60 for the rest:
    #   98 -> rank 1 -> 100;  95, 95 -> both rank 2 -> 90 each;  90 -> rank 4 (3 is skipped) -> 60
    departments = tuple(
        AssessedObject(f"d{i}", f"部门{i}", ObjectKind.department) for i in range(4)
    )
    item = Item(
        "satisfaction",
        "群众满意度",
        IndicatorKind.third_party,
        100,
        RankRule(points=(100, 90, 80), others=60),
    )
    values: Values = {"satisfaction": {"d0": 98, "d1": 95, "d2": 95, "d3": 90}}
    result = score_scheme(Scheme("部门考核", departments, (item,)), values)
    scored = {r.object: (r.items[0].rank, r.items[0].score, r.rank) for r in result.results}
    assert scored == {"d0": (1, 100, 1), "d1": (2, 90, 2), "d2": (2, 90, 2), "d3": (4, 60, 4)}
    # ties in the total share the rank too, and the order among them is by object key
    assert [r.object for r in result.results] == ["d0", "d1", "d2", "d3"]
    # lower is better: 90 is now the best
    lower = Item(
        "complaints",
        "投诉量",
        IndicatorKind.result,
        100,
        RankRule((100, 90, 80), 60),
        direction=Direction.lower,
    )
    by_lower = score_scheme(
        Scheme("部门考核", departments, (lower,)), {"complaints": values["satisfaction"]}
    )
    assert {r.object: r.items[0].rank for r in by_lower.results} == {
        "d3": 1,
        "d1": 2,
        "d2": 2,
        "d0": 4,
    }


def test_competition_ranks() -> None:
    assert competition_ranks({}, Direction.higher) == {}
    assert competition_ranks({"a": 1}, Direction.lower) == {"a": 1}
    assert competition_ranks({"a": 3, "b": 3, "c": 3}, Direction.higher) == {"a": 1, "b": 1, "c": 1}
    assert competition_ranks({"a": 1, "b": 2, "c": 2, "d": 5}, Direction.higher) == {
        "d": 1,
        "b": 2,
        "c": 2,
        "a": 4,
    }


def test_min_max_normalisation() -> None:
    # 10, 20, 40 -> (x - 10) / 30 × 100 = 0, 33.33…, 100; lower is better: (40 - x) / 30 × 100
    values = {"a": 10.0, "b": 20.0, "c": 40.0}
    higher = normalise(values, Normalisation.min_max, Direction.higher)
    assert higher == {"a": 0, "b": pytest.approx(100 / 3), "c": 100}
    lower = normalise(values, Normalisation.min_max, Direction.lower)
    assert lower == {"a": 100, "b": pytest.approx(200 / 3), "c": 0}
    # all equal, or only one present: nobody is worse than another -> 100 each
    assert normalise({"a": 7.0, "b": 7.0}, Normalisation.min_max, Direction.lower) == {
        "a": 100,
        "b": 100,
    }
    assert normalise({}, Normalisation.min_max, Direction.higher) == {}
    assert normalise(values, Normalisation.none, Direction.lower) == values


def test_z_score_normalisation() -> None:
    # 2 4 4 4 5 5 7 9: mean 5, population standard deviation 2 -> z = (x - 5) / 2
    values = {f"o{i}": float(v) for i, v in enumerate((2, 4, 4, 4, 5, 5, 7, 9))}
    z = normalise(values, Normalisation.z_score, Direction.higher)
    assert list(z.values()) == [-1.5, -0.5, -0.5, -0.5, 0, 0, 1, 2]
    z_lower = normalise(values, Normalisation.z_score, Direction.lower)
    assert list(z_lower.values()) == [1.5, 0.5, 0.5, 0.5, 0, 0, -1, -2]
    assert normalise({"a": 3.0, "b": 3.0}, Normalisation.z_score, Direction.higher) == {
        "a": 0,
        "b": 0,
    }


def test_a_normalised_item_is_scored_on_the_normalised_value() -> None:
    # 投诉量 (lower is better) 10, 20, 40 -> min-max 100, 66.67, 0; linear floor 0 target 100 on
    # that (higher is better once normalised) gives the same numbers; weight 100.
    item = Item(
        "complaints",
        "投诉量",
        IndicatorKind.result,
        100,
        LinearRule(floor=0, target=100),
        direction=Direction.lower,
        normalisation=Normalisation.min_max,
    )
    result = score_scheme(
        Scheme("方案", TOWNS, (item,)),
        {"complaints": {"hongshui": 10, "liuba": 20, "minlian": 40}},
    )
    assert [(r.object, r.total) for r in result.results] == [
        ("hongshui", 100),
        ("liuba", pytest.approx(200 / 3)),
        ("minlian", 0),
    ]
    assert result.of("liuba").items[0].raw == 20
    # z-score into bands: 2 4 4 4 5 5 7 9 -> z -1.5 … 2 -> [-∞,-1) 0, [-1,0) 60, [0,1) 80, [1,∞) 100
    objects = tuple(AssessedObject(f"o{i}", f"对象{i}", ObjectKind.township) for i in range(8))
    z_item = Item(
        "gdp",
        "地区生产总值增速",
        IndicatorKind.result,
        100,
        BandRule(
            (
                PointsBand(0, upper=-1),
                PointsBand(60, -1, 0),
                PointsBand(80, 0, 1),
                PointsBand(100, lower=1),
            )
        ),
        normalisation=Normalisation.z_score,
    )
    raw = {f"o{i}": v for i, v in enumerate((2, 4, 4, 4, 5, 5, 7, 9))}
    z_result = score_scheme(Scheme("方案", objects, (z_item,)), {"gdp": raw})
    assert [z_result.of(f"o{i}").total for i in range(8)] == [0, 60, 60, 60, 80, 80, 100, 100]


def test_manual_items_need_evidence() -> None:
    # 第三方 暗访 entered by hand, weight 40, bands: <60 -> 0, ≥60 -> 100
    visit = Item(
        "visit",
        "暗访评价",
        IndicatorKind.third_party,
        40,
        BandRule((PointsBand(0, upper=60), PointsBand(100, lower=60))),
        manual=True,
    )
    scheme = Scheme("方案", TOWNS, (ON_TIME, visit))
    on_time = {"hongshui": 95, "liuba": 100, "minlian": 70}
    good: Values = {
        "on_time": on_time,
        "visit": {"hongshui": Entry(70, "暗访记录 2026-11-03.pdf"), "liuba": Entry(50, "记录")},
    }
    result = score_scheme(scheme, good)
    # 洪水 75×0.6 + 100×0.4 = 85; 六坝 60 + 0 = 60; 民联 0 + missing (no evidence needed) = 0
    assert [(r.object, r.total) for r in result.results] == [
        ("hongshui", 85),
        ("liuba", 60),
        ("minlian", 0),
    ]
    assert result.of("minlian").missing_items == ("visit",)
    for bad in (70, Entry(70), Entry(70, "  \n")):
        with pytest.raises(ScoringError) as refused:
            score_scheme(scheme, {"on_time": on_time, "visit": {"hongshui": bad}})
        assert refused.value.code == "assessment_manual_evidence_missing"
        assert refused.value.detail == {"item": "visit", "object": "hongshui"}
        assert "佐证" in refused.value.message


def test_totals_equal_up_to_float_noise_share_a_rank() -> None:
    # weights 10/20/70; bands give 0 below 1 and the item's points from 1:
    #   A: 0, 0, 0.1 -> 0.1×70/100 = 0.07
    #   B: 0.1, 0.3, 0 -> 0.1×10/100 + 0.3×20/100 = 0.01 + 0.06 = 0.07 (0.06999999999999999 in
    #   floating point); exactly equal in decimals, so they tie at rank 1.
    def item(key: str, weight: float, points: float) -> Item:
        bands = BandRule((PointsBand(0, upper=1), PointsBand(points, lower=1)))
        return Item(key, key, IndicatorKind.process, weight, bands)

    objects = (
        AssessedObject("a", "A", ObjectKind.township),
        AssessedObject("b", "B", ObjectKind.township),
    )
    scheme = Scheme(
        "方案", objects, (item("i1", 10, 0.1), item("i2", 20, 0.3), item("i3", 70, 0.1))
    )
    values: Values = {"i1": {"a": 0, "b": 1}, "i2": {"a": 0, "b": 1}, "i3": {"a": 1, "b": 0}}
    result = score_scheme(scheme, values)
    assert result.of("a").total != result.of("b").total  # the noise is real
    assert math.isclose(result.of("a").total, result.of("b").total)
    assert [(r.object, r.rank) for r in result.results] == [("a", 1), ("b", 1)]


def test_scoring_error_is_a_value_error_and_a_domain_error() -> None:
    error = ScoringError("权重之和须为 100", code="assessment_weights_sum")
    assert isinstance(error, ValueError)
    assert isinstance(error, BadInput)
    assert (error.code, error.status_code) == ("assessment_weights_sum", 422)
    assert ScoringError("x").code == "assessment_invalid"
