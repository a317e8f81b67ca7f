"""A scheme or input that cannot be scored is refused with a Chinese message and a stable code,
and nothing is scored."""

from __future__ import annotations

import dataclasses
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
    Rule,
    Scheme,
    ScoringError,
    check_bands,
    check_scheme,
)
from citybrain.assessment.scoring import Values, score_scheme
from citybrain.indicators.rules import Direction

TOWNS = (
    AssessedObject("hongshui", "洪水镇", ObjectKind.township),
    AssessedObject("liuba", "六坝镇", ObjectKind.township),
)


def _item(
    key: str,
    weight: float,
    rule: Rule | None = None,
    *,
    direction: Direction = Direction.higher,
    normalisation: Normalisation = Normalisation.none,
) -> Item:
    return Item(
        key,
        f"指标{key}",
        IndicatorKind.result,
        weight,
        rule or LinearRule(0, 100),
        direction,
        normalisation,
    )


def _refused(scheme: Scheme, values: Values | None = None) -> ScoringError:
    with pytest.raises(ScoringError) as refused:
        score_scheme(scheme, values or {})
    error = refused.value
    assert error.message  # Chinese text for people
    assert error.code.startswith("assessment_")
    return error


@pytest.mark.parametrize(
    ("weights", "code"),
    [
        ((60, 30), "assessment_weights_sum"),  # 90
        ((60, 40.1), "assessment_weights_sum"),  # 100.1
        ((50, 50 + 1e-8), "assessment_weights_sum"),  # beyond the 1e-9 tolerance
        ((-10, 110), "assessment_weight_negative"),  # adds up, but one is negative
        ((math.nan, 100), "assessment_number_not_finite"),
        ((math.inf, 100), "assessment_number_not_finite"),
    ],
)
def test_weights_that_do_not_add_up_are_refused(weights: tuple[float, float], code: str) -> None:
    scheme = Scheme("方案", TOWNS, (_item("a", weights[0]), _item("b", weights[1])))
    error = _refused(scheme)
    assert error.code == code
    if code == "assessment_weights_sum":
        assert "100" in error.message


@pytest.mark.parametrize("weights", [(60, 40), (50, 50 + 1e-10), (100, 0), (33.3, 66.7)])
def test_weights_within_tolerance_are_accepted(weights: tuple[float, float]) -> None:
    scheme = Scheme("方案", TOWNS, (_item("a", weights[0]), _item("b", weights[1])))
    assert check_scheme(scheme).items[0].weight == weights[0]


def test_weights_of_one_third_each_add_up() -> None:
    # 100/3 three times is 100 within float rounding (fsum)
    third = 100 / 3
    scheme = Scheme("方案", TOWNS, tuple(_item(k, third) for k in "abc"))
    assert len(check_scheme(scheme).items) == 3


@pytest.mark.parametrize(
    ("bands", "code"),
    [
        ((), "assessment_bands_empty"),
        ((PointsBand(100, 5, 5), PointsBand(0, upper=5)), "assessment_band_empty"),
        ((PointsBand(0, upper=60), PointsBand(100, 50)), "assessment_bands_overlap"),
        ((PointsBand(0, upper=60), PointsBand(100, 70)), "assessment_bands_gap"),
        ((PointsBand(0, 0, 60), PointsBand(100, 60)), "assessment_bands_gap"),  # below 0
        ((PointsBand(0, upper=60), PointsBand(100, 60, 100)), "assessment_bands_gap"),  # ≥ 100
        ((PointsBand(0), PointsBand(100)), "assessment_bands_overlap"),  # both everything
        ((PointsBand(101),), "assessment_points_out_of_range"),
        ((PointsBand(-1),), "assessment_points_out_of_range"),
        ((PointsBand(0, upper=math.nan), PointsBand(1, lower=5)), "assessment_number_not_finite"),
    ],
)
def test_bad_bands(bands: tuple[PointsBand, ...], code: str) -> None:
    error = _refused(Scheme("方案", TOWNS, (_item("a", 100, BandRule(bands)),)))
    assert error.code == code
    assert error.detail["item"] == "a"
    assert "指标a" in error.message


def test_bands_are_sorted_and_a_single_open_band_is_fine() -> None:
    shuffled = (PointsBand(100, lower=90), PointsBand(0, upper=60), PointsBand(60, 60, 90))
    assert [b.points for b in check_bands(shuffled)] == [0, 60, 100]
    assert check_bands((PointsBand(100),)) == (PointsBand(100),)


@pytest.mark.parametrize(
    ("rule", "direction", "code"),
    [
        (LinearRule(floor=90, target=90), Direction.higher, "assessment_floor_equals_target"),
        (LinearRule(floor=90, target=90), Direction.lower, "assessment_floor_equals_target"),
        (LinearRule(floor=100, target=80), Direction.higher, "assessment_linear_direction"),
        (LinearRule(floor=1, target=5), Direction.lower, "assessment_linear_direction"),
        (LinearRule(floor=math.inf, target=5), Direction.lower, "assessment_number_not_finite"),
        (RankRule(points=()), Direction.higher, "assessment_rank_points_empty"),
        (RankRule(points=(90, 100)), Direction.higher, "assessment_rank_points_order"),
        (RankRule(points=(100, 90), others=95), Direction.higher, "assessment_rank_points_order"),
        (RankRule(points=(120, 90)), Direction.higher, "assessment_points_out_of_range"),
        (RankRule(points=(100,), others=-5), Direction.higher, "assessment_points_out_of_range"),
        (DeductionRule(per_event=0), Direction.higher, "assessment_deduction_bad"),
        (DeductionRule(per_event=-2), Direction.higher, "assessment_deduction_bad"),
        (DeductionRule(per_event=math.nan), Direction.higher, "assessment_number_not_finite"),
        (DeductionRule(per_event=2, cap=0), Direction.higher, "assessment_deduction_cap_bad"),
        (DeductionRule(per_event=2, cap=150), Direction.higher, "assessment_deduction_cap_bad"),
    ],
)
def test_bad_rules(rule: Rule, direction: Direction, code: str) -> None:
    scheme = Scheme("方案", TOWNS, (_item("a", 100, rule, direction=direction),))
    assert _refused(scheme).code == code


def test_a_normalised_item_sees_higher_is_better() -> None:
    # lower is better, but after min-max the rule's target must be above its floor
    wrong = _item(
        "a", 100, LinearRule(100, 0), direction=Direction.lower, normalisation=Normalisation.min_max
    )
    assert _refused(Scheme("方案", TOWNS, (wrong,))).code == "assessment_linear_direction"
    right = dataclasses.replace(wrong, rule=LinearRule(0, 100))
    assert check_scheme(Scheme("方案", TOWNS, (right,))).items == (right,)
    counted = _item("a", 100, DeductionRule(5), normalisation=Normalisation.z_score)
    assert _refused(Scheme("方案", TOWNS, (counted,))).code == "assessment_deduction_normalised"


@pytest.mark.parametrize(
    ("objects", "items", "code"),
    [
        ((), (_item("a", 100),), "assessment_objects_empty"),
        ((*TOWNS, TOWNS[0]), (_item("a", 100),), "assessment_object_repeated"),
        (
            (AssessedObject(" ", "无名", ObjectKind.department),),
            (_item("a", 100),),
            "assessment_object_key_blank",
        ),
        (TOWNS, (), "assessment_items_empty"),
        (TOWNS, (_item("a", 50), _item("a", 50)), "assessment_item_repeated"),
        (TOWNS, (_item("", 100),), "assessment_item_key_blank"),
    ],
)
def test_bad_objects_and_items(
    objects: tuple[AssessedObject, ...], items: tuple[Item, ...], code: str
) -> None:
    assert _refused(Scheme("方案", objects, items)).code == code


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"nope": {"hongshui": 1}}, "assessment_unknown_item"),
        ({"a": {"nowhere": 1}}, "assessment_unknown_object"),
        ({"a": {"hongshui": math.nan}}, "assessment_value_out_of_range"),
        ({"a": {"hongshui": -math.inf}}, "assessment_value_out_of_range"),
        ({"a": {"hongshui": 2e15}}, "assessment_value_out_of_range"),
        ({"a": {"hongshui": 10**400}}, "assessment_value_out_of_range"),
        ({"b": {"hongshui": -1}}, "assessment_event_count_bad"),
        ({"b": {"liuba": 1.5}}, "assessment_event_count_bad"),
    ],
)
def test_bad_values(values: Values, code: str) -> None:
    scheme = Scheme("方案", TOWNS, (_item("a", 50), _item("b", 50, DeductionRule(5))))
    assert _refused(scheme, values).code == code


def test_event_counts_may_be_whole_floats() -> None:
    scheme = Scheme("方案", TOWNS, (_item("b", 100, DeductionRule(5)),))
    result = score_scheme(scheme, {"b": {"hongshui": 2.0, "liuba": 3}})
    assert [(r.object, r.total) for r in result.results] == [("hongshui", 90), ("liuba", 85)]
