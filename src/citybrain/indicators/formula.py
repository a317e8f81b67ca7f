"""Derived indicators: a formula over other indicators' codes, such as ``a / b * 100``, and the
order in which indicators are computed. Pure: no session, no I/O.

A formula is parsed by sqlglot into an expression tree and evaluated by a small walk over
that tree; nothing is ever handed to ``eval``. Allowed: numbers, indicator codes, ``+ - * /``,
unary minus, parentheses and the functions ``abs``, ``round``, ``coalesce``, ``nullif``,
``greatest``, ``least``. A division by zero is an error (``division_by_zero``), unless the
formula says what it wants instead (``a / nullif(b, 0)`` gives no value there).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from citybrain.core.errors import BadInput

CODE_PATTERN: Final = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_FORMULA_LENGTH: Final = 2000
FORMULA_FUNCTIONS: Final = ("abs", "coalesce", "greatest", "least", "nullif", "round")


class FormulaRefused(BadInput):
    """A formula or a dependency graph that cannot be computed."""


class DivisionByZero(ArithmeticError):
    """Raised while evaluating; the run turns it into ``division_by_zero``."""


@dataclass(frozen=True, slots=True)
class Formula:
    text: str
    tree: exp.Expr
    inputs: tuple[str, ...]  # indicator codes, sorted

    def evaluate(self, values: Mapping[str, float | None]) -> float | None:
        """The value for one region and period; a missing input gives None. Raises
        :class:`DivisionByZero`."""
        return _eval(self.tree, values)


def parse_formula(text: str) -> Formula:
    """Parse a formula; raises FormulaRefused ``formula_empty``, ``formula_parse_error``,
    ``formula_not_allowed`` (an element outside the list above), ``formula_no_inputs``."""
    source = text.strip()
    if not source:
        raise FormulaRefused("公式不能为空", code="formula_empty")
    if len(source) > MAX_FORMULA_LENGTH:
        raise FormulaRefused(f"公式超过 {MAX_FORMULA_LENGTH} 个字符", code="formula_parse_error")
    try:
        tree = sqlglot.parse_one(source, read="duckdb")
    except (ParseError, ValueError) as exc:
        raise FormulaRefused(f"公式无法解析: {str(exc)[:200]}", code="formula_parse_error") from exc
    inputs: set[str] = set()
    for node in tree.walk():
        if isinstance(node, exp.Column):
            if node.table or not CODE_PATTERN.match(node.name):
                raise FormulaRefused(
                    f"公式中的 {node.sql()[:40]} 不是指标代码 (小写字母开头, 字母数字下划线)",
                    code="formula_not_allowed",
                    detail=node.sql()[:40],
                )
            inputs.add(node.name)
        elif not isinstance(node, _ALLOWED_NODES):
            shown = node.name if isinstance(node, exp.Anonymous) else node.sql()[:40]
            raise FormulaRefused(
                f"公式中不允许 {shown} (只允许四则运算、括号与函数 {', '.join(FORMULA_FUNCTIONS)})",
                code="formula_not_allowed",
                detail=shown,
            )
        elif isinstance(node, exp.Literal) and node.is_string:
            raise FormulaRefused("公式中不允许文本", code="formula_not_allowed", detail=node.sql())
    if not inputs:
        raise FormulaRefused("公式须引用至少一个指标", code="formula_no_inputs")
    return Formula(source, tree, tuple(sorted(inputs)))


_ALLOWED_NODES: Final = (
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Paren,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Abs,
    exp.Round,
    exp.Coalesce,
    exp.Nullif,
    exp.Greatest,
    exp.Least,
)


def _binary(
    op: Callable[[float, float], float],
) -> Callable[[float | None, float | None], float | None]:
    def apply(left: float | None, right: float | None) -> float | None:
        return None if left is None or right is None else op(left, right)

    return apply


def _divide(left: float, right: float) -> float:
    if right == 0:
        raise DivisionByZero
    return left / right


_BINARY: Final = {
    exp.Add: _binary(lambda a, b: a + b),
    exp.Sub: _binary(lambda a, b: a - b),
    exp.Mul: _binary(lambda a, b: a * b),
    exp.Div: _binary(_divide),
}


def _eval(node: exp.Expr, values: Mapping[str, float | None]) -> float | None:
    if isinstance(node, exp.Column):
        value = values.get(node.name)
        return None if value is None else float(value)
    if isinstance(node, exp.Literal):
        return float(node.this)
    if isinstance(node, exp.Paren):
        return _eval(node.this, values)
    if isinstance(node, exp.Neg):
        inner = _eval(node.this, values)
        return None if inner is None else -inner
    for kind, apply in _BINARY.items():
        if isinstance(node, kind):
            return apply(_eval(node.this, values), _eval(node.expression, values))
    args = [_eval(a, values) for a in _arguments(node)]
    if isinstance(node, exp.Abs):
        return None if args[0] is None else abs(args[0])
    if isinstance(node, exp.Round):
        places = int(args[1]) if len(args) > 1 and args[1] is not None else 0
        return None if args[0] is None else _round_half_away(args[0], places)
    if isinstance(node, exp.Coalesce):
        return next((a for a in args if a is not None), None)
    if isinstance(node, exp.Nullif):
        return None if args[0] == args[1] else args[0]
    present = [a for a in args if a is not None]
    if isinstance(node, exp.Greatest):
        return max(present) if present else None
    if isinstance(node, exp.Least):
        return min(present) if present else None
    raise FormulaRefused("公式含不支持的元素", code="formula_not_allowed")  # parse refuses first


def _arguments(node: exp.Expr) -> list[exp.Expr]:
    found = [node.this] if isinstance(node.this, exp.Expr) else []
    for key in ("expression", "decimals"):
        value = node.args.get(key)
        if isinstance(value, exp.Expr):
            found.append(value)
    found.extend(node.expressions)
    return found


def _round_half_away(value: float, places: int) -> float:
    """Round half away from zero, as statistical tables do (Python's round is to even)."""
    factor = 10.0**places
    return math.copysign(math.floor(abs(value) * factor + 0.5) / factor, value)


def order(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Codes in an order where every indicator comes after the ones it reads. ``graph`` maps a
    code to its inputs (inputs not in the graph are taken as already computed). Raises
    FormulaRefused ``derived_cycle`` naming the cycle."""
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for code, inputs in graph.items():
        sorter.add(code, *[i for i in inputs if i in graph])
    try:
        return list(sorter.static_order())
    except CycleError as exc:
        cycle = list(exc.args[1]) if len(exc.args) > 1 else []
        raise FormulaRefused(
            f"派生指标存在循环引用: {' → '.join(cycle)}",
            code="derived_cycle",
            detail={"cycle": cycle},
        ) from exc
