"""Running many base indicators in one scan: indicators whose SQL is a plain ``SELECT … FROM
t [WHERE …] GROUP BY …`` over the same table, filter, grouping and ``region_code`` / ``period``
expressions are fused into one query whose select list holds each one's ``value``,
``numerator`` and ``denominator`` side by side; the engine reads the table once, and the rows
are split back per indicator (``to_values`` and ``roll_up`` as :func:`compute.compute` does).

The fused statement is built only from parts of statements that each passed ``sqlcheck`` (the
same FROM, WHERE and GROUP BY, and their own output expressions), so it reads nothing a part
did not. Anything else (joins, CTEs, HAVING, DISTINCT, a different grouping) runs alone through
:func:`compute.compute`. Same values as running each indicator alone: the grouping is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlglot import exp

from citybrain.indicators import compute, sqlcheck
from citybrain.indicators.compute import Outcome, Prepared
from citybrain.indicators.engines import IndicatorEngine
from citybrain.indicators.rules import roll_up, to_values

_REFUSED_ARGS = ("with", "with_", "joins", "distinct", "having", "order", "limit", "offset",
                 "qualify", "laterals", "windows")  # fmt: skip
OUTPUTS = ("value", "numerator", "denominator")


@dataclass(frozen=True, slots=True)
class _Shape:
    key: tuple[str, ...]  # FROM, WHERE, GROUP BY, region and period expressions, bounds
    select: exp.Select
    outputs: dict[str, exp.Expression]  # value / numerator / denominator expressions


def _shape(prepared: Prepared, bounds: object) -> _Shape | None:
    checked = prepared.checked
    if checked is None or prepared.definition.kind.value != "base":
        return None
    select = checked.expression
    if not isinstance(select, exp.Select) or any(select.args.get(a) for a in _REFUSED_ARGS):
        return None
    source = select.args.get("from_") or select.args.get("from")
    group = select.args.get("group")
    if source is None or group is None:
        return None
    named: dict[str, exp.Expression] = {}
    for projection in select.expressions:
        if not isinstance(projection, exp.Alias):
            return None
        named[projection.alias.lower()] = projection.this
    if "region_code" not in named or "period" not in named:
        return None
    where = select.args.get("where")
    key = (
        source.sql(), where.sql() if where is not None else "", group.sql(),
        named["region_code"].sql(), named["period"].sql(), repr(bounds),
    )  # fmt: skip
    outputs = {name: named[name] for name in OUTPUTS if name in named}
    return _Shape(key, select, outputs)


def _fused_select(shapes: Sequence[_Shape]) -> tuple[exp.Select, list[dict[str, str]]]:
    """One SELECT for shapes of equal key; per shape, output name → fused column alias."""
    first = shapes[0].select
    named = {p.alias.lower(): p.this for p in first.expressions if isinstance(p, exp.Alias)}
    columns: list[exp.Expr] = [
        exp.alias_(named["region_code"].copy(), "region_code"),
        exp.alias_(named["period"].copy(), "period"),
    ]
    aliases: list[dict[str, str]] = []
    for index, shape in enumerate(shapes):
        mine = {}
        for name, expression in shape.outputs.items():
            alias = f"{name}_{index}"
            columns.append(exp.alias_(expression.copy(), alias))
            mine[name] = alias
        aliases.append(mine)
    fused = exp.Select(expressions=columns)
    for arg in ("from_", "from", "where", "group"):
        part = first.args.get(arg)
        if part is not None:
            fused.set(arg, part.copy())
    return fused, aliases


def compute_fused(
    prepared: Sequence[Prepared],
    *,
    engine: IndicatorEngine,
    first: str | None,
    last: str | None,
    timeout_seconds: float,
    fused_only: bool = False,
) -> dict[str, Outcome]:
    """Outcomes of the base indicators ``prepared`` (code → outcome), all run on ``engine``:
    those of one shape in one query, the others alone (left out when ``fused_only``). Raises
    what ``compute`` raises."""
    groups: dict[tuple[str, ...], list[tuple[Prepared, _Shape]]] = {}
    alone: list[Prepared] = []
    for item in prepared:
        bounds = compute.period_bounds(item.definition, first, last) if first and last else None
        shape = _shape(item, bounds)
        if shape is None:
            alone.append(item)
        else:
            groups.setdefault(shape.key, []).append((item, shape))
    outcomes: dict[str, Outcome] = {}
    for members in groups.values():
        if len(members) == 1:
            alone.append(members[0][0])
            continue
        outcomes.update(_run_group(members, engine, first, last, timeout_seconds))
    for item in [] if fused_only else alone:
        single = Prepared(item.definition, checked=item.checked, resources=item.resources,
                          engine=engine)  # fmt: skip
        outcomes[item.definition.code] = compute.compute(
            None,  # type: ignore[arg-type]  # a base indicator needs no session
            single, first=first, last=last, timeout_seconds=timeout_seconds,
        )  # fmt: skip
    return outcomes


def _run_group(
    members: Sequence[tuple[Prepared, _Shape]],
    engine: IndicatorEngine,
    first: str | None,
    last: str | None,
    timeout_seconds: float,
) -> dict[str, Outcome]:
    fused, aliases = _fused_select([shape for _, shape in members])
    definition = members[0][0].definition
    bounds = compute.period_bounds(definition, first, last) if first and last else None
    query: exp.Query = fused
    if bounds is not None:
        query = sqlcheck.restricted(fused, lower=bounds[0], upper=bounds[1])
    sql = sqlcheck.to_dialect(query, engine.dialect)
    result = engine.execute(sql, timeout_seconds=timeout_seconds)
    index = {name: i for i, name in enumerate(result.columns)}
    outcomes: dict[str, Outcome] = {}
    for (item, shape), mine in zip(members, aliases, strict=True):
        wanted = [index["region_code"], index["period"], *(index[mine[n]] for n in shape.outputs)]
        columns = ("region_code", "period", *shape.outputs)
        rows = [tuple(row[i] for i in wanted) for row in result.rows]
        spec = item.definition
        base = to_values(columns, rows, granularity=spec.granularity,
                         region_level=spec.region_level, root_region=spec.region_code)  # fmt: skip
        if first and last:
            base = [v for v in base if first <= v.period <= last]
        values = roll_up(base, rollup=spec.rollup, root_region=spec.region_code,
                         ratio_scale=spec.ratio_scale)  # fmt: skip
        outcomes[spec.code] = Outcome(
            values, sql, engine.name, result.elapsed_ms, columns=columns, raw_rows=rows,
            period_type=compute.period_type_of(rows, 1),
        )  # fmt: skip
    return outcomes
