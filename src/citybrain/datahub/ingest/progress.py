"""In-memory progress of running batches, for the web (writing progress into the batch row
every few rows would hold the SQLite write lock for the whole load)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

_lock = threading.Lock()
_registry: dict[int, tuple[int, int | None, bool]] = {}
_KEEP_FINISHED = 1000  # the batch row holds the outcome; old finished entries are dropped


@dataclass(frozen=True, slots=True)
class Progress:
    done: int
    total: int | None
    finished: bool


def update(batch_id: int, done: int, total: int | None) -> None:
    with _lock:
        _registry[batch_id] = (done, total, False)


def finish(batch_id: int) -> None:
    with _lock:
        done, total, _ = _registry.get(batch_id, (0, None, False))
        _registry[batch_id] = (done, total if total is not None else done, True)
        finished = [key for key, entry in _registry.items() if entry[2]]
        for key in finished[: max(len(finished) - _KEEP_FINISHED, 0)]:
            del _registry[key]


def get(batch_id: int) -> Progress | None:
    """The last known progress of a batch run by this process, else None."""
    with _lock:
        entry = _registry.get(batch_id)
    return Progress(*entry) if entry else None


def forget(batch_id: int) -> None:
    with _lock:
        _registry.pop(batch_id, None)
