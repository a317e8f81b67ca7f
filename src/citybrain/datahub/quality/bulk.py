"""Check a whole batch in DuckDB: pass, fail and duplicate in a few set-based queries.

The per-row pipeline (:mod:`citybrain.datahub.ingest.pipeline`) calls the Python steps of
:mod:`.checks` for every value of every row. Here the batch is staged into DuckDB
(:func:`stage_batch`, which also runs the vectorised kernels of :mod:`.bulk_kernels` over
each Arrow batch as it streams in) and checked in two passes (:func:`check_batch`):

1. One scan of every row. Values written the usual way are answered by their twins
   (:mod:`.bulk_sql`: the kernels' codes for GB 11643 and GB 32100 checksums, mobile numbers,
   dates and blanks; SQL for lengths, numbers, enumerations, landlines): pass, or fail and
   why. Kinds without a twin (region codes, references, patterns, ranges, booleans) are
   answered by the Python steps once per distinct value, joined. Only the *special* rows are
   kept: those with a problem, with a value no twin answers, or whose canonical text differs
   from the raw one.
2. The special rows' remaining values go through the Python steps, once per distinct value.

A row that is not special passes, and its canonical values are its raw ones. The batch-unique
rule (a key an earlier passing row already holds) is decided on the few keys that can repeat
(:func:`.bulk_plan.duplicates`). The outcome equals the per-row pipeline's problem for problem
(tested on the demo files, the ID-number and credit-code test vectors, awkward and random
values); only its cost differs.
"""

# ruff: noqa: S608  # SQL is composed from identifiers quoted by ident() and literals by quote()
from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, Final, TypeVar

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.datahub.quality import bulk_plan as plan
from citybrain.datahub.quality.bulk_sql import ident
from citybrain.datahub.quality.checks import DUPLICATE_KEY, CompiledRules, FieldChecks, RuleFailure
from citybrain.datahub.quality.validators import REQUIRED

CHECKED: Final = "__checked"
"""The special rows: ``__row``; per item (``i`` its index in rule order) the canonical text
``v<i>`` (NULL when blank or failed), the reason ``r<i>`` and rule kind ``k<i>`` of its
problem (NULL when none); ``__ok`` when the row has no problem."""
DUPLICATES: Final = "__duplicates"
"""``__row`` of every passing row whose unique key an earlier passing row holds."""
UNIQUE: Final = "unique"
In = TypeVar("In")
Out = TypeVar("Out")


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    total: int
    passed: int
    failed: int  # rows with a problem other than a repeated unique key
    duplicates: int
    problems: tuple[tuple[str, str, str, int], ...]
    """``(item, kind, reason, rows)`` for every problem that occurred, in item order."""
    passing_sql: str
    """A query of the passing rows: ``__row`` and the canonical text ``v<i>`` of every item
    (``i`` its index in rule order)."""
    source: str  # the staged table, quoted


def can_check_in_bulk(rules: CompiledRules) -> bool:
    """Whether :func:`check_batch` gives the pipeline's answer for these rules. It does for
    every rule set with at most one batch-unique item: with several, a row failing on its
    first one would not add its later ones to the pipeline's seen sets, which a set-based
    rule cannot see."""
    return sum(1 for f in rules.fields if f.unique) <= 1


def ordered_map(
    function: Callable[[In], Out], items: Iterable[In], *, workers: int
) -> Iterator[Out]:
    """``map(function, items)`` on ``workers`` threads, in order, with at most ``workers + 1``
    items taken ahead (memory stays bounded). Worth it where ``function`` releases the GIL
    (Arrow's parser, numpy)."""
    if workers <= 1:
        yield from map(function, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="citybrain-bulk") as pool:
        pending: deque[Future[Out]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _arrow(values: Any, type_: pa.DataType) -> pa.Array:
    """A numpy array as an Arrow array, zero-copy (``pa.array`` would first look whether it
    is a pandas object, importing pandas for that)."""
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(type_, len(values), [None, pa.py_buffer(values)])


def stage_batch(
    con: duckdb.DuckDBPyConnection,
    batches: Iterable[pa.RecordBatch],
    *,
    table: str,
    rules: CompiledRules,
    mapping: Mapping[str, str | None],
    today: date,
    first_row: int = 1,
    empty_as_null: bool = False,
    keep: str | None = None,
    workers: int = 1,
) -> None:
    """Write ``batches`` (text columns, named as in ``mapping``'s values; at least one batch,
    maybe empty) to temporary table ``table`` on ``con``, ready for :func:`check_batch` with
    the same rules, mapping and day: rows numbered from ``first_row`` in stream order (column
    ``__row``), the kernels' codes computed batch by batch (on large batches numpy's cost per
    call vanishes), ``''`` read as NULL when ``empty_as_null``, and only the rows for which
    SQL condition ``keep`` holds; the codes of ``workers`` batches at a time are computed on as
    many threads. The batches stream through; nothing holds them all."""
    kernels = [
        (f.column, f.code(position), kernel)
        for f in plan.plan(rules, mapping, today)
        if f.column is not None
        for position, kernel in f.kernels
    ]
    iterator = iter(batches)
    first = next(iterator, None)
    if first is None:
        raise ValueError("no batch to stage: pass at least one (it may be empty)")
    names = list(first.schema.names)
    schema = pa.schema(
        [pa.field("__row", pa.int64()), *(pa.field(n, pa.string()) for n in names)]
        + [pa.field(code, pa.int8()) for _, code, _ in kernels]
    )

    def coded(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, list[pa.Array]]:
        return batch, [_arrow(k.codes(batch.column(column)), pa.int8()) for column, _, k in kernels]

    def numbered() -> Iterator[pa.RecordBatch]:
        row = first_row
        batches = itertools.chain([first], iterator)
        for batch, found in ordered_map(coded, batches, workers=workers):
            rows = _arrow(np.arange(row, row + batch.num_rows, dtype=np.int64), pa.int64())
            row += batch.num_rows
            yield pa.RecordBatch.from_arrays(
                [rows, *(batch.column(n) for n in names), *found], schema=schema
            )

    columns = ", ".join(
        f"nullif({ident(n)}, '') AS {ident(n)}" if empty_as_null else ident(n) for n in names
    )
    codes = "".join(f", {code}" for _, code, _ in kernels)
    # DuckDB pulls the stream on one thread at a time; while the pulling thread waits for a
    # batch of ordered_map (the GIL released), the parsing and kernel threads run.
    con.register("__batches", pa.RecordBatchReader.from_batches(schema, numbered()))
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS SELECT __row, {columns}{codes} "
            f"FROM __batches{f' WHERE {keep}' if keep else ''}"
        )
    finally:
        con.unregister("__batches")


def check_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    source: str,
    rules: CompiledRules,
    mapping: Mapping[str, str | None],
    today: date,
) -> BulkOutcome:
    """Check every row of table ``source``, staged by :func:`stage_batch` with the same
    rules, mapping and day, and write tables :data:`CHECKED` and :data:`DUPLICATES` on
    ``con``. Raises ValueError unless :func:`can_check_in_bulk`."""
    if not can_check_in_bulk(rules):
        raise ValueError("more than one unique item: check can_check_in_bulk() first")
    source = ident(source)
    fields = plan.plan(rules, mapping, today)
    registered: list[str] = []
    try:
        prejoined = set()
        for f in fields:
            if f.column is not None and f.twins is None:
                col = ident(f.column)
                query = f"SELECT DISTINCT {col} FROM {source} WHERE {col} IS NOT NULL"
                if _answer(con, f.checks, query, f"__py{f.index}", registered):
                    prejoined.add(f.index)
        first = plan.first_pass(fields, prejoined, source)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {plan.PASS1} AS {first}")
        resolved = set()
        for f in fields:
            if f.column is not None and f.twins is not None:
                query = f"SELECT DISTINCT x{f.index} FROM {plan.PASS1} WHERE u{f.index}"
                if _answer(con, f.checks, query, f"__py{f.index}", registered):
                    resolved.add(f.index)
        second = plan.second_pass(fields, resolved)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {CHECKED} AS {second}")
        con.execute(f"DROP TABLE {plan.PASS1}")
    finally:
        for name in registered:
            con.unregister(name)
    unique = next((f for f in fields if f.checks.unique and f.column is not None), None)
    repeated = (
        plan.duplicates(unique, source, CHECKED)
        if unique is not None
        else "SELECT 0::BIGINT AS __row LIMIT 0"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {DUPLICATES} AS {repeated}")
    return _outcome(con, fields, unique, source)


_ANSWERS: Final = pa.schema(
    [("raw", pa.string()), ("v", pa.string()), ("r", pa.string()), ("k", pa.string())]
)


def _answer(
    con: duckdb.DuckDBPyConnection,
    checks: FieldChecks,
    distinct: str,
    name: str,
    registered: list[str],
) -> bool:
    """Register as ``name`` the Python answers of the values ``distinct`` selects; False when
    it selects none."""
    raws = [str(r[0]) for r in con.execute(distinct).fetchall()]
    if not raws:
        return False
    con.register(name, python_answers(checks, raws))
    registered.append(name)
    return True


def python_answers(checks: FieldChecks, raws: list[str]) -> pa.Table:
    """``(raw, v, r, k)`` of distinct raw values by the pipeline's own Python steps:
    canonical text, or the reason and rule kind of the first failing step."""
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


def _outcome(
    con: duckdb.DuckDBPyConnection,
    fields: Sequence[plan.Field],
    unique: plan.Field | None,
    source: str,
) -> BulkOutcome:
    counts = con.execute(
        f"SELECT (SELECT count(*) FROM {source}), "
        f"(SELECT count(*) FROM {CHECKED} WHERE NOT __ok), (SELECT count(*) FROM {DUPLICATES})"
    ).fetchone()
    total, failed, duplicates = (int(n) for n in counts) if counts else (0, 0, 0)
    tally: list[tuple[str, str, str, int]] = []
    for field in fields:
        i = field.index
        found = con.execute(
            f"SELECT k{i}, r{i}, count(*) FROM {CHECKED} WHERE r{i} IS NOT NULL "
            "GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        tally += [(field.name, str(k), str(r), int(n)) for k, r, n in found]
        if field is unique and duplicates:
            tally.append((field.name, UNIQUE, DUPLICATE_KEY, duplicates))
    passing = plan.passing(fields, source, CHECKED, DUPLICATES)
    return BulkOutcome(
        total, total - failed - duplicates, failed, duplicates, tuple(tally), passing, source
    )


@dataclass(frozen=True, slots=True)
class FailedRow:
    row: int
    problems: list[tuple[str, str, str]]  # (item, kind, reason) in the pipeline's order
    extra: tuple[Any, ...]  # the staged columns asked for, in that order


def failed_rows(
    con: duckdb.DuckDBPyConnection,
    outcome: BulkOutcome,
    rules: CompiledRules,
    *,
    extra: Sequence[str] = (),
    batch: int = 10_000,
) -> Iterator[FailedRow]:
    """The failed rows (problems and repeated keys) in row order, with their problems and the
    staged columns ``extra`` (say every raw value of the row)."""
    names = [f.item.name for f in rules.fields]
    unique = next((f.item.name for f in rules.fields if f.unique), "")
    problems = ", ".join(f"r{i}, k{i}" for i in range(len(names)))
    nulls = ", ".join("NULL, NULL" for _ in names)
    failed = (
        f"SELECT __row, false AS __dup, {problems} FROM {CHECKED} WHERE NOT __ok "
        f"UNION ALL SELECT __row, true, {nulls} FROM {DUPLICATES}"
    )
    fetched = ", ".join(
        ["f.__row", "f.__dup", *(f"f.r{i}, f.k{i}" for i in range(len(names)))]
        + [f"s.{ident(c)}" for c in extra]
    )
    join = f"JOIN {outcome.source} AS s ON s.__row = f.__row" if extra else ""
    result = con.execute(f"SELECT {fetched} FROM ({failed}) AS f {join} ORDER BY f.__row")
    width = 2 + 2 * len(names)
    while chunk := result.fetchmany(batch):
        for record in chunk:
            found = (
                [(unique, UNIQUE, DUPLICATE_KEY)]
                if record[1]
                else [
                    (name, str(record[3 + 2 * i]), str(record[2 + 2 * i]))
                    for i, name in enumerate(names)
                    if record[2 + 2 * i] is not None
                ]
            )
            yield FailedRow(int(record[0]), found, tuple(record[width:]))
