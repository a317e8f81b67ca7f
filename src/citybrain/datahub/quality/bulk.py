"""Check a whole staged batch in DuckDB: pass, fail and duplicate in one set-based pass.

The per-row pipeline (:mod:`citybrain.datahub.ingest.pipeline`) calls the Python steps of
:mod:`.checks` for every value of every row. Here a batch already staged as a DuckDB relation
of text columns (``read_csv(..., all_varchar = true)``) is checked by one query:

- the high-volume kinds (resident ID, mobile and phone numbers, lengths, plain text) run as the
  SQL of :mod:`.bulk_sql` on ASCII values;
- everything else (dates, numbers, regions, references, enumerations, patterns, any value with a
  non-ASCII character) runs through the very same Python steps, but once per *distinct* value,
  joined back to the rows;
- the batch-unique rule (a key seen in an earlier passing row) is a window over passing rows.

The outcome matches the per-row pipeline problem for problem (tested on the demo files and the
ID-number test vectors); only its cost differs.
"""

# ruff: noqa: S608  # SQL is composed from identifiers quoted by ident() and literals by quote()
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.datahub.quality import bulk_sql as q
from citybrain.datahub.quality.checks import DUPLICATE_KEY, CompiledRules, FieldChecks, RuleFailure
from citybrain.datahub.quality.rules import RuleKind
from citybrain.datahub.quality.validators import REQUIRED

CHECKED: Final = "__checked"
"""The result table: ``__row``, one canonical text column per item (NULL when blank or failed),
``__problems`` (a list of ``{item, kind, reason}``) and ``__status`` (pass, fail, duplicate)."""


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    total: int
    passed: int
    failed: int
    duplicates: int
    problems: tuple[tuple[str, str, str, int], ...]
    """``(item, kind, reason, rows)`` for every problem that occurred, in item order."""


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    checks: FieldChecks
    column: str | None
    sql_steps: tuple[tuple[RuleKind, q.Step], ...] | None  # None: Python for every value


def _plan(rules: CompiledRules, mapping: Mapping[str, str | None], today: date) -> list[_Plan]:
    specs = {(r.item, r.kind): r for r in rules.rules}
    plans = []
    for index, checks in enumerate(rules.fields):
        steps: list[tuple[RuleKind, q.Step]] = []
        for kind, _ in checks.steps:
            spec = specs.get((checks.item.name, kind))
            sql = q.step_sql(spec, checks.item.type, today) if spec is not None else None
            if sql is None:
                break
            steps.append((kind, sql))
        complete = len(steps) == len(checks.steps)
        plans.append(
            _Plan(index, checks, mapping.get(checks.item.name), tuple(steps) if complete else None)
        )
    return plans


def _python_answers(checks: FieldChecks, raws: list[str]) -> pa.Table:
    """``(raw, v, r, k)`` for distinct raw values, by the Python steps of the pipeline."""
    values: list[str | None] = []
    reasons: list[str | None] = []
    kinds: list[str | None] = []
    for raw in raws:
        text = raw.strip()
        if not text:
            values.append(None)
            reasons.append(REQUIRED if checks.required else None)
            kinds.append("required" if checks.required else None)
            continue
        kind = ""
        try:
            for kind, step in checks.steps:  # noqa: B007 - `kind` names the failed step below
                text = step(text)
        except RuleFailure as failure:
            values.append(None)
            reasons.append(failure.reason)
            kinds.append(str(kind))
            continue
        values.append(text)
        reasons.append(None)
        kinds.append(None)
    return pa.table({"raw": raws, "v": values, "r": reasons, "k": kinds}, schema=_ANSWERS)


_ANSWERS: Final = pa.schema(
    [("raw", pa.string()), ("v", pa.string()), ("r", pa.string()), ("k", pa.string())]
)


def can_check_in_bulk(rules: CompiledRules) -> bool:
    """Whether :func:`check_batch` gives the pipeline's answer for these rules: it does for
    every rule set with at most one batch-unique item (see :func:`_duplicate_sql`)."""
    return sum(1 for f in rules.fields if f.unique) <= 1


def check_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    rules: CompiledRules,
    mapping: Mapping[str, str | None],
    today: date,
    row_column: str | None = None,
) -> BulkOutcome:
    """Check every row of relation ``source`` (text columns named as in ``mapping``,
    item → source column) and write table :data:`CHECKED` on ``con``.

    ``row_column`` names the source row numbers; by default rows are numbered from 1 in scan
    order. Returns the counts and the problem tally. Requires :func:`can_check_in_bulk`.
    """
    plans = _plan(rules, mapping, today)
    raw = {p.index: f"s0.{q.ident(p.column)}" if p.column else "NULL::VARCHAR" for p in plans}
    joins = []
    for plan in plans:
        if plan.column is None:
            continue
        col = q.ident(plan.column)
        distinct = con.execute(
            f"SELECT DISTINCT {col} FROM {source} WHERE {col} IS NOT NULL "
            f"AND {_by_python(plan, col)}"
        ).fetchall()
        name = f"__py_{plan.index}"
        con.register(name, _python_answers(plan.checks, [r[0] for r in distinct]))
        joins.append(f"LEFT JOIN {name} ON {name}.raw = {raw[plan.index]}")

    row = f"s0.{q.ident(row_column)}" if row_column else "row_number() OVER ()"
    trims = ", ".join(
        f"{_trimmed(raw[p.index])} AS __t{p.index}"
        for p in plans
        if p.column is not None and p.sql_steps is not None
    )
    first = []
    for plan in plans:
        i, r, python = plan.index, raw[plan.index], f"__py_{plan.index}"
        required = plan.checks.required
        reason_if_blank = q.quote(REQUIRED) if required else "NULL"
        kind_if_blank = q.quote("required") if required else "NULL"
        if plan.column is None:
            v, why, kind, todo = "NULL", reason_if_blank, kind_if_blank, "false"
        elif plan.sql_steps is None:
            v, why, kind, todo = f"{python}.v", f"{python}.r", f"{python}.k", "false"
            why = f"CASE WHEN {r} IS NULL THEN {reason_if_blank} ELSE {why} END"
            kind = f"CASE WHEN {r} IS NULL THEN {kind_if_blank} ELSE {kind} END"
        else:
            trimmed = f"s0.__t{i}"
            blank = f"({r} IS NULL OR {trimmed} = '' AND {python}.raw IS NULL)"
            v = (
                f"CASE WHEN {python}.raw IS NOT NULL THEN {python}.v "
                f"WHEN NOT {blank} THEN {trimmed} END"
            )
            why = f"CASE WHEN {blank} THEN {reason_if_blank} ELSE {python}.r END"
            kind = f"CASE WHEN {blank} THEN {kind_if_blank} ELSE {python}.k END"
            todo = f"NOT {blank} AND {python}.raw IS NULL"
        first.append(
            f"{v}::VARCHAR AS v{i}, {why}::VARCHAR AS r{i}, {kind}::VARCHAR AS k{i}, "
            f"{todo} AS todo{i}"
        )
    ctes = [
        f"s0 AS (SELECT *{', ' + trims if trims else ''} FROM {source} AS s0)",
        f"s1 AS (SELECT {row} AS __row, {', '.join(first)} FROM s0 {' '.join(joins)})",
    ]
    state = [f"v{p.index}, r{p.index}, k{p.index}, todo{p.index}" for p in plans]
    depth = max((len(p.sql_steps or ()) for p in plans), default=0)
    previous = "s1"
    for level in range(depth):
        active = [p for p in plans if p.column is not None and level < len(p.sql_steps or ())]
        steps = {p.index: p.sql_steps[level] for p in active if p.sql_steps}
        width = max(len(step.stages) for _, step in steps.values())
        stages: dict[int, list[str]] = {i: [] for i in steps}
        for stage in range(width + 1):  # the stages, then the reason
            added = []
            for i, (_, step) in steps.items():
                if stage < len(step.stages):
                    sql = q.render(step.stages[stage], f"v{i}", stages[i])
                    column = f"c{i}_{level}_{stage}"
                    stages[i].append(column)
                    added.append(f"{sql} AS {column}")
                elif stage == width:
                    sql = q.render(step.reason, f"v{i}", stages[i])
                    added.append(f"CASE WHEN todo{i} THEN {sql} END AS why{i}")
            layer = f"a{level}_{stage}"
            ctes.append(f"{layer} AS (SELECT *, {', '.join(added)} FROM {previous})")
            previous = layer
        merged = []
        for plan in plans:
            i = plan.index
            if i not in steps:
                merged.append(state[i])
                continue
            kind, step = steps[i]
            value = q.render(step.value, f"v{i}", stages[i])
            merged.append(
                f"CASE WHEN NOT todo{i} THEN v{i} WHEN why{i} IS NULL THEN {value} END AS v{i}, "
                f"coalesce(r{i}, why{i}) AS r{i}, "
                f"CASE WHEN why{i} IS NOT NULL THEN {q.quote(kind.value)} ELSE k{i} END AS k{i}, "
                f"todo{i} AND why{i} IS NULL AS todo{i}"
            )
        ctes.append(f"b{level} AS (SELECT __row, {', '.join(merged)} FROM {previous})")
        previous = f"b{level}"

    problems = ", ".join(
        f"CASE WHEN r{p.index} IS NOT NULL THEN {{'item': {q.quote(p.checks.item.name)}, "
        f"'kind': k{p.index}, 'reason': r{p.index}}} END"
        for p in plans
    )
    values = ", ".join(f"v{p.index} AS {q.ident(p.checks.item.name)}" for p in plans)
    ctes.append(
        f"checked AS (SELECT __row, {values}, "
        f"list_filter([{problems}], lambda x: x IS NOT NULL) AS __problems FROM {previous})"
    )
    unique = [p for p in plans if p.checks.unique]
    status = _status_sql()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {CHECKED} AS WITH {', '.join(ctes)} "
        f"SELECT * EXCLUDE (__dup, __problems), {status} FROM ("
        f"SELECT *, {_duplicate_sql(unique)} AS __dup FROM checked)"
    )
    for plan in plans:
        if plan.column is not None:
            con.unregister(f"__py_{plan.index}")
    return _outcome(con, [p.checks.item.name for p in plans])


def _trimmed(column: str) -> str:
    """``column`` without ASCII blanks at either end; trim() only where an end is one (every
    ASCII blank sorts at or below the space), as trim() with a set of characters is slow."""
    return (
        f"CASE WHEN ascii({column}) > 32 AND ascii(right({column}, 1)) > 32 THEN {column} "
        f"ELSE trim({column}, {q.quote(q.ASCII_SPACE)}) END"
    )


def _by_python(plan: _Plan, column: str) -> str:
    """Which values of ``column`` the Python steps answer: all of them when a step has no SQL
    twin; else those with a character the SQL cannot treat as Python would (non-ASCII text
    where a step needs ASCII, or a non-ASCII blank at either end, which strip() removes)."""
    if plan.sql_steps is None:
        return "true"
    non_ascii = f"strlen({column}) <> length({column})"
    if any(step.ascii_only for _, step in plan.sql_steps):
        return non_ascii
    blanks = ", ".join(str(ord(c)) for c in q.UNICODE_SPACE)
    ends = (f"ascii({column})", f"ascii(right({column}, 1))")
    # A blank at an end, ASCII or not, sends the value to Python: rare, and always right.
    blank_end = " OR ".join(f"{e} <= 32 OR {e} IN ({blanks})" for e in ends)
    return f"{non_ascii} AND ({blank_end})"


def _duplicate_sql(unique: list[_Plan]) -> str:
    """The first unique item whose value an earlier passing row already holds (NULL if none).

    With one unique item this is exactly the pipeline's rule. With several, a row that fails
    on its first unique item would not have added its later ones to the seen sets; the window
    below counts it anyway, so more than one unique item is left to the per-row pipeline."""
    if not unique:
        return "NULL::VARCHAR"
    if len(unique) > 1:
        raise ValueError("more than one unique item: check can_check_in_bulk() first")
    name = q.ident(unique[0].checks.item.name)
    return (
        f"CASE WHEN len(__problems) = 0 AND {name} IS NOT NULL AND row_number() OVER "
        f"(PARTITION BY {name}, len(__problems) = 0 ORDER BY __row) > 1 "
        f"THEN {q.quote(unique[0].checks.item.name)} END"
    )


def _status_sql() -> str:
    return (
        "CASE WHEN __dup IS NOT NULL THEN "
        f"[{{'item': __dup, 'kind': 'unique', 'reason': {q.quote(DUPLICATE_KEY)}}}] "
        "ELSE __problems END AS __problems, "
        "CASE WHEN __dup IS NOT NULL THEN 'duplicate' WHEN len(__problems) > 0 THEN 'fail' "
        "ELSE 'pass' END AS __status"
    )


def _outcome(con: duckdb.DuckDBPyConnection, items: list[str]) -> BulkOutcome:
    counts = dict(con.sql(f"SELECT __status, count(*) FROM {CHECKED} GROUP BY __status").fetchall())
    tally = con.sql(
        f"SELECT p.item, p.kind, p.reason, count(*) FROM "
        f"(SELECT unnest(__problems) AS p FROM {CHECKED}) GROUP BY ALL"
    ).fetchall()
    order = {name: i for i, name in enumerate(items)}
    problems = tuple(
        sorted(
            ((str(i), str(k), str(r), int(n)) for i, k, r, n in tally),
            key=lambda t: (order.get(t[0], len(order)), t[1], t[2]),
        )
    )
    passed, failed, duplicates = (int(counts.get(s, 0)) for s in ("pass", "fail", "duplicate"))
    return BulkOutcome(passed + failed + duplicates, passed, failed, duplicates, problems)
