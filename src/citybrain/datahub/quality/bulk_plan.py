"""The queries of a bulk check (:mod:`.bulk`), composed from the rules. Pure: builds SQL text.

Per item the plan says where its values come from (its source column) and who answers them:
its twins (:mod:`.bulk_sql`, with the vectorised kernels of :mod:`.bulk_kernels`) for the
values they admit and the Python steps for the others, or the Python steps for every value
when a step has no twin. Columns of the queries, ``i`` being the item's index in rule order:
``x<i>`` the raw text, ``c<i>_<p>`` the code of its ``p``-th twin's kernel (computed while
staging, column ``__k<i>_<p>``), ``f<i>`` whether its twins answer it, ``rs<i>``/``ks<i>``
their reason and rule kind, and in the results ``v<i>`` (canonical text), ``r<i>``/``k<i>``
(the problem) and ``u<i>`` (unresolved: the Python steps have yet to answer).
"""

# ruff: noqa: S608  # SQL is composed from identifiers quoted by ident() and literals by quote()
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from citybrain.datahub.quality import bulk_sql as q
from citybrain.datahub.quality.bulk_kernels import Kernel
from citybrain.datahub.quality.checks import CompiledRules, FieldChecks
from citybrain.datahub.quality.rules import RuleKind
from citybrain.datahub.quality.validators import REQUIRED

PASS1: Final = "__pass1"


@dataclass(frozen=True, slots=True)
class Field:
    index: int
    checks: FieldChecks
    column: str | None
    twins: tuple[tuple[RuleKind, q.Twin], ...] | None  # None: Python for every value

    @property
    def name(self) -> str:
        return self.checks.item.name

    @property
    def kernels(self) -> list[tuple[int, Kernel]]:
        """``(position, kernel)`` of the twins checked by a kernel."""
        return [(p, t.kernel) for p, (_, t) in enumerate(self.twins or ()) if t.kernel]

    def code(self, position: int) -> str:
        """The staged column of the code of the kernel at ``position``."""
        return f"__k{self.index}_{position}"

    @property
    def blank(self) -> tuple[str, str]:
        """SQL of the reason and kind of a blank value (NULL unless the item is required)."""
        if self.checks.required:
            return q.quote(REQUIRED), q.quote("required")
        return "NULL", "NULL"


def plan(rules: CompiledRules, mapping: Mapping[str, str | None], today: date) -> list[Field]:
    """The items of ``rules`` in order, with their source columns and twins."""
    specs = {(r.item, r.kind): r for r in rules.rules}
    fields = []
    for index, checks in enumerate(rules.fields):
        twins: list[tuple[RuleKind, q.Twin]] | None = []
        for kind, _ in checks.steps:
            spec = specs.get((checks.item.name, kind))
            twin = q.twin(spec, checks.item.type, today) if spec is not None else None
            if twin is None or twins is None:
                twins = None
                continue
            twins.append((kind, twin))
        if twins is not None and not any(t.shaped for _, t in twins):
            twins.insert(0, (RuleKind.type, q.PLAIN))  # only text without blanks at its ends
        column = mapping.get(checks.item.name)
        fields.append(Field(index, checks, column, tuple(twins) if twins is not None else None))
    return fields


def _admits(field: Field) -> str:
    """SQL: the twins of ``field`` answer its value (every twin admits it)."""
    conditions = []
    for position, (_, twin) in enumerate(field.twins or ()):
        admits = q.render(twin.fast, f"x{field.index}")
        if twin.kernel is not None:
            code = f"c{field.index}_{position}"
            # A kernel's code decides; ``fast`` admits more values (CASE: only for the rest).
            admits = f"{code} >= 0" if admits == "false" else (
                f"CASE WHEN {code} >= 0 THEN true ELSE {admits} END"
            )  # fmt: skip
        if admits != "true":
            conditions.append(f"({admits})")
    return " AND ".join(conditions) or "true"


def _reasons(field: Field) -> list[tuple[RuleKind, str]]:
    """``(kind, SQL of its reason)`` of each twin that can fail, in step order."""
    reasons = []
    for position, (kind, twin) in enumerate(field.twins or ()):
        if twin.kernel is not None:
            code = f"c{field.index}_{position}"
            cases = " ".join(
                f"WHEN {code} = {n} THEN {q.quote(r)}"
                for n, r in enumerate(twin.kernel.reasons, start=1)
            )
            if cases:
                reasons.append((kind, f"CASE {cases} END"))
        elif twin.reason != "NULL":
            reasons.append((kind, q.render(twin.reason, f"x{field.index}")))
    return reasons


def first_pass(fields: Sequence[Field], prejoined: set[int], source: str) -> str:
    """Every row of ``source``: the twins' answers, the joined Python answers of the items
    in ``prejoined`` (table ``__py<i>``), and only the special rows kept (a problem, a value
    no twin answered, or a canonical text that differs from the raw one)."""
    mapped = [f for f in fields if f.column is not None]
    inputs = [f"{q.ident(f.column or '')} AS x{f.index}" for f in mapped]
    inputs += [f"{f.code(p)} AS c{f.index}_{p}" for f in mapped for p, _ in f.kernels]
    layers = [f"SELECT __row{''.join(', ' + i for i in inputs)} FROM {source}"]

    def add(columns: list[str]) -> None:
        if columns:
            layers.append(f"SELECT *, {', '.join(columns)} FROM l{len(layers) - 1}")

    add([f"{_admits(f)} AS f{f.index}" for f in mapped if f.twins is not None])
    reasons, combined = [], []
    for f in mapped:
        found = _reasons(f)
        names = [f"q{f.index}_{n}" for n in range(len(found))]
        for (_, sql), name in zip(found, names, strict=True):
            reasons.append(f"CASE WHEN f{f.index} THEN {sql} END AS {name}")
        if found:
            kinds = " ".join(
                f"WHEN {n} IS NOT NULL THEN {q.quote(k.value)}"
                for (k, _), n in zip(found, names, strict=True)
            )
            combined.append(
                f"coalesce({', '.join(names)}) AS rs{f.index}, CASE {kinds} END AS ks{f.index}"
            )
    add(reasons)
    add(combined)
    last = f"l{len(layers) - 1}"
    outputs, joins, special = [f"{last}.__row"], [], []
    for f in fields:
        output, join, rules = _first_output(f, last, f.index in prejoined, bool(_reasons(f)))
        outputs.append(output)
        joins += join
        special += rules
    where = " OR ".join(f"({s})" for s in special) or "false"
    ctes = ", ".join(f"l{i} AS ({sql})" for i, sql in enumerate(layers))
    return f"WITH {ctes} SELECT {', '.join(outputs)} FROM {last} {' '.join(joins)} WHERE {where}"


def _first_output(
    field: Field, last: str, prejoined: bool, can_fail: bool
) -> tuple[str, list[str], list[str]]:
    """``(columns, joins, special conditions)`` of one item in the first pass."""
    i = field.index
    blank_reason, blank_kind = field.blank
    none = (
        f"NULL::VARCHAR AS x{i}, NULL::VARCHAR AS v{i}, {blank_reason}::VARCHAR AS r{i}, "
        f"{blank_kind}::VARCHAR AS k{i}, false AS u{i}"
    )
    if field.column is None:
        return none, [], ["true"] if field.checks.required else []
    x = f"{last}.x{i}"
    special = [f"{x} IS NULL"] if field.checks.required else []
    if field.twins is not None:
        value = f"CASE WHEN rs{i} IS NULL THEN {x} END" if can_fail else x
        reason, kind = (f"rs{i}", f"ks{i}") if can_fail else ("NULL", "NULL")
        columns = (
            f"{x} AS x{i}, CASE WHEN f{i} THEN {value} END::VARCHAR AS v{i}, "
            f"CASE WHEN {x} IS NULL THEN {blank_reason} WHEN f{i} THEN {reason} "
            f"END::VARCHAR AS r{i}, "
            f"CASE WHEN {x} IS NULL THEN {blank_kind} WHEN f{i} THEN {kind} END::VARCHAR AS k{i}, "
            f"{x} IS NOT NULL AND NOT f{i} AS u{i}"
        )
        special.append(f"{x} IS NOT NULL AND NOT f{i}")
        if can_fail:
            special.append(f"rs{i} IS NOT NULL")
        return columns, [], special
    if not prejoined:  # the column holds no value at all
        return none, [], special
    columns = (
        f"{x} AS x{i}, p{i}.v AS v{i}, "
        f"CASE WHEN {x} IS NULL THEN {blank_reason} ELSE p{i}.r END::VARCHAR AS r{i}, "
        f"CASE WHEN {x} IS NULL THEN {blank_kind} ELSE p{i}.k END::VARCHAR AS k{i}, "
        f"false AS u{i}"
    )
    special.append(f"p{i}.v IS DISTINCT FROM {x}")  # failed, or canonical ≠ raw
    return columns, [f"LEFT JOIN __py{i} AS p{i} ON p{i}.raw = {x}"], special


def second_pass(fields: Sequence[Field], resolved: set[int]) -> str:
    """The special rows of :data:`PASS1` with the Python answers of their unresolved values
    (``__py<i>`` for the items in ``resolved``) and ``__ok``."""
    outputs, joins = ["s.__row"], []
    for f in fields:
        i = f.index
        if i not in resolved:
            outputs.append(f"s.v{i}, s.r{i}, s.k{i}")
            continue
        joins.append(f"LEFT JOIN __py{i} AS p{i} ON s.u{i} AND p{i}.raw = s.x{i}")
        outputs.append(
            f"CASE WHEN s.u{i} THEN p{i}.v ELSE s.v{i} END AS v{i}, "
            f"CASE WHEN s.u{i} THEN p{i}.r ELSE s.r{i} END AS r{i}, "
            f"CASE WHEN s.u{i} THEN p{i}.k ELSE s.k{i} END AS k{i}"
        )
    ok = " AND ".join(f"r{f.index} IS NULL" for f in fields) or "true"
    return (
        f"SELECT *, {ok} AS __ok FROM (SELECT {', '.join(outputs)} FROM {PASS1} AS s "
        f"{' '.join(joins)})"
    )


def duplicates(unique: Field, source: str, checked: str) -> str:
    """``__row`` of the passing rows whose unique value an earlier passing row holds.

    A row that is not special passes with its raw value as canonical, so two of them repeat a
    key only if their raw values repeat; any other repetition involves a special passing
    row's canonical key (in ``checked``). The keys that can repeat are therefore few, and only
    their rows are compared."""
    raw, v = q.ident(unique.column or ""), f"v{unique.index}"
    return (
        f"WITH keys AS ("
        f"SELECT {raw} AS key FROM {source} WHERE {raw} IS NOT NULL GROUP BY {raw} "
        f"HAVING count(*) > 1 "
        f"UNION SELECT {v} FROM {checked} WHERE __ok AND {v} IS NOT NULL), "
        f"candidates AS ("
        f"SELECT __row, {raw} AS key FROM {source} "
        f"WHERE {raw} IN (SELECT key FROM keys) AND __row NOT IN (SELECT __row FROM {checked}) "
        f"UNION ALL SELECT __row, {v} FROM {checked} "
        f"WHERE __ok AND {v} IN (SELECT key FROM keys)) "
        f"SELECT __row FROM candidates QUALIFY __row > min(__row) OVER (PARTITION BY key)"
    )


def passing(fields: Sequence[Field], source: str, checked: str, repeated: str) -> str:
    """``__row`` and the canonical ``v<i>`` of every passing row: the rows that were not
    special with their raw values, the special ones with those of ``checked``."""
    raw = ", ".join(
        f"{q.ident(f.column) if f.column is not None else 'NULL::VARCHAR'} AS v{f.index}"
        for f in fields
    )
    canonical = ", ".join(f"v{f.index}" for f in fields)
    return (
        f"SELECT __row, {raw} FROM {source} "
        f"WHERE __row NOT IN (SELECT __row FROM {checked}) "
        f"AND __row NOT IN (SELECT __row FROM {repeated}) "
        f"UNION ALL SELECT __row, {canonical} FROM {checked} "
        f"WHERE __ok AND __row NOT IN (SELECT __row FROM {repeated})"
    )
