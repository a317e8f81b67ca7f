"""Pure rules of indicator values: the vocabularies, turning an engine's rows into values, and
rolling values up to parent regions. No session, no I/O.

Roll-up is declared per indicator and must fit its kind:

- ``sum``: a count or amount; a parent's value is the sum of its children's;
- ``ratio``: a rate; the SQL answers ``numerator`` and ``denominator`` and a parent's value is
  Σnumerator / Σdenominator × ``ratio_scale`` — never the average of the children's rates;
- ``max`` / ``min``: the largest or smallest child value;
- ``none``: not rolled up (a median, an index): only the regions the SQL answers have values.

A ratio without ``numerator``/``denominator`` columns, or those columns on another roll-up,
is refused (``rollup_mismatch``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from citybrain.core.errors import BadInput
from citybrain.indicators.periods import Granularity, PeriodError, label_of
from citybrain.regions.scope import LENGTH_BY_LEVEL, Level, try_normalise


class Kind(StrEnum):
    base = "base"
    derived = "derived"


class EngineKind(StrEnum):
    hub = "hub"  # the hub (DuckDB by default)
    datasource = "datasource"  # a source registered in 数据源管理


class Rollup(StrEnum):
    sum = "sum"
    ratio = "ratio"
    max = "max"
    min = "min"
    none = "none"


class Direction(StrEnum):
    higher = "higher"  # higher is better
    lower = "lower"  # type: ignore[assignment]  # the member shadows str.lower, on purpose


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    ok = "ok"
    failed = "failed"
    timeout = "timeout"
    skipped = "skipped"  # an indicator it reads failed in the same batch


ROLLUP_NAMES_ZH: Final = {
    Rollup.sum: "求和",
    Rollup.ratio: "分子分母分别求和后相除",
    Rollup.max: "取最大",
    Rollup.min: "取最小",
    Rollup.none: "不汇总",
}
RUN_STATUS_NAMES_ZH: Final = {
    RunStatus.queued: "排队中",
    RunStatus.running: "运行中",
    RunStatus.ok: "成功",
    RunStatus.failed: "失败",
    RunStatus.timeout: "超时",
    RunStatus.skipped: "跳过",
}


class RunRefused(BadInput):
    """What an engine answered cannot be published (bad rows); nothing is written."""


@dataclass(frozen=True, slots=True)
class Value:
    region_code: str
    period: str
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


def check_rollup(rollup: Rollup, *, has_ratio: bool) -> None:
    """Refuse a roll-up that does not fit the SQL's columns (``rollup_mismatch``)."""
    if rollup is Rollup.ratio and not has_ratio:
        raise BadInput(
            "比率指标须输出 numerator 与 denominator, 以便上级区域按分子分母汇总",
            code="rollup_mismatch",
        )
    if has_ratio and rollup is not Rollup.ratio:
        raise BadInput(
            "输出了 numerator 与 denominator 的指标是比率, 汇总方式须为 ratio (不能把比率相加)",
            code="rollup_mismatch",
        )


def _number(value: Any, column: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise RunRefused(f"{column} 列不是数值: {value!r:.40}", code="wrong_output_type") from exc
    if math.isinf(number) or math.isnan(number):
        raise RunRefused(f"{column} 列出现除以零 (无穷大或非数)", code="division_by_zero")
    return number


def to_values(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    granularity: Granularity,
    region_level: Level,
    root_region: str,
) -> list[Value]:
    """The engine's rows as values, or RunRefused: ``bad_output_region`` (not a region code),
    ``wrong_region_level`` (a row of another level than declared), ``region_out_of_scope``
    (outside the indicator's region), ``bad_output_period``, ``wrong_output_type``,
    ``division_by_zero`` (an infinite or NaN number), ``duplicate_output_row``."""
    index = {name: i for i, name in enumerate(columns)}
    has_ratio = "numerator" in index
    length = LENGTH_BY_LEVEL[region_level]
    codes: dict[str, str] = {}
    labels: dict[Any, str] = {}  # a few periods repeat over many rows: label each once
    seen: set[tuple[str, str]] = set()
    values: list[Value] = []
    for row in rows:
        raw = row[index["region_code"]]
        text = "" if raw is None else str(raw)
        code = codes.get(text)
        if code is None:
            normal = try_normalise(text)
            if normal is None:
                raise RunRefused(
                    f"region_code 不是区划代码: {text!s:.20}",
                    code="bad_output_region",
                    detail=text[:20],
                )
            if len(normal) != length:
                raise RunRefused(
                    f"区划 {normal} 不是声明的区划层级 ({region_level.value})",
                    code="wrong_region_level",
                    detail=normal,
                )
            if not normal.startswith(root_region):
                raise RunRefused(
                    f"区划 {normal} 不在指标所属区划 {root_region} 内",
                    code="region_out_of_scope",
                    detail=normal,
                )
            code = codes[text] = normal
        raw_period = row[index["period"]]
        period = labels.get(raw_period)
        if period is None:
            try:
                period = labels[raw_period] = label_of(raw_period, granularity)
            except PeriodError as exc:
                raise RunRefused(str(exc), code="bad_output_period") from exc
        if (code, period) in seen:
            raise RunRefused(
                f"同一区划同一期间出现多行: {code} {period} (请按区划与期间分组)",
                code="duplicate_output_row",
                detail={"region_code": code, "period": period},
            )
        seen.add((code, period))
        values.append(
            Value(
                code,
                period,
                _number(row[index["value"]], "value"),
                _number(row[index["numerator"]], "numerator") if has_ratio else None,
                _number(row[index["denominator"]], "denominator") if has_ratio else None,
            )
        )
    return values


def roll_up(
    values: Sequence[Value], *, rollup: Rollup, root_region: str, ratio_scale: float = 1.0
) -> list[Value]:
    """``values`` plus the values of every ancestor region down from ``root_region``
    (inclusive), level by level. ``none`` adds nothing."""
    if rollup is Rollup.none or not values:
        return list(values)
    result = list(values)
    level_rows = list(values)
    bounds = sorted(LENGTH_BY_LEVEL.values())
    while level_rows:
        length = len(level_rows[0].region_code)
        if length <= len(root_region):
            break
        parent_length = max(b for b in bounds if b < length)
        groups: dict[tuple[str, str], list[Value]] = defaultdict(list)
        for value in level_rows:
            groups[(value.region_code[:parent_length], value.period)].append(value)
        level_rows = [
            _combine(code, period, children, rollup, ratio_scale)
            for (code, period), children in sorted(groups.items())
        ]
        result.extend(level_rows)
    return result


def _combine(
    code: str, period: str, children: Sequence[Value], rollup: Rollup, scale: float
) -> Value:
    present = [c.value for c in children if c.value is not None]
    if rollup is Rollup.sum:
        return Value(code, period, math.fsum(present) if present else None)
    if rollup is Rollup.max:
        return Value(code, period, max(present) if present else None)
    if rollup is Rollup.min:
        return Value(code, period, min(present) if present else None)
    numerator = math.fsum(c.numerator for c in children if c.numerator is not None)
    denominator = math.fsum(c.denominator for c in children if c.denominator is not None)
    value = numerator / denominator * scale if denominator else None
    return Value(code, period, value, numerator, denominator)


def by_key(values: Iterable[Value]) -> Mapping[tuple[str, str], Value]:
    return {(v.region_code, v.period): v for v in values}
