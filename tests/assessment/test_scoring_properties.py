"""Properties of the 考核评价 arithmetic over generated schemes and values (hypothesis)."""

from __future__ import annotations

import itertools
import math
import random
import statistics

from hypothesis import assume, given, settings
from hypothesis import strategies as st

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
    check_bands,
)
from citybrain.assessment.scoring import (
    Values,
    band_points,
    competition_ranks,
    deduction_points,
    linear_points,
    normalise,
    score_scheme,
)
from citybrain.indicators.rules import Direction

# no deadline: speed belongs to bench/, not to a test that could fail on a busy machine
checks = settings(max_examples=150, deadline=None, derandomize=True)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
points = st.floats(min_value=0, max_value=100, allow_nan=False)
directions = st.sampled_from(Direction)
keyed_values = st.dictionaries(st.sampled_from("abcdefgh"), finite, max_size=8)


@st.composite
def band_rules(draw: st.DrawFn) -> BandRule:
    cuts = sorted(draw(st.sets(finite, max_size=5)))
    edges: list[float | None] = [None, *cuts, None]
    bands = [PointsBand(draw(points), low, high) for low, high in itertools.pairwise(edges)]
    return BandRule(tuple(draw(st.permutations(bands))))


@st.composite
def linear_rules(draw: st.DrawFn, direction: Direction) -> LinearRule:
    a, b = draw(st.tuples(finite, finite).filter(lambda p: p[0] != p[1]))
    low, high = min(a, b), max(a, b)
    return LinearRule(low, high) if direction is Direction.higher else LinearRule(high, low)


rank_rules = st.lists(points, min_size=1, max_size=6).map(
    lambda ps: RankRule(tuple(sorted(ps, reverse=True)[:-1]) or (max(ps),), min(ps))
)
deduction_rules = st.builds(
    DeductionRule,
    st.floats(min_value=0.01, max_value=50),
    st.none() | st.floats(min_value=0.01, max_value=100),
)


@st.composite
def schemes_and_values(draw: st.DrawFn) -> tuple[Scheme, Values]:
    n_objects = draw(st.integers(1, 6))
    objects = tuple(
        AssessedObject(f"o{i}", f"对象{i}", ObjectKind.township) for i in range(n_objects)
    )
    n_items = draw(st.integers(1, 4))
    # integer weights that add up to 100 exactly
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n_items - 1, max_size=n_items - 1)))
    weights = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    items, values = [], {}
    for index, weight in enumerate(weights):
        direction = draw(directions)
        kind = draw(st.sampled_from(["band", "linear", "rank", "deduction"]))
        normalisation = Normalisation.none
        rule: Rule
        if kind == "deduction":
            rule = draw(deduction_rules)
            value_strategy = st.integers(0, 40).map(float)
        else:
            normalisation = draw(st.sampled_from(Normalisation))
            seen = direction if normalisation is Normalisation.none else Direction.higher
            strategies: dict[str, st.SearchStrategy[Rule]] = {
                "band": band_rules(),
                "linear": linear_rules(seen),
                "rank": rank_rules,
            }
            rule = draw(strategies[kind])
            value_strategy = finite
        key = f"i{index}"
        items.append(
            Item(
                key,
                key,
                draw(st.sampled_from(IndicatorKind)),
                weight,
                rule,
                direction,
                normalisation,
            )
        )
        present = draw(st.sets(st.sampled_from([o.key for o in objects])))
        values[key] = {k: draw(value_strategy) for k in sorted(present)}
    return Scheme("方案", objects, tuple(items)), values


@checks
@given(schemes_and_values())
def test_totals_are_weighted_sums_within_0_and_100(case: tuple[Scheme, Values]) -> None:
    scheme, values = case
    result = score_scheme(scheme, values)
    assert sorted(r.object for r in result.results) == sorted(o.key for o in scheme.objects)
    weights = {i.key: i.weight for i in scheme.items}
    for r in result.results:
        assert -1e-9 <= r.total <= 100 + 1e-9
        for s in r.items:
            assert 0 <= s.score <= 100
            assert s.weighted == s.score * weights[s.item] / 100
            assert s.missing == (s.object not in values[s.item])
            if s.missing:
                assert (s.score, s.raw, s.value) == (0, None, None)
        assert math.isclose(r.total, math.fsum(s.weighted for s in r.items), abs_tol=1e-12)
        assert math.isclose(math.fsum(r.by_kind.values()), r.total, abs_tol=1e-9)
        assert r.missing_items == tuple(s.item for s in r.items if s.missing)


@checks
@given(schemes_and_values())
def test_ranks_are_competition_ranks_of_the_totals(case: tuple[Scheme, Values]) -> None:
    result = score_scheme(*case)
    totals = [round(r.total, 9) for r in result.results]
    assert totals == sorted(totals, reverse=True)  # best first
    for r in result.results:
        better = sum(1 for t in totals if t > round(r.total, 9))
        assert r.rank == better + 1


@checks
@given(schemes_and_values(), st.randoms(use_true_random=False))
def test_the_order_of_objects_does_not_change_a_score(
    case: tuple[Scheme, Values], rnd: random.Random
) -> None:
    scheme, values = case
    objects = list(scheme.objects)
    rnd.shuffle(objects)
    shuffled = score_scheme(Scheme(scheme.name, tuple(objects), scheme.items), values)
    original = score_scheme(scheme, values)
    for r in original.results:
        other = shuffled.of(r.object)
        assert (other.rank, other.items) == (r.rank, r.items)
        assert math.isclose(other.total, r.total, abs_tol=1e-12)


@checks
@given(band_rules(), finite)
def test_exactly_one_band_holds_each_value(rule: BandRule, value: float) -> None:
    bands = check_bands(rule.bands)
    holding = [b for b in bands if b.contains(value)]
    assert len(holding) == 1
    assert band_points(bands, value) == holding[0].points


@checks
@given(directions, st.data())
def test_linear_is_monotone_and_clamped(direction: Direction, data: st.DataObject) -> None:
    rule = data.draw(linear_rules(direction))
    a, b = sorted(data.draw(st.tuples(finite, finite)))
    pa, pb = linear_points(rule, a), linear_points(rule, b)
    assert 0 <= pa <= 100
    assert 0 <= pb <= 100
    assert (pa <= pb) if direction is Direction.higher else (pa >= pb)
    assert linear_points(rule, rule.target) == 100
    assert linear_points(rule, rule.floor) == 0


@checks
@given(deduction_rules, st.integers(0, 1000))
def test_deduction_never_increases_and_respects_floor_and_cap(rule: DeductionRule, n: int) -> None:
    now, then = deduction_points(rule, n), deduction_points(rule, n + 1)
    assert 0 <= then <= now <= 100
    if rule.cap is not None:
        assert now >= 100 - rule.cap


@checks
@given(keyed_values, directions)
def test_competition_ranks_share_the_better_rank(
    values: dict[str, float], direction: Direction
) -> None:
    ranks = competition_ranks(values, direction)
    for key, value in values.items():
        better = sum(
            1
            for v in values.values()
            if (v > value if direction is Direction.higher else v < value)
        )
        assert ranks[key] == better + 1


@checks
@given(keyed_values, directions)
def test_min_max_keeps_the_order_and_spans_0_to_100(
    values: dict[str, float], direction: Direction
) -> None:
    scaled = normalise(values, Normalisation.min_max, direction)
    assert scaled.keys() == values.keys()
    assert all(0 <= v <= 100 for v in scaled.values())
    if len(set(values.values())) > 1:
        assert min(scaled.values()) == 0
        assert max(scaled.values()) == 100
    elif values:
        assert set(scaled.values()) == {100}
    _keeps_the_order(values, scaled, direction)


@checks
@given(keyed_values, directions)
def test_z_scores_have_mean_0_and_spread_1(values: dict[str, float], direction: Direction) -> None:
    z = normalise(values, Normalisation.z_score, direction)
    if len(set(values.values())) < 2:
        assert set(z.values()) <= {0}
        return
    # a spread far below the values' own rounding makes (x - mean) mostly noise
    assume(statistics.pstdev(values.values()) > 1e-6 * max(abs(v) for v in values.values()))
    assert math.isclose(statistics.fmean(z.values()), 0, abs_tol=1e-9)
    assert math.isclose(statistics.pstdev(z.values()), 1, rel_tol=1e-9)
    _keeps_the_order(values, z, direction)


def _keeps_the_order(
    values: dict[str, float], scaled: dict[str, float], direction: Direction
) -> None:
    """Better raw values stay at least as good once scaled (rounding may merge near neighbours,
    never swap them)."""
    for a, va in values.items():
        for b, vb in values.items():
            if (va < vb) if direction is Direction.higher else (va > vb):
                assert scaled[a] <= scaled[b]
