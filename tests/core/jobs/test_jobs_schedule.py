"""Slot arithmetic of schedules: intervals, crons in Beijing time, missed counts, next slots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from citybrain.core.jobs.schedule import Cadence, current_slot, next_slot, slots_between

BEIJING = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_interval_slots_are_multiples_of_the_interval() -> None:
    every = Cadence(every=timedelta(minutes=15))
    assert current_slot(every, at("2026-12-07 10:44:59"), BEIJING) == at("2026-12-07 10:30")
    assert current_slot(every, at("2026-12-07 10:45:00"), BEIJING) == at("2026-12-07 10:45")
    assert next_slot(every, at("2026-12-07 10:44:59"), BEIJING) == at("2026-12-07 10:45")


def test_interval_missed_slots_lie_strictly_between() -> None:
    every = Cadence(every=timedelta(minutes=1))
    last, now = at("2026-12-07 10:00"), at("2026-12-07 10:05")
    assert slots_between(every, last, now, BEIJING) == 4  # 10:01 .. 10:04
    assert slots_between(every, last, at("2026-12-07 10:01"), BEIJING) == 0
    assert slots_between(every, now, last, BEIJING) == 0


def test_cron_is_read_in_beijing_time() -> None:
    nightly = Cadence(cron="30 3 * * *")  # 03:30 Beijing = 19:30 UTC the day before
    assert current_slot(nightly, at("2026-12-07 12:00"), BEIJING) == at("2026-12-06 19:30")
    assert next_slot(nightly, at("2026-12-07 12:00"), BEIJING) == at("2026-12-07 19:30")
    assert slots_between(nightly, at("2026-12-03 19:30"), at("2026-12-06 19:30"), BEIJING) == 2


def test_cron_that_never_matches_within_the_lookback_has_no_slot() -> None:
    leap_day = Cadence(cron="0 0 29 2 *")
    assert current_slot(leap_day, at("2026-12-07 12:00"), BEIJING) is None


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [({"every": timedelta(minutes=1)}, "每 1 分钟"), ({"every": timedelta(hours=2)}, "每 2 小时")],
)
def test_describe_in_chinese(kwargs: dict[str, timedelta], text: str) -> None:
    assert Cadence(**kwargs).describe() == text


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"every": timedelta(0)}, {"cron": "* * *"}, {"every": timedelta(1), "cron": "* * * * *"}],
)
def test_bad_cadences_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"cadence|every|cron"):
        Cadence(**kwargs)  # type: ignore[arg-type]
