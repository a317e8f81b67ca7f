"""Working days with 调休: the statutory arrangements of 2025 and 2026, day and hour limits
across weekends, holidays and make-up workdays, and the invariants that tie the functions
together over every receipt time of two years."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest

from citybrain.core.workdays import STATUTORY, CalendarError, WorkCalendar, YearArrangement

CAL = WorkCalendar.statutory()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 14), True),  # Saturday, 调休上班 before 春节
        (date(2026, 2, 15), False),  # Sunday, 春节
        (date(2026, 2, 16), False),  # Monday, 春节
        (date(2026, 2, 23), False),  # Monday, last day of 春节
        (date(2026, 2, 24), True),  # Tuesday after it
        (date(2026, 2, 28), True),  # Saturday, 调休上班 after 春节
        (date(2026, 1, 4), True),  # Sunday, 调休上班 after 元旦
        (date(2026, 10, 8), True),  # Thursday after 国庆 (7 days in 2026)
        (date(2025, 10, 8), False),  # Wednesday, 国庆中秋 (8 days in 2025)
        (date(2025, 9, 28), True),  # Sunday, 调休上班
        (date(2026, 3, 7), False),  # an ordinary Saturday
        (date(2026, 3, 9), True),  # an ordinary Monday
        (date(2027, 1, 1), True),  # no arrangement loaded for 2027: a plain Friday
    ],
)
def test_working_days_follow_the_notice(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_day_limit_over_spring_festival_counts_the_make_up_saturdays() -> None:
    received = datetime(2026, 2, 13, 10, 0)  # Friday before 春节
    # 2/14 (Sat, worked), then 2/24, 2/25
    assert CAL.due_after_days(received, 3) == datetime(2026, 2, 25, 18, 0)
    assert CAL.due_after_days(received, 1) == datetime(2026, 2, 14, 18, 0)
    assert CAL.due_after_days(received, 0) == datetime(2026, 2, 13, 18, 0)


def test_hour_limit_skips_lunch_nights_and_holidays() -> None:
    # received at 11:00 on a Friday: 1 h until 12:00, then 14:30-15:30
    assert CAL.due_after_hours(datetime(2026, 3, 6, 11, 0), 2) == datetime(2026, 3, 6, 15, 30)
    # received on 2026-04-03 (Friday) 17:00 before 清明: 1 h that day, the rest on Tuesday 4/7
    assert CAL.due_after_hours(datetime(2026, 4, 3, 17, 0), 2) == datetime(2026, 4, 7, 9, 30)
    # received at night: counting starts at the next opening
    assert CAL.due_after_hours(datetime(2026, 3, 9, 22, 0), 0.5) == datetime(2026, 3, 10, 9, 0)


def test_days_between_counts_make_up_days_and_not_holidays() -> None:
    # 2026-09-28 .. 2026-10-11: Mon 9/28-Wed 9/30 (3), 10/1-10/7 off, Thu 10/8, Fri 10/9,
    # Sat 10/10 (worked) => 6
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 10, 11)) == 6
    assert CAL.working_days_between(date(2026, 10, 11), date(2026, 9, 28)) == 0


def _moments() -> list[datetime]:
    start = datetime(2025, 1, 1)
    hours = (0, 8, 9, 11, 12, 13, 15, 17, 18, 23)
    return [
        start + timedelta(days=d, hours=h, minutes=m)
        for d, h, m in itertools.product(range(0, 730, 3), hours, (0, 45))
    ]


@pytest.mark.parametrize("days", [0, 1, 2, 5, 15])
def test_day_limits_land_on_the_nth_working_day(days: int) -> None:
    for received in _moments():
        due = CAL.due_after_days(received, days)
        assert due.time() == time(18, 0)
        if days:
            assert CAL.is_working_day(due.date())
            after = received.date() + timedelta(days=1)
            assert CAL.working_days_between(after, due.date()) == days


@pytest.mark.parametrize("hours", [0.5, 2, 7, 24])
def test_hour_limits_use_exactly_that_much_office_time(hours: float) -> None:
    for received in _moments():
        due = CAL.due_after_hours(received, hours)
        assert due > received
        assert CAL.office_seconds_between(received, due) == int(hours * 3600)
        assert CAL.is_working_day(due.date())


def test_bad_calendars_and_limits_are_refused_with_codes() -> None:
    day = date(2026, 5, 1)
    cases = [
        (lambda: WorkCalendar(frozenset({day}), frozenset({day})), "calendar_conflict"),
        (lambda: WorkCalendar(office_hours=()), "office_hours_empty"),
        (lambda: WorkCalendar(office_hours=((time(9), time(9)),)), "office_hours_bad"),
        (
            lambda: WorkCalendar(
                office_hours=((time(9), time(12)), (time(11), time(17))),
            ),
            "office_hours_overlap",
        ),
        (lambda: CAL.due_after_days(datetime(2026, 1, 5), -1), "limit_negative"),
        (lambda: CAL.due_after_hours(datetime(2026, 1, 5), -1), "limit_negative"),
    ]
    for build, code in cases:
        with pytest.raises(CalendarError) as caught:
            build()
        assert caught.value.code == code


def test_a_calendar_without_working_days_is_refused() -> None:
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(3700))
    with pytest.raises(CalendarError) as caught:
        WorkCalendar(holidays=every_day).due_after_days(datetime(2026, 1, 1), 1)
    assert caught.value.code == "calendar_no_working_day"


def test_statutory_arrangements_put_make_up_days_on_weekends_only() -> None:
    for arrangement in STATUTORY:
        assert all(d.year == arrangement.year for d in arrangement.holidays)
        assert all(d.weekday() >= 5 for d in arrangement.workdays), arrangement.year
        assert not set(arrangement.holidays) & set(arrangement.workdays)


def test_a_county_can_add_next_years_notice() -> None:
    extra = YearArrangement(2027, holidays=(date(2027, 1, 1),), workdays=())
    calendar = WorkCalendar.statutory((*STATUTORY, extra))
    assert not calendar.is_working_day(date(2027, 1, 1))
