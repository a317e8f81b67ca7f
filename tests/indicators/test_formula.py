"""Derived formulas: parsed into a tree, evaluated by a walk (never eval), ordered by
dependencies with cycles refused."""

from __future__ import annotations

import pytest

from citybrain.indicators import formula
from citybrain.indicators.formula import DivisionByZero, FormulaRefused


def test_a_formula_names_its_inputs_and_computes() -> None:
    f = formula.parse_formula("a / b * 100")
    assert f.inputs == ("a", "b")
    assert f.evaluate({"a": 1, "b": 4}) == 25.0
    assert f.evaluate({"a": 1, "b": None}) is None


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("-(a - b) + 2 * c", {"a": 1, "b": 3, "c": 0.5}, 3.0),
        ("abs(a - b)", {"a": 1, "b": 3}, 2.0),
        ("round(a / b, 2)", {"a": 1, "b": 3}, 0.33),
        ("round(a, 0)", {"a": 2.5}, 3.0),
        ("round(a, 0)", {"a": -2.5}, -3.0),
        ("coalesce(a, b)", {"a": None, "b": 7}, 7.0),
        ("a / nullif(b, 0)", {"a": 1, "b": 0}, None),
        ("greatest(a, b)", {"a": 1, "b": 3}, 3.0),
        ("least(a, b, 2)", {"a": 1, "b": 3}, 1.0),
    ],
)
def test_the_allowed_elements_compute(
    text: str, values: dict[str, float | None], expected: float | None
) -> None:
    assert formula.parse_formula(text).evaluate(values) == expected


def test_a_division_by_zero_is_an_error() -> None:
    with pytest.raises(DivisionByZero):
        formula.parse_formula("a / b").evaluate({"a": 1, "b": 0})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "formula_empty"),
        ("a +* (", "formula_parse_error"),
        ("__import__('os')", "formula_not_allowed"),
        ("t.a + 1", "formula_not_allowed"),
        ("a || 'x'", "formula_not_allowed"),
        ("upper(a)", "formula_not_allowed"),
        ("(SELECT 1)", "formula_not_allowed"),
        ("A + 1", "formula_not_allowed"),
        ("1 + 2", "formula_no_inputs"),
    ],
)
def test_bad_formulas_are_refused(text: str, code: str) -> None:
    with pytest.raises(FormulaRefused) as caught:
        formula.parse_formula(text)
    assert caught.value.code == code


def test_order_puts_inputs_first_and_refuses_a_cycle() -> None:
    order = formula.order({"c": ["b"], "b": ["a"], "a": [], "x": ["outside"]})
    assert order.index("a") < order.index("b") < order.index("c")
    with pytest.raises(FormulaRefused) as caught:
        formula.order({"a": ["b"], "b": ["c"], "c": ["a"]})
    assert caught.value.code == "derived_cycle"
    assert set(caught.value.detail["cycle"]) == {"a", "b", "c"}
