"""Encrypting the sensitive columns of staged chunks, in worker processes for large batches.

SM4-GCM encryption and the HMAC-SM3 blind index of every ID and phone number cost more than
reading and checking the whole row, and ``cryptography`` holds the GIL while it works, so
threads would not help. A batch that fills more than one chunk therefore hands each full chunk
to a small process pool (``CITYBRAIN_INGEST_CRYPTO_WORKERS``) while the main process goes on
reading and checking the next one; smaller batches encrypt in-process and start no process.
The workers use :class:`~citybrain.core.crypto.FieldCipher` itself (built from the same keys in
each worker), so the token format stays the core's.

Workers are *spawned* (a fork would copy a process that holds DuckDB threads and connections).
As with any spawned process, Python imports the main script again in each worker: the
``citybrain`` CLI, the web server, pytest and the benchmark guard theirs with
``if __name__ == "__main__"``; an ad-hoc script must do the same or set
``CITYBRAIN_INGEST_CRYPTO_WORKERS=0``. If the pool breaks, the chunk is encrypted in-process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final

import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information

from citybrain.core.crypto import FieldCipher

Column = list[str | None]
Texts = Any  # a Column, or an Arrow string array (converted where it is encrypted)
Job = list[tuple[str | None, Texts]]
"""(context, plaintext values) per sensitive column; a None context asks for the keyed hash
of each text as it is instead (the keys of rows of a resource without a key item)."""
Result = list[tuple[Texts, Texts]]
"""(tokens, blind indexes) per job column (for a None context: nothing, keyed hashes); Arrow
string arrays when they come back from a worker process (they cross it as buffers)."""

_worker_cipher: FieldCipher | None = None
_SPAWN: Final = multiprocessing.get_context("spawn")  # no fork of a process holding DuckDB


def encrypt_columns(cipher: FieldCipher, job: Job) -> Result:
    """Tokens (context bound) and blind indexes of every value, a column at a time through the
    cipher's batch methods (one CSPRNG call per column, the index key set up once); None stays
    None."""
    result: Result = []
    for context, texts in job:
        values: Column = texts if isinstance(texts, list) else texts.to_pylist()
        if context is None:
            hashes: Column = []
            hashes.extend(cipher.keyed_hash_many([v or "" for v in values]))
            result.append(([], hashes))
        else:
            result.append(
                (cipher.encrypt_many(values, context=context), cipher.blind_index_many(values))
            )
    return result


def _init_worker(encryption_key: bytes, index_key: bytes) -> None:
    global _worker_cipher
    _worker_cipher = FieldCipher(encryption_key=encryption_key, index_key=index_key)


def _work(job: Job) -> Result:
    if _worker_cipher is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker cipher not initialised")
    return [
        (pa.array(tokens, pa.string()), pa.array(indexes, pa.string()))
        for tokens, indexes in encrypt_columns(_worker_cipher, job)
    ]


class ColumnEncryptor:
    """``submit(job)`` → a future of its result; in-process until :meth:`start_pool`."""

    def __init__(
        self, cipher: FieldCipher, *, keys: tuple[bytes, bytes] | None, workers: int
    ) -> None:
        self._cipher = cipher
        self._keys = keys
        self._workers = workers if keys is not None else 0
        self._pool: ProcessPoolExecutor | None = None

    @property
    def parallel(self) -> int:
        return self._workers if self._pool is not None else 0

    def start_pool(self) -> None:
        """Use worker processes from now on (no-op without workers or keys)."""
        if self._pool is None and self._workers > 0 and self._keys is not None:
            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=_SPAWN, initializer=_init_worker, initargs=self._keys
            )

    def warm_up(self) -> None:
        """Start the worker processes now (they import their modules while the caller goes
        on) rather than with the first chunk."""
        self.start_pool()
        if self._pool is not None:
            for _ in range(self._workers):
                self._pool.submit(_work, [])

    def submit(self, job: Job) -> Future[Result]:
        if self._pool is not None:
            try:
                return self._pool.submit(_work, job)
            except BrokenProcessPool:  # a worker died or could not start: carry on in-process
                self.close()
        done: Future[Result] = Future()
        done.set_result(encrypt_columns(self._cipher, job))
        return done

    def result(self, future: Future[Result], job: Job) -> Result:
        """The future's result; a chunk whose worker died is encrypted in-process instead."""
        try:
            return future.result()
        except BrokenProcessPool:
            self.close()
            return encrypt_columns(self._cipher, job)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._workers = 0  # once closed (or broken), the rest of the batch stays in-process


def in_process(cipher: FieldCipher) -> ColumnEncryptor:
    return ColumnEncryptor(cipher, keys=None, workers=0)


def chunks_in_flight(encryptor: ColumnEncryptor) -> int:
    """How many chunks may wait for encryption before the reader waits (memory bound)."""
    return encryptor.parallel + 1
