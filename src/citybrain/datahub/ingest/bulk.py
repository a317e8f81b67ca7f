"""The bulk path of a CSV file: Arrow reads it, DuckDB checks it, numpy and the worker
processes encrypt it, a chunk of columns at a time instead of a row at a time.

Same answer as the per-row pipeline (:mod:`.pipeline`), row for row: the same rows pass, fail
and repeat a key, with the same problems in the same order, the same quarantined values, the
same quality report, the same hub rows (a test runs both on the demo files and the ID-number
vectors). The steps:

1. **Read.** Arrow's streaming CSV reader parses the file with the encoding and delimiter the
   connector detected (UTF-8 or GB18030), block by block, into DuckDB (an in-memory database
   that spills to a temporary directory past ``bulk_memory_mb``): nothing holds the file whole.
   Empty cells become NULL and blank lines are dropped, as the connector does; the row number
   of every row is its line (it starts on line 2, under the header).
2. **Check.** :func:`citybrain.datahub.quality.bulk.check_batch`: pass, fail or duplicate for
   every row in a few set-based queries.
3. **Failed rows** (usually few) go through the quality tally and the encrypted quarantine in
   row order, with the same early stop as the pipeline (:class:`.pipeline.FailLimit`).
4. **Passing rows** leave DuckDB as Arrow chunks; their sensitive columns are encrypted in
   batches (:mod:`.crypto_pool`) and the chunks go to the hub staging sink.

A file is read this way only when the result is sure to equal the connector's: a CSV in
UTF-8 or GB18030 whose every record is one line (the line count equals the rows Arrow read;
no carriage return outside a CRLF; the header on line 1), no field past the csv module's size
limit, and a rule set :func:`~citybrain.datahub.quality.bulk.can_check_in_bulk` accepts.
Anything else, and any error of the reader (a ragged row, a stray quote, a byte that is not of
the encoding), raises :class:`BulkUnavailable` before anything is written, and the per-row
pipeline reads the file instead, with its exact error messages.
"""

# ruff: noqa: S608  # SQL is composed from identifiers quoted by ident() and literals by quote()
from __future__ import annotations

import bisect
import csv
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

from citybrain.datahub.ingest.chunks import ROW_KEY_TEXT, ChunkWriter, RowSink, Slot
from citybrain.datahub.ingest.connectors.csv_source import CsvConnector
from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor
from citybrain.datahub.ingest.mapping import ColumnMapping
from citybrain.datahub.ingest.pipeline import (
    FailLimit,
    PipelineOutcome,
    Progress,
    QuarantineSpool,
    TooManyFailures,
    field_context,
)
from citybrain.datahub.quality import bulk as checks
from citybrain.datahub.quality.bulk_sql import ident, quote
from citybrain.datahub.quality.checks import CompiledRules
from citybrain.datahub.quality.report import Problem, QualityTally

ENCODINGS: Final = frozenset({"utf-8", "gb18030"})
"""Encodings in which byte 0x0A is only ever a line feed (so lines can be counted in bytes)."""
STAGED: Final = "__staged"
FIRST_ROW: Final = 2  # the header is line 1
_BLOCK_BYTES: Final = 4 << 20  # about 30,000 rows of a persons file
_HEADER_BYTES: Final = 1 << 20
_SPACES: Final = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


class BulkUnavailable(Exception):
    """The source cannot take the bulk path; nothing was written (the caller reads it row by
    row instead). The message says why, for the log."""


@dataclass(frozen=True, slots=True)
class BulkOptions:
    memory_mb: int
    chunk_rows: int
    today: date
    threads: int = 2  # DuckDB's, and the threads parsing blocks and running kernels
    temp_dir: Path | None = None


def _first_line(path: Path) -> bytes:
    with path.open("rb") as handle:
        line = handle.readline(_HEADER_BYTES)
    if len(line) == _HEADER_BYTES and not line.endswith(b"\n"):
        raise BulkUnavailable("a header line longer than 1 MiB")
    return line.removesuffix(b"\n").removesuffix(b"\r")


def _check_source(connector: CsvConnector, path: Path, columns: Sequence[str]) -> None:
    """BulkUnavailable unless the encoding and the header allow the bulk path (the lines are
    counted while the file is read)."""
    codec = connector.encoding
    if codec not in ENCODINGS:
        raise BulkUnavailable(f"encoding {codec}")
    try:
        text = _first_line(path).decode(codec).removeprefix("\ufeff")
        header = next(csv.reader([text], delimiter=connector.delimiter))
    except (UnicodeDecodeError, csv.Error, StopIteration) as exc:
        raise BulkUnavailable("the header is not one line") from exc
    if [h.strip().lstrip("\ufeff").strip() for h in header] != list(columns):
        raise BulkUnavailable("the header is not on line 1, or spans lines")


@dataclass(slots=True)
class _Meter:
    rows: int = 0  # what the reader made of the data lines
    lines: int = 0  # data lines (a last one without a line feed counts)
    lone_cr: bool = False  # a carriage return that does not end a line
    widest: int = 0  # the longest field, in bytes


def _blocks(path: Path) -> Iterator[bytes]:
    """The data lines of the file (header skipped) in blocks of about ``_BLOCK_BYTES``, each
    cut after a line feed: every record is one line (checked against the line count), so a
    block is a CSV text of whole records."""
    with path.open("rb") as handle:
        handle.readline()  # the header
        rest = b""
        while chunk := handle.read(_BLOCK_BYTES):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                rest = chunk
                continue
            rest = chunk[cut:]
            yield chunk[:cut]
        if rest:
            yield rest


def _batches(
    connector: CsvConnector, path: Path, width: int, meter: _Meter, workers: int
) -> Iterator[Any]:
    """The data rows as record batches of text columns ``c0`` … (empty cells NULL; at least
    one batch, maybe empty), blocks parsed on ``workers`` threads, counted in ``meter``."""
    names = [f"c{i}" for i in range(width)]
    read = pa_csv.ReadOptions(column_names=names, use_threads=False, encoding=connector.encoding)
    parse = pa_csv.ParseOptions(
        delimiter=connector.delimiter,
        quote_char='"',
        double_quote=True,
        escape_char=False,
        newlines_in_values=False,
        ignore_empty_lines=False,
    )
    convert = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,  # the connector reads "" as None too
    )

    def parsed(block: bytes) -> Any:
        # Blocks end after a line feed (but the last), so no CRLF straddles two of them.
        lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        returns = block.count(b"\r")
        lone_cr = bool(returns) and returns != block.count(b"\r\n")
        table = pa_csv.read_csv(pa.BufferReader(block), read, parse, convert)
        widest = max((pc.max(pc.binary_length(c)).as_py() or 0 for c in table.columns), default=0)
        return table, widest, lines, lone_cr

    yielded = False
    for table, widest, lines, lone_cr in checks.ordered_map(parsed, _blocks(path), workers=workers):
        meter.rows += table.num_rows
        meter.lines += lines
        meter.lone_cr |= lone_cr
        meter.widest = max(meter.widest, widest)
        for batch in table.to_batches():
            yielded = True
            yield batch
    if not yielded:
        yield pa.RecordBatch.from_pylist([], schema=pa.schema([(n, pa.string()) for n in names]))


def _blank(column: str) -> str:
    """SQL: the cell is blank as the connector sees it (None, or str.strip() leaves nothing).
    The cheap comparisons come first; the pattern only runs on text starting with a blank."""
    spaces = "".join(f"\\x{{{ord(c):x}}}" for c in _SPACES)
    return (
        f"({column} IS NULL OR ({column} < '!' OR {column} >= '\u0080' AND {column} < '\u3001')"
        f" AND regexp_full_match({column}, {quote(f'[{spaces}]*')}))"
    )


@dataclass(slots=True)
class _Staged:
    total: int
    dropped: list[int]  # lines of blank records, sorted
    outcome: checks.BulkOutcome


def _stage_and_check(
    con: duckdb.DuckDBPyConnection,
    connector: CsvConnector,
    path: Path,
    *,
    rules: CompiledRules,
    mapping: ColumnMapping,
    today: date,
    workers: int,
) -> _Staged:
    """Stage the file's data rows and check them; BulkUnavailable (before anything else is
    done) when the reader's rows cannot be the connector's records."""
    columns = connector.columns()
    _check_source(connector, path, columns)
    positional = {item: f"c{columns.index(col)}" for item, col in mapping.source_of.items()}
    meter = _Meter()
    # Most rows start with a character that is not blank: kept at once, the rest tested.
    keep = "c0 >= '!' AND (c0 < '\u0080' OR c0 >= '\u3001') OR NOT ("
    keep += " AND ".join(_blank(f"c{i}") for i in range(len(columns))) + ")"
    shape: dict[str, Any] = {"rules": rules, "mapping": positional, "today": today}
    try:
        checks.stage_batch(
            con,
            _batches(connector, path, len(columns), meter, workers),
            table=STAGED,
            first_row=FIRST_ROW,
            keep=keep,
            workers=workers,
            **shape,
        )
    except Exception as exc:  # the reader's verdict: the per-row connector explains it better
        raise BulkUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if meter.lone_cr:
        raise BulkUnavailable("a carriage return without a line feed")
    if meter.rows != meter.lines:
        raise BulkUnavailable(f"{meter.lines} lines, but the reader made {meter.rows} rows")
    if meter.widest >= csv.field_size_limit():
        raise BulkUnavailable("a field longer than the csv module accepts")
    kept = _scalar(con, f"SELECT count(*) FROM {STAGED}")
    dropped = []
    if kept != meter.rows:
        dropped = [
            int(r)
            for (r,) in con.execute(
                f"SELECT r FROM range({FIRST_ROW}, {FIRST_ROW + meter.rows}) AS t(r) "
                f"ANTI JOIN {STAGED} AS s ON s.__row = t.r ORDER BY r"
            ).fetchall()
        ]
    outcome = checks.check_batch(con, source=STAGED, **shape)
    return _Staged(kept, dropped, outcome)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def bulk_connector(connector: object, rules: CompiledRules) -> CsvConnector | None:
    """The connector when a batch may try the bulk path: a CSV file and rules it can check."""
    if isinstance(connector, CsvConnector) and checks.can_check_in_bulk(rules):
        return connector
    return None


def run_bulk(
    connector: CsvConnector,
    *,
    rules: CompiledRules,
    mapping: ColumnMapping,
    sink: RowSink,
    spool: QuarantineSpool,
    tally: QualityTally,
    encryptor: ColumnEncryptor,
    options: BulkOptions,
    progress: Progress | None = None,
    fail_limit: FailLimit | None = None,
    total_hint: int | None = None,
) -> PipelineOutcome:
    """Check the CSV file of ``connector`` (about ``total_hint`` rows); stage passing rows
    into ``sink``; spool and tally failing ones: what :func:`~.pipeline.run_pipeline` does,
    set by set (see the module doc).

    Raises BulkUnavailable (nothing written: read the file row by row instead) and
    TooManyFailures as the pipeline does (the sink and spool then hold a partial batch that
    the caller must discard).
    """
    path = Path(connector.path)
    if (total_hint or 0) > options.chunk_rows:
        encryptor.warm_up()  # the workers start while the file is read and checked
    with tempfile.TemporaryDirectory(prefix="citybrain-bulk-", dir=options.temp_dir) as spill:
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": f"{options.memory_mb}MB",
            "temp_directory": spill,
        }
        con = duckdb.connect(config=config)
        try:
            staged = _stage_and_check(
                con,
                connector,
                path,
                rules=rules,
                mapping=mapping,
                today=options.today,
                workers=options.threads,
            )
            failed = _quarantine(con, staged, rules, connector.columns(), mapping, spool, tally,
                                 fail_limit)  # fmt: skip
            if progress is not None:
                progress(failed, staged.total)
            _stage_passing(con, staged, rules, sink, encryptor, options.chunk_rows, failed,
                           progress)  # fmt: skip
        finally:
            con.close()
    if progress is not None:
        progress(staged.total, staged.total)
    tally.total = staged.total
    return PipelineOutcome(staged.total, staged.outcome.passed, None, 0)


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    staged: _Staged,
    rules: CompiledRules,
    columns: list[str],
    mapping: ColumnMapping,
    spool: QuarantineSpool,
    tally: QualityTally,
    fail_limit: FailLimit | None,
) -> int:
    """Tally and spool the failed rows in row order, stopping as the pipeline would; the
    number of failed rows."""
    index_of = {column: i for i, column in enumerate(columns)}
    raw_index = {item: index_of[column] for item, column in mapping.source_of.items()}
    extra = [f"c{i}" for i in range(len(columns))]
    failed = 0
    for row in checks.failed_rows(con, staged.outcome, rules, extra=extra):
        failed += 1
        problems = [Problem(item, kind, reason) for item, kind, reason in row.problems]
        values = dict(zip(columns, row.extra, strict=True))
        tally.add_failure(row.row, problems, {i: row.extra[c] for i, c in raw_index.items()})
        spool.add(row.row, values, [p.as_dict(tally.titles) for p in problems])
        if fail_limit is None:
            continue
        checked = row.row - FIRST_ROW + 1 - bisect.bisect_left(staged.dropped, row.row)
        if checked >= fail_limit.after and failed > fail_limit.share * checked:
            tally.total = checked
            raise TooManyFailures(
                row=row.row, checked=checked, failed=failed, share=fail_limit.share
            )
    return failed


def _stage_passing(
    con: duckdb.DuckDBPyConnection,
    staged: _Staged,
    rules: CompiledRules,
    sink: RowSink,
    encryptor: ColumnEncryptor,
    chunk_rows: int,
    failed: int,
    progress: Progress | None,
) -> None:
    """The passing rows, a chunk at a time, through the encryption into ``sink``."""
    resource = rules.resource
    names = [f.item.name for f in rules.fields]
    slots = [
        Slot(f.item.name, f.item.sensitive, field_context(resource.code, f.item.name))
        for f in rules.fields
    ]
    key_index = names.index(resource.key_item) if resource.key_item else None
    version_index = names.index(resource.version_item) if resource.version_item else None
    writer = ChunkWriter(
        slots,
        sink=sink,
        encryptor=encryptor,
        key_index=key_index,
        version_index=version_index,
        row_key=_no_row_key,
        chunk_rows=chunk_rows,
    )
    selected = [f"v{i} AS {ident(name)}" for i, name in enumerate(names)]
    if key_index is None:  # the pipeline's row key text (chunks.row_key_text), hashed later
        parts = ", ".join(f"coalesce(v{i}, chr(0))" for i in range(len(names)))
        selected.append(f"concat_ws(chr(31), {parts}) AS {ROW_KEY_TEXT}")
    elif slots[key_index].sensitive:
        selected.append("NULL::VARCHAR AS _key")  # the blind index, once encrypted
    else:
        selected.append(f"v{key_index} AS _key")
    selected.append(f"v{version_index}" if version_index is not None else "NULL::VARCHAR")
    selected[-1] += " AS _version"
    selected.append("__row::VARCHAR AS _source_row")
    query = f"SELECT {', '.join(selected)} FROM ({staged.outcome.passing_sql})"
    reader = con.sql(query).to_arrow_reader(chunk_rows)
    passed, done = staged.outcome.passed, 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        done += batch.num_rows
        writer.add_chunk(
            {name: batch.column(name) for name in batch.schema.names}, more=done < passed
        )
        if progress is not None:
            progress(failed + done, staged.total)
    writer.finish()


def _no_row_key(text: str) -> str:  # pragma: no cover - bulk chunks carry ROW_KEY_TEXT
    raise AssertionError("bulk chunks are keyed through the encryptor")
