"""Pure slot arithmetic of schedules (no I/O): which slot is current, how many were missed.

A slot is the instant a schedule is due: a multiple of ``every`` since the epoch, or a minute
that a cron expression matches (Huey's ``crontab``) in the configured time zone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from huey import crontab

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How far back a cron schedule is searched for its current slot or its missed ones: a weekly
# schedule is found, and a week-long outage is reported as missed without walking a year.
CRON_LOOKBACK = timedelta(days=8)
MISSED_CAP = 10_000


@dataclass(frozen=True, slots=True)
class Cadence:
    """Either ``every`` (a fixed interval) or ``cron`` ("minute hour day month weekday")."""

    every: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (self.cron is None):
            raise ValueError("a cadence is either every=... or cron=...")
        if self.every is not None and self.every <= timedelta(0):
            raise ValueError("every must be positive")
        if self.cron is not None and len(self.cron.split()) != 5:
            raise ValueError("cron needs five fields: minute hour day month weekday")

    def describe(self) -> str:
        """Chinese, for the schedules page."""
        if self.every is not None:
            seconds = int(self.every.total_seconds())
            for unit, size in (("天", 86400), ("小时", 3600), ("分钟", 60)):
                if seconds % size == 0:
                    return f"每 {seconds // size} {unit}"
            return f"每 {seconds} 秒"
        return f"定时 {self.cron}"


def _matcher(cron: str) -> Callable[[datetime], bool]:
    minute, hour, day, month, weekday = cron.split()
    test: Callable[[datetime], bool] = crontab(minute, hour, day, month, weekday, strict=True)
    return test


def current_slot(cadence: Cadence, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The latest slot at or before ``now`` (UTC), or None when a cron matched nothing within
    :data:`CRON_LOOKBACK`."""
    if cadence.every is not None:
        step = cadence.every
        return _EPOCH + ((now - _EPOCH) // step) * step
    assert cadence.cron is not None  # noqa: S101 - __post_init__ guarantees one of the two
    test = _matcher(cadence.cron)
    minute = now.astimezone(tz).replace(second=0, microsecond=0)
    earliest = minute - CRON_LOOKBACK
    while minute >= earliest:
        if test(minute.replace(tzinfo=None)):
            return minute.astimezone(UTC)
        minute -= timedelta(minutes=1)
    return None


def slots_between(cadence: Cadence, after: datetime, before: datetime, tz: ZoneInfo) -> int:
    """How many slots lie strictly between ``after`` and ``before`` (capped at
    :data:`MISSED_CAP`; a cron is searched within :data:`CRON_LOOKBACK` of ``before``)."""
    if before <= after:
        return 0
    if cadence.every is not None:
        first = current_slot(cadence, after, tz)
        assert first is not None  # noqa: S101 - an interval always has a slot
        count = (before - first) // cadence.every - 1
        return max(0, min(int(count), MISSED_CAP))
    assert cadence.cron is not None  # noqa: S101
    test = _matcher(cadence.cron)
    start = max(after, before - CRON_LOOKBACK).astimezone(tz)
    minute = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    end = before.astimezone(tz)
    count = 0
    while minute < end and count < MISSED_CAP:
        if minute > after and test(minute.replace(tzinfo=None)):
            count += 1
        minute += timedelta(minutes=1)
    return count


def next_slot(cadence: Cadence, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The first slot after ``now`` (a cron is searched within :data:`CRON_LOOKBACK`)."""
    if cadence.every is not None:
        current = current_slot(cadence, now, tz)
        assert current is not None  # noqa: S101 - an interval always has a slot
        return current + cadence.every
    assert cadence.cron is not None  # noqa: S101
    test = _matcher(cadence.cron)
    minute = now.astimezone(tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
    latest = minute + CRON_LOOKBACK
    while minute <= latest:
        if test(minute.replace(tzinfo=None)):
            return minute.astimezone(UTC)
        minute += timedelta(minutes=1)
    return None
