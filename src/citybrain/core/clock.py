"""The one source of "now" so that tests can inject a clock (lockout, idle timeouts, expiry)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731 - swapped by tests


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return _now()


class FrozenClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@contextmanager
def frozen(start: datetime | None = None) -> Iterator[FrozenClock]:
    global _now
    clock = FrozenClock(start or datetime.now(UTC))
    previous, _now = _now, clock
    try:
        yield clock
    finally:
        _now = previous


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)
