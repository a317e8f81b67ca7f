"""Passing rows → per-column chunks → sensitive columns encrypted → the hub staging sink.

Rows are appended to plain Python lists (one per hub column). A full chunk goes to the
:class:`~citybrain.datahub.ingest.crypto_pool.ColumnEncryptor`; when its tokens and blind
indexes come back they replace the plaintext and the chunk is appended to the sink. At most a
few chunks are in flight, so memory stays bounded while workers encrypt.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Final, Protocol

from citybrain.datahub.ingest.crypto_pool import ColumnEncryptor, Job, Result, chunks_in_flight

BIDX_SUFFIX: Final = "__bidx"
Columns = dict[str, list[str | None]]


class RowSink(Protocol):
    def append(self, columns: Mapping[str, Sequence[str | None]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Slot:
    """One item column: its name, whether it is stored encrypted, and its cipher context."""

    name: str
    sensitive: bool
    context: str


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
            key = self._row_key("\x1f".join(v if v is not None else "\x00" for v in canonical))
        else:
            key = None if self._key_sensitive else canonical[key_index]  # sensitive: the bidx
        self._columns["_key"].append(key)
        version = self._version_index
        self._columns["_version"].append(canonical[version] if version is not None else None)
        self._columns["_source_row"].append(str(row))
        self.size += 1
        if self.size >= self._chunk_rows:
            self._encryptor.start_pool()  # more than one chunk: worth the worker processes
            self._flush()

    def _flush(self) -> None:
        columns = self._columns
        job: Job = [(s.context, columns[s.name]) for s in self._slots if s.sensitive]
        self._reset()
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
        if self._key_sensitive and self._key_index is not None:
            columns["_key"] = columns[self._slots[self._key_index].name + BIDX_SUFFIX]
        self._sink.append(columns)

    def finish(self) -> None:
        """Flush the last rows and wait for every chunk to reach the sink."""
        if self.size:
            self._flush()
        while self._pending:
            self._drain_one()
