"""Five-colour warning rules (pure): bands refused for overlaps, gaps and wrong order; every
value coloured once in either direction; hysteresis holds a wobbling value; change, rank,
missing and late data; escalation once per red streak. Table-driven (hypothesis is not a dev
dependency), with exhaustive sweeps over a grid of values."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from citybrain.indicators.periods import Granularity
from citybrain.indicators.rules import Direction
from citybrain.indicators.warnings import rules
from citybrain.indicators.warnings.rules import (
    Band,
    ChangeRule,
    Colour,
    DataState,
    Observation,
    Previous,
    RankRule,
    Rule,
    RuleRefused,
)

R, OR, Y, B, G = Colour.red, Colour.orange, Colour.yellow, Colour.blue, Colour.green
# higher is better: below 60 red … from 90 green
HIGHER = (Band(R, None, 60), Band(OR, 60, 70), Band(Y, 70, 80), Band(B, 80, 90), Band(G, 90, None))
# lower is better: the mirror
LOWER = (Band(G, None, 10), Band(B, 10, 20), Band(Y, 20, 30), Band(OR, 30, 40), Band(R, 40, None))


@pytest.mark.parametrize(
    ("bands", "direction", "code"),
    [
        ((), Direction.higher, "warning_thresholds_empty"),
        ((Band(R, None, 60), Band(G, 50, None)), Direction.higher, "warning_thresholds_overlap"),
        ((Band(R, None, 60), Band(G, 70, None)), Direction.higher, "warning_thresholds_gap"),
        ((Band(R, 0, 60), Band(G, 60, None)), Direction.higher, "warning_thresholds_gap"),
        ((Band(R, None, 60), Band(G, 60, 100)), Direction.higher, "warning_thresholds_gap"),
        ((Band(R, None, None), Band(G, None, None)), Direction.higher,
         "warning_thresholds_overlap"),
        ((Band(R, None, 60), Band(R, 60, None)), Direction.higher, "warning_colour_repeated"),
        ((Band(R, None, 60), Band(OR, 60, 60), Band(G, 60, None)), Direction.higher,
         "warning_band_empty"),
        ((Band(G, None, 60), Band(R, 60, None)), Direction.higher, "warning_thresholds_direction"),
        ((Band(R, None, 60), Band(G, 60, None)), Direction.lower, "warning_thresholds_direction"),
        ((Band(R, None, float("inf")), Band(G, float("inf"), None)), Direction.higher,
         "warning_threshold_not_finite"),
        ((Band(R, None, 60), Band(Y, 60, 70), Band(OR, 70, 80), Band(G, 80, None)),
         Direction.higher, "warning_thresholds_direction"),
    ],
)  # fmt: skip
def test_bad_bands_are_refused_with_a_code_and_chinese(
    bands: tuple[Band, ...], direction: Direction, code: str
) -> None:
    with pytest.raises(RuleRefused) as caught:
        rules.check_bands(bands, direction)
    assert caught.value.code == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


@pytest.mark.parametrize(
    ("bands", "direction"), [(HIGHER, Direction.higher), (LOWER, Direction.lower)]
)
def test_valid_bands_in_any_order_colour_every_value_exactly_once(
    bands: tuple[Band, ...], direction: Direction
) -> None:
    for order in itertools.permutations(bands):
        checked = rules.check_bands(order, direction)
        assert checked == bands  # sorted low to high
    worse = []
    for tenth in range(-200, 1300):
        value = tenth / 10
        holding = [b for b in bands if b.contains(value)]
        assert len(holding) == 1, value
        worse.append(rules.SEVERITY[rules.band_of(bands, value).colour])
    # colours never improve towards the bad side
    ordered = worse if direction is Direction.lower else worse[::-1]
    assert ordered == sorted(ordered)


@pytest.mark.parametrize(
    ("value", "colour"),
    [(-5, R), (59.99, R), (60, OR), (69.9, OR), (70, Y), (80, B), (89.999, B), (90, G), (1e9, G)],
)
def test_thresholds_are_inclusive_below_and_exclusive_above(value: float, colour: Colour) -> None:
    assert rules.band_of(HIGHER, value).colour is colour


@pytest.mark.parametrize(
    ("previous", "value", "expected"),
    [
        (G, 89.5, G),  # just below 90: held green within the band of 1
        (G, 89.0, G),
        (G, 88.99, B),  # passed the threshold by more than the band
        (B, 90.5, B),  # just above: held blue
        (B, 91.0, G),
        (B, 79.5, B),
        (B, 78.9, Y),
        (None, 89.5, B),  # no state: the raw colour
        (R, 75, Y),  # far away: the raw colour
        (G, 30, R),
    ],
)
def test_hysteresis_holds_a_value_near_the_threshold(
    previous: Colour | None, value: float, expected: Colour
) -> None:
    assert rules.with_hysteresis(HIGHER, value, previous, 1.0).colour is expected


def test_a_wobbling_value_does_not_flap_but_a_clear_move_does() -> None:
    rule = rules.check_rule(Rule(HIGHER, hysteresis=1.0, missing_colour=None), Direction.higher)
    state: Previous | None = None
    colours = []
    for value in (91, 89.6, 90.3, 89.2, 90.1, 88.5, 89.5, 90.5, 91.2):
        verdict = rules.evaluate(rule, Direction.higher, Observation(value), state)
        assert verdict is not None
        colours.append(verdict.colour)
        state = Previous(verdict.band_colour, verdict.consecutive_red, verdict.streak_escalated)
    assert colours == [G, G, G, G, G, B, B, B, G]
    raw = [rules.band_of(HIGHER, v).colour for v in (91, 89.6, 90.3, 89.2, 90.1)]
    assert raw == [G, B, G, B, G]  # what would have flapped without the band


@pytest.mark.parametrize(
    ("hysteresis", "code"),
    [(-1, "warning_hysteresis_bad"), (5, "warning_hysteresis_bad"), (float("nan"), None)],
)
def test_hysteresis_must_be_narrower_than_half_a_band(hysteresis: float, code: str | None) -> None:
    with pytest.raises(RuleRefused) as caught:
        rules.check_rule(Rule(HIGHER, hysteresis=hysteresis), Direction.higher)
    assert caught.value.code == (code or "warning_threshold_not_finite")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("escalate_after", 0, "warning_escalate_after_bad"),
        ("escalate_after", 37, "warning_escalate_after_bad"),
        ("change", ChangeRule(0, R), "warning_change_bad"),
        ("rank", RankRule(0, R), "warning_rank_bad"),
        ("late_after_days", -1, "warning_late_after_bad"),
    ],
)
def test_other_rule_fields_are_checked(field: str, value: object, code: str) -> None:
    fields = {"bands": HIGHER, field: value}
    with pytest.raises(RuleRefused) as caught:
        rules.check_rule(Rule(**fields), Direction.higher)  # type: ignore[arg-type]
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("direction", "value", "previous", "colour"),
    [
        (Direction.higher, 95, 100, G),  # fell 5 %: below the 10 % limit
        (Direction.higher, 90, 100, OR),  # fell 10 %: orange although green by value
        (Direction.higher, 120, 100, G),  # rose: better
        (Direction.lower, 5, 4, OR),  # lower is better: a 25 % rise is worse
        (Direction.lower, 4, 5, G),
        (Direction.higher, 95, 0, G),  # no base to compare with
        (Direction.higher, 95, None, G),
    ],
)
def test_period_over_period_change_respects_direction(
    direction: Direction, value: float, previous: float | None, colour: Colour
) -> None:
    bands = HIGHER if direction is Direction.higher else LOWER
    rule = Rule(bands, change=ChangeRule(10, OR))
    verdict = rules.evaluate(rule, direction, Observation(value, previous_value=previous), None)
    assert verdict is not None
    assert verdict.colour is colour


@pytest.mark.parametrize(
    ("direction", "value", "siblings", "rank_colour"),
    [
        (Direction.higher, 91, [91, 95, 99, 100], Y),  # the worst of four
        (Direction.higher, 95, [91, 95, 99, 100], Y),  # second worst, bottom 2
        (Direction.higher, 99, [91, 95, 99, 100], G),
        (Direction.higher, 91, [91, 95], G),  # too few siblings to rank the bottom 2
        (Direction.lower, 9, [1, 2, 3, 9], Y),
        (Direction.lower, 1, [1, 2, 3, 9], G),
    ],
)
def test_rank_among_siblings(
    direction: Direction, value: float, siblings: list[float], rank_colour: Colour
) -> None:
    bands = HIGHER if direction is Direction.higher else LOWER
    rank = rules.rank_from_worst(value, siblings, direction)
    seen = Observation(value, rank=rank, siblings=len(siblings))
    verdict = rules.evaluate(Rule(bands, rank=RankRule(2, Y)), direction, seen, None)
    assert verdict is not None
    assert verdict.colour is rank_colour


def test_the_worst_colour_wins_and_names_every_reason() -> None:
    rule = Rule(HIGHER, change=ChangeRule(10, OR), rank=RankRule(1, Y))
    seen = Observation(75, previous_value=100, rank=1, siblings=3)
    verdict = rules.evaluate(rule, Direction.higher, seen, None)
    assert verdict is not None
    assert verdict.colour is OR
    assert len(verdict.reasons) == 3
    assert any("环比下降 25.0%" in r for r in verdict.reasons)


@pytest.mark.parametrize(
    ("today", "state"),
    [(date(2024, 4, 15), DataState.missing), (date(2024, 4, 16), DataState.late)],
)
def test_missing_and_late_data(today: date, state: DataState) -> None:
    due = rules.due_on("2024-03", Granularity.month, 15)
    assert due == date(2024, 4, 15)
    assert rules.data_state(False, due, today) is state
    assert rules.data_state(True, due, today) is DataState.present
    verdict = rules.evaluate(Rule(HIGHER), Direction.higher, Observation(None, state=state), None)
    assert verdict is not None
    assert verdict.colour is (OR if state is DataState.late else Y)
    held = rules.evaluate(Rule(HIGHER), Direction.higher, Observation(None, state=state),
                          Previous(B, 0))  # fmt: skip
    assert held is not None
    assert held.band_colour is B  # the hysteresis state survives a gap
    silent = Rule(HIGHER, missing_colour=None, late_colour=None)
    assert rules.evaluate(silent, Direction.higher, Observation(None, state=state), None) is None


@pytest.mark.parametrize(
    ("today", "over"),
    [(date(2024, 3, 31), False), (date(2024, 4, 1), True), (date(2024, 1, 1), False)],
)
def test_a_running_period_is_not_over(today: date, over: bool) -> None:
    assert rules.period_over("2024-03", Granularity.month, today) is over


def test_a_red_streak_escalates_exactly_once() -> None:
    rule = Rule(HIGHER, escalate_after=3)
    state: Previous | None = None
    escalations, streaks = [], []
    for value in (50, 50, 50, 50, 50, 95, 50, 50, 50, 50):
        verdict = rules.evaluate(rule, Direction.higher, Observation(value), state)
        assert verdict is not None
        escalations.append(verdict.escalate)
        streaks.append(verdict.consecutive_red)
        state = Previous(verdict.band_colour, verdict.consecutive_red, verdict.streak_escalated)
    assert streaks == [1, 2, 3, 4, 5, 0, 1, 2, 3, 4]
    # once at the third red, again only after the streak broke and reached three anew
    assert escalations == [False, False, True, False, False, False, False, False, True, False]


@pytest.mark.parametrize("after", range(1, 6))
def test_escalation_after_n_for_every_n(after: int) -> None:
    rule = Rule(HIGHER, escalate_after=after)
    state: Previous | None = None
    fired = []
    for _ in range(8):
        verdict = rules.evaluate(rule, Direction.higher, Observation(10), state)
        assert verdict is not None
        fired.append(verdict.escalate)
        state = Previous(verdict.band_colour, verdict.consecutive_red, verdict.streak_escalated)
    assert fired.count(True) == 1
    assert fired.index(True) == after - 1
