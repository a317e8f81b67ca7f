"""Passing rows → per-column chunks → sensitive columns encrypted → the hub staging sink.

Two ways in: the per-row pipeline appends rows one by one (:meth:`ChunkWriter.add`) to plain
Python lists, one per hub column; the bulk path hands over whole chunks of columns read from
DuckDB (:meth:`ChunkWriter.add_chunk`, Arrow arrays). Either way a full chunk goes to the
:class:`~citybrain.datahub.ingest.crypto_pool.ColumnEncryptor`; when its tokens and blind
indexes come back they replace the plaintext and the chunk is appended to the sink. At most a
few chunks are in flight, so memory stays bounded while workers encrypt.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, Protocol

from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor, Job, Result, chunks_in_flight

BIDX_SUFFIX: Final = "__bidx"
ROW_KEY_TEXT: Final = "_key_text"
"""In a bulk chunk of a resource without a key item: the text each row's key is hashed from."""
Columns = dict[str, Any]  # name → list of text (or None), or an Arrow string array


class RowSink(Protocol):
    def append(self, columns: Mapping[str, Sequence[str | None]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Slot:
    """One item column: its name, whether it is stored encrypted, and its cipher context."""

    name: str
    sensitive: bool
    context: str


def row_key_text(canonical: Sequence[str | None]) -> str:
    """What a row of a resource without a key item is keyed by: its canonical values joined
    by U+001F, a missing value written as U+0000 (the bulk path builds the same in SQL)."""
    return "\x1f".join(v if v is not None else "\x00" for v in canonical)


class ChunkWriter:
    """Collects canonical rows and hands full chunks on (see the module doc).

    ``row_key`` keys a row of a resource without a key item (a keyed hash of its canonical
    values, so equal rows merge and no plain hash of an ID number is stored)."""

    def __init__(
        self,
        slots: Sequence[Slot],
        *,
        sink: RowSink,
        encryptor: ColumnEncryptor,
        key_index: int | None,
        version_index: int | None,
        row_key: Callable[[str], str],
        chunk_rows: int,
    ) -> None:
        self._slots = slots
        self._sink = sink
        self._encryptor = encryptor
        self._key_index = key_index
        self._version_index = version_index
        self._key_sensitive = key_index is not None and slots[key_index].sensitive
        self._row_key = row_key
        self._chunk_rows = chunk_rows
        self._pending: deque[tuple[Columns, Job, Future[Result]]] = deque()
        self._columns: Columns = {}
        self._lists: list[list[str | None]] = []
        self.size = 0
        self.chunks = 0
        self._reset()

    def _reset(self) -> None:
        self._columns = {s.name: [] for s in self._slots}
        for name in ("_key", "_version", "_source_row"):
            self._columns[name] = []
        self._lists = [self._columns[s.name] for s in self._slots]
        self.size = 0

    def add(self, row: int, canonical: Sequence[str | None]) -> None:
        for values, value in zip(self._lists, canonical, strict=True):
            values.append(value)
        key_index = self._key_index
        key: str | None
        if key_index is None:
            key = self._row_key(row_key_text(canonical))
        else:
            key = None if self._key_sensitive else canonical[key_index]  # sensitive: the bidx
        self._columns["_key"].append(key)
        version = self._version_index
        self._columns["_version"].append(canonical[version] if version is not None else None)
        self._columns["_source_row"].append(str(row))
        self.size += 1
        if self.size >= self._chunk_rows:
            self._encryptor.start_pool()  # more than one chunk: worth the worker processes
            columns = self._columns
            self._reset()
            self._flush(columns)

    def add_chunk(self, columns: Columns, *, more: bool) -> None:
        """A whole chunk of passing rows: every slot, ``_version`` and ``_source_row`` (text),
        and ``_key`` where the resource has a non-sensitive key item, or
        :data:`ROW_KEY_TEXT` where it has none (the key is hashed with the encryption). Values
        may be Arrow string arrays; sensitive ones are encrypted. ``more``: other chunks
        follow (worth the worker processes)."""
        if more or self.chunks:
            self._encryptor.start_pool()
        self._flush(dict(columns))

    def _flush(self, columns: Columns) -> None:
        job: Job = [(s.context, columns[s.name]) for s in self._slots if s.sensitive]
        if ROW_KEY_TEXT in columns:
            job.append((None, columns.pop(ROW_KEY_TEXT)))
        self.chunks += 1
        self._pending.append((columns, job, self._encryptor.submit(job)))
        while len(self._pending) > chunks_in_flight(self._encryptor):
            self._drain_one()

    def _drain_one(self) -> None:
        columns, job, future = self._pending.popleft()
        result = iter(self._encryptor.result(future, job))
        for slot in self._slots:
            if not slot.sensitive:
                continue
            tokens, indexes = next(result)
            columns[slot.name] = tokens
            columns[slot.name + BIDX_SUFFIX] = indexes
        if len(job) > sum(1 for s in self._slots if s.sensitive):  # the row keys come last
            columns["_key"] = next(result)[1]
        if self._key_sensitive and self._key_index is not None:
            columns["_key"] = columns[self._slots[self._key_index].name + BIDX_SUFFIX]
        self._sink.append(columns)

    def finish(self) -> None:
        """Flush the last rows and wait for every chunk to reach the sink."""
        if self.size:
            columns = self._columns
            self._reset()
            self._flush(columns)
        while self._pending:
            self._drain_one()
