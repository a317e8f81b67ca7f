"""The ingest hot path: source records → rule checks → staged hub rows or quarantined rows.

No session and no ORM here: the caller hands in the compiled rules, the column mapping, the
field cipher and a sink (the hub staging area). Per row the work is a dictionary lookup and a
few check closures per field. Passing rows go to a :class:`~.chunks.ChunkWriter`, which encrypts
the sensitive columns of every ``chunk_rows`` rows (in worker processes for large batches) and
appends them to the sink; failing rows are encrypted and spooled to a temporary file, so memory
stays flat however bad the source is.

A connector error that concerns the structure of the source (ragged row, bad CSV, bad
encoding, a header problem, a record that is not an object) is raised as is: the caller rejects
the whole batch. A cell the connector could not read (formula error, a number Excel truncated)
only fails its row.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Final

from citybrain.analytics.hub import HubColumn, HubTableSpec
from citybrain.core.crypto import FieldCipher
from citybrain.core.errors import BadInput
from citybrain.datahub.ingest.chunks import BIDX_SUFFIX, ChunkWriter, RowSink, Slot
from citybrain.datahub.ingest.connectors import ConnectorError, SourceRecord
from citybrain.datahub.ingest.connectors import base as connector_codes
from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor, in_process
from citybrain.datahub.ingest.manifest import Sm3Stream
from citybrain.datahub.ingest.mapping import ColumnMapping
from citybrain.datahub.quality.checks import DUPLICATE_KEY, CompiledRules, RuleFailure
from citybrain.datahub.quality.report import Problem, QualityTally
from citybrain.datahub.quality.rules import ResourceSpec
from citybrain.datahub.quality.validators import REQUIRED

__all__ = [
    "BIDX_SUFFIX",
    "FATAL_SOURCE_CODES",
    "FailLimit",
    "PipelineOutcome",
    "Progress",
    "QuarantineSpool",
    "RowSink",
    "TooManyFailures",
    "decrypt_quarantined",
    "field_context",
    "hub_spec_for",
    "run_pipeline",
]

Progress = Callable[[int, int | None], None]
FATAL_SOURCE_CODES: Final = frozenset(
    {
        connector_codes.RAGGED_ROW,
        connector_codes.BAD_CSV,
        connector_codes.BAD_ENCODING,
        connector_codes.BAD_JSON,
        connector_codes.BAD_RECORD,
        connector_codes.MISSING_HEADER,
        connector_codes.DUPLICATE_HEADER,
    }
)
HUB_TYPES_BY_ITEM: Final = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
QUARANTINE_CONTEXT: Final = "ingest_quarantine_row"
PROGRESS_EVERY: Final = 1000


def field_context(resource_code: str, item_name: str) -> str:
    """Associated data binding an encrypted hub value to its column (needed to decrypt it)."""
    return f"{resource_code}/{item_name}"


def hub_spec_for(resource: ResourceSpec) -> HubTableSpec:
    """The hub table of a resource: item columns typed from the catalog; sensitive items as
    ciphertext (VARCHAR) plus ``<name>__bidx``. Raises BadInput ``bad_version_item`` when the
    version item is sensitive (its ciphertext could not be compared)."""
    columns: list[HubColumn] = []
    for item in resource.items:
        if item.sensitive:
            columns += [
                HubColumn(item.name, "VARCHAR"),
                HubColumn(item.name + BIDX_SUFFIX, "VARCHAR"),
            ]
        else:
            columns.append(HubColumn(item.name, HUB_TYPES_BY_ITEM.get(item.type, "VARCHAR")))
    version_type = "BIGINT"
    if resource.version_item:
        version = resource.item(resource.version_item)
        if version.sensitive:
            raise BadInput(
                f"版本信息项 {version.name} 是加密存储的敏感项，不能用作记录版本",
                code="bad_version_item",
                detail=version.name,
            )
        version_type = HUB_TYPES_BY_ITEM.get(version.type, "VARCHAR")
    return HubTableSpec(resource.code, tuple(columns), version_type)


class QuarantineSpool:
    """Failed rows, encrypted one by one, in a temporary file until the batch is recorded.

    At most ``keep`` rows are kept (None: all); the others are only counted (``count`` is every
    failed row, ``omitted`` those not kept), so a source of a million bad rows cannot fill
    the operational database."""

    def __init__(self, cipher: FieldCipher, *, keep: int | None = None) -> None:
        self._cipher = cipher
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by close()
        self._keep = keep
        self.count = 0
        self.kept = 0

    @property
    def omitted(self) -> int:
        return self.count - self.kept

    def add(
        self, row: int, values: Mapping[str, str | None], problems: list[dict[str, str]]
    ) -> None:
        self.count += 1
        if self._keep is not None and self.kept >= self._keep:
            return
        token = self._cipher.encrypt(
            json.dumps(values, ensure_ascii=False), context=QUARANTINE_CONTEXT
        )
        self._file.write(json.dumps([row, token, problems], ensure_ascii=False) + "\n")
        self.kept += 1

    def __iter__(self) -> Iterator[tuple[int, str, str]]:
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            row, token, problems = json.loads(line)
            yield int(row), str(token), json.dumps(problems, ensure_ascii=False)

    def close(self) -> None:
        self._file.close()


def decrypt_quarantined(cipher: FieldCipher, token: str) -> dict[str, str | None]:
    """The raw values of a quarantined row (for the owning department's download only)."""
    values = json.loads(cipher.decrypt(token, context=QUARANTINE_CONTEXT))
    return {str(k): (None if v is None else str(v)) for k, v in values.items()}


class TooManyFailures(Exception):
    """More than the allowed share of the rows checked so far failed: the batch stops here."""

    code: Final = "too_many_failures"

    def __init__(self, *, row: int, checked: int, failed: int, share: float) -> None:
        super().__init__(f"{failed} of {checked} rows failed")
        self.row, self.checked, self.failed, self.share = row, checked, failed, share
        self.message_zh = (
            f"已检查 {checked} 行，其中 {failed} 行未通过校验，超过 {share:.0%} 上限，"
            f"已在第 {row} 行提前停止归集，数据未入库；请按质量报告修正后重新上传"
        )


@dataclass(frozen=True, slots=True)
class FailLimit:
    """Stop once more than ``share`` of the rows failed, after at least ``after`` rows."""

    share: float
    after: int


@dataclass(slots=True)
class PipelineOutcome:
    total: int
    passed: int
    row_checksum: str | None  # SM3 of the canonical source rows, when asked for
    ignored: int  # records the selector left out (resubmissions)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    column: str | None
    required: bool
    steps: tuple[tuple[str, Callable[[str], str]], ...]
    sensitive: bool
    context: str


def run_pipeline(
    records: Iterable[SourceRecord],
    *,
    rules: CompiledRules,
    mapping: ColumnMapping,
    cipher: FieldCipher,
    sink: RowSink,
    spool: QuarantineSpool,
    tally: QualityTally,
    progress: Progress | None = None,
    total_hint: int | None = None,
    chunk_rows: int = 50_000,
    hash_rows: bool = False,
    select: Callable[[SourceRecord], int | None] | None = None,
    encryptor: ColumnEncryptor | None = None,
    row_key: Callable[[str], str] | None = None,
    fail_limit: FailLimit | None = None,
) -> PipelineOutcome:
    """Check every record; stage passing rows into ``sink``; spool and tally failing ones.

    ``select`` (resubmissions) maps a record to the row number it stands for, or None to leave
    it out. ``encryptor`` encrypts sensitive columns (in-process by default); ``row_key`` keys
    rows of a resource without a key item (default: the cipher's blind index of the row).
    Raises ConnectorError for structural source errors (see the module doc) and
    TooManyFailures when ``fail_limit`` is passed; the sink and spool then hold a partial
    batch that the caller must discard.
    """
    resource = rules.resource
    fields = [
        _Field(
            fc.item.name,
            mapping.source_of.get(fc.item.name),
            fc.required,
            tuple((kind.value, step) for kind, step in fc.steps),
            fc.item.sensitive,
            field_context(resource.code, fc.item.name),
        )
        for fc in rules.fields
    ]
    unique = [(i, set[str]()) for i, fc in enumerate(rules.fields) if fc.unique]
    names = [f.name for f in fields]
    key_index = names.index(resource.key_item) if resource.key_item else None
    version_index = names.index(resource.version_item) if resource.version_item else None
    writer = ChunkWriter(
        [Slot(f.name, f.sensitive, f.context) for f in fields],
        sink=sink,
        encryptor=encryptor or in_process(cipher),
        key_index=key_index,
        version_index=version_index,
        row_key=row_key or cipher.blind_index,
        chunk_rows=chunk_rows,
    )
    digest = Sm3Stream() if hash_rows else None
    total = passed = ignored = 0
    for record in records:
        row = record.row
        if select is not None:
            chosen = select(record)
            if chosen is None:
                ignored += 1
                continue
            row = chosen
        total += 1
        values = record.values
        if digest is not None:
            digest.update(json.dumps(list(values.items()), ensure_ascii=False).encode() + b"\n")
        problems: list[Problem] | None = None
        if record.error is not None:
            problems = [_source_problem(record.error, mapping)]
        canonical: list[str | None] = []
        for f in fields:
            raw = values.get(f.column) if f.column is not None else None
            text = raw.strip() if raw else ""
            if not text:
                if f.required:
                    problems = (problems or []) + [Problem(f.name, "required", REQUIRED)]
                canonical.append(None)
                continue
            kind = ""
            try:
                for kind, step in f.steps:  # noqa: B007 - `kind` names the failed step below
                    text = step(text)
            except RuleFailure as failure:
                problems = (problems or []) + [Problem(f.name, kind, failure.reason)]
                canonical.append(None)
                continue
            canonical.append(text)
        if problems is None:
            for index, seen in unique:
                value = canonical[index]
                if value is not None and value in seen:
                    problems = [Problem(fields[index].name, "unique", DUPLICATE_KEY)]
                    break
        if problems is not None:
            _quarantine(row, values, problems, fields, spool, tally)
            failed = total - passed
            if (
                fail_limit is not None
                and total >= fail_limit.after
                and failed > fail_limit.share * total
            ):
                tally.total = total
                raise TooManyFailures(row=row, checked=total, failed=failed, share=fail_limit.share)
        else:
            for index, seen in unique:
                value = canonical[index]
                if value is not None:
                    seen.add(value)
            writer.add(row, canonical)
            passed += 1
        if progress is not None and total % PROGRESS_EVERY == 0:
            progress(total, total_hint)
    writer.finish()
    if progress is not None:
        progress(total, total)
    tally.total = total
    return PipelineOutcome(total, passed, digest.hexdigest() if digest else None, ignored)


def _source_problem(error: ConnectorError, mapping: ColumnMapping) -> Problem:
    if error.code in FATAL_SOURCE_CODES:
        raise error
    item = next((i for i, c in mapping.source_of.items() if c == error.field), error.field or "")
    return Problem(item, "source", error.code)


def _quarantine(
    row: int,
    values: Mapping[str, str | None],
    problems: list[Problem],
    fields: Sequence[_Field],
    spool: QuarantineSpool,
    tally: QualityTally,
) -> None:
    raw_by_item = {f.name: values.get(f.column) for f in fields if f.column is not None}
    tally.add_failure(row, problems, raw_by_item)
    spool.add(row, values, [p.as_dict(tally.titles) for p in problems])
