"""Period labels and the roll-up rules (pure)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from citybrain.core.errors import BadInput
from citybrain.indicators import periods, rules
from citybrain.indicators.periods import Granularity, PeriodError
from citybrain.indicators.rules import Rollup, RunRefused, Value
from citybrain.regions.scope import Level

G = Granularity


@pytest.mark.parametrize(
    ("value", "granularity", "label"),
    [
        (date(2024, 3, 5), G.day, "2024-03-05"),
        (datetime(2024, 3, 5, 12), G.month, "2024-03"),
        (date(2024, 5, 1), G.quarter, "2024Q2"),
        (date(2024, 12, 31), G.year, "2024"),
        (2024, G.year, "2024"),
        ("2024Q4", G.quarter, "2024Q4"),
        ("2024-02", G.month, "2024-02"),
    ],
)
def test_labels(value: object, granularity: G, label: str) -> None:
    assert periods.label_of(value, granularity) == label


@pytest.mark.parametrize(
    ("value", "granularity"),
    [
        ("2024-13", G.month),
        ("2024Q5", G.quarter),
        ("2024-02-30", G.day),
        (2024, G.month),
        (True, G.year),
    ],
)
def test_bad_labels(value: object, granularity: G) -> None:
    with pytest.raises(PeriodError):
        periods.label_of(value, granularity)


def test_ranges_and_shifts() -> None:
    assert periods.between("2023-11", "2024-02", G.month) == [
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
    ]
    assert periods.between("2023Q4", "2024Q1", G.quarter) == ["2023Q4", "2024Q1"]
    assert periods.shift("2024-01-01", G.day, -1) == "2023-12-31"
    assert periods.recent(date(2024, 1, 15), G.month, 3) == ("2023-11", "2024-01")
    with pytest.raises(PeriodError):
        periods.between("2024-02", "2024-01", G.month)


TOWNS = ("620722100", "620722101")


def test_a_rate_rolls_up_as_summed_numerator_over_denominator() -> None:
    base = [
        Value(TOWNS[0], "2024-01", 50.0, 1, 2),  # 1 of 2
        Value(TOWNS[1], "2024-01", 10.0, 1, 10),  # 1 of 10
    ]
    rolled = rules.by_key(
        rules.roll_up(base, rollup=Rollup.ratio, root_region="620722", ratio_scale=100)
    )
    county = rolled[("620722", "2024-01")]
    assert county.value == pytest.approx(2 / 12 * 100)
    assert county.value != pytest.approx((50 + 10) / 2)  # never the average of rates
    assert (county.numerator, county.denominator) == (2, 12)


@pytest.mark.parametrize(
    ("rollup", "expected"), [(Rollup.sum, 5.0), (Rollup.max, 3.0), (Rollup.min, 2.0)]
)
def test_sum_max_min(rollup: Rollup, expected: float) -> None:
    base = [Value(TOWNS[0], "2024", 2.0), Value(TOWNS[1], "2024", 3.0)]
    rolled = rules.by_key(rules.roll_up(base, rollup=rollup, root_region="620722"))
    assert rolled[("620722", "2024")].value == expected


def test_villages_roll_up_through_towns_to_the_county() -> None:
    base = [
        Value("620722100201", "2024", 1.0),
        Value("620722100202", "2024", 2.0),
        Value("620722101201", "2024", 4.0),
    ]
    rolled = rules.by_key(rules.roll_up(base, rollup=Rollup.sum, root_region="620722"))
    assert rolled[("620722100", "2024")].value == 3.0
    assert rolled[("620722", "2024")].value == 7.0
    assert ("6207", "2024") not in rolled  # not above the indicator's region
    assert rules.roll_up(base, rollup=Rollup.none, root_region="620722") == base


def test_rollup_must_fit_the_columns() -> None:
    with pytest.raises(BadInput) as caught:
        rules.check_rollup(Rollup.ratio, has_ratio=False)
    assert getattr(caught.value, "code", "") == "rollup_mismatch"
    with pytest.raises(BadInput) as caught:
        rules.check_rollup(Rollup.sum, has_ratio=True)
    assert getattr(caught.value, "code", "") == "rollup_mismatch"


def _values(rows: list[tuple[object, ...]], level: Level = Level.town) -> list[Value]:
    return rules.to_values(
        ("region_code", "period", "value"),
        rows,
        granularity=G.month,
        region_level=level,
        root_region="620722",
    )


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        ([("abc", "2024-01", 1)], "bad_output_region"),
        ([("620722", "2024-01", 1)], "wrong_region_level"),
        ([("510903100", "2024-01", 1)], "region_out_of_scope"),
        ([("620722100", "2024/01", 1)], "bad_output_period"),
        ([("620722100", "2024-01", "many")], "wrong_output_type"),
        ([("620722100", "2024-01", float("inf"))], "division_by_zero"),
        (
            [("620722100", "2024-01", 1), ("620722100000", date(2024, 1, 9), 2)],
            "duplicate_output_row",
        ),
    ],
)
def test_bad_rows_are_refused(rows: list[tuple[object, ...]], code: str) -> None:
    with pytest.raises(RunRefused) as caught:
        _values(rows)
    assert caught.value.code == code


def test_statistical_codes_are_normalised() -> None:
    assert _values([("620722100000", date(2024, 1, 9), 2)]) == [Value("620722100", "2024-01", 2.0)]
