"""Working days and working hours with China's statutory holidays and 调休 (make-up workdays).

Time limits of 12345 tickets, 办件 and 督办 are counted in working days ("3 个工作日内办结") or
working hours ("2 个工作小时内签收"): weekends and statutory holidays do not count, but a
Saturday or Sunday that the State Council's annual notice turns into a workday (调休上班) does.
No calendar library knows 调休, so the rule is kept here, pure and without I/O:

- :class:`WorkCalendar` holds the holidays and the make-up workdays; a day is a working day if
  it is a make-up workday, else if it is not a holiday and falls Monday to Friday.
- Day limits follow the usual reading of "N 个工作日内": the day of receipt does not count, and
  the limit ends when the N-th working day after it ends (:meth:`WorkCalendar.due_after_days`).
- Hour limits count only office hours (default 08:30–12:00 and 14:30–18:00, configurable,
  since counties set their own, and summer and winter hours differ).

:data:`STATUTORY` holds the arrangements of the notices of 国务院办公厅 for 2025 (国办发明电
〔2024〕12号) and 2026 (国办发明电〔2025〕7号); a bureau edits or extends them as each year's
notice is published (the event hub stores its own copy as configuration).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True, slots=True)
class YearArrangement:
    year: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]  # weekend days that are worked (调休上班)


STATUTORY: Final[tuple[YearArrangement, ...]] = (
    YearArrangement(
        2025,
        holidays=(
            date(2025, 1, 1),
            *_span(date(2025, 1, 28), date(2025, 2, 4)),  # 春节
            *_span(date(2025, 4, 4), date(2025, 4, 6)),  # 清明节
            *_span(date(2025, 5, 1), date(2025, 5, 5)),  # 劳动节
            *_span(date(2025, 5, 31), date(2025, 6, 2)),  # 端午节
            *_span(date(2025, 10, 1), date(2025, 10, 8)),  # 国庆节、中秋节
        ),
        workdays=(
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
        ),
    ),
    YearArrangement(
        2026,
        holidays=(
            *_span(date(2026, 1, 1), date(2026, 1, 3)),  # 元旦
            *_span(date(2026, 2, 15), date(2026, 2, 23)),  # 春节
            *_span(date(2026, 4, 4), date(2026, 4, 6)),  # 清明节
            *_span(date(2026, 5, 1), date(2026, 5, 5)),  # 劳动节
            *_span(date(2026, 6, 19), date(2026, 6, 21)),  # 端午节
            *_span(date(2026, 9, 25), date(2026, 9, 27)),  # 中秋节
            *_span(date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
        ),
        workdays=(
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        ),
    ),
)

DEFAULT_OFFICE_HOURS: Final = ((time(8, 30), time(12, 0)), (time(14, 30), time(18, 0)))
# A guard against a calendar that has no working day at all (every day a holiday).
_MAX_SCAN_DAYS: Final = 3_660


class CalendarError(ValueError):
    """A calendar or a limit that cannot be used (overlapping office hours, a day both holiday
    and workday, a negative limit). ``code`` is stable; the message is Chinese."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    _seconds_per_day: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        both = self.holidays & self.workdays
        if both:
            first = min(both).isoformat()
            raise CalendarError(f"{first} 不能既是节假日又是调休上班日", code="calendar_conflict")
        _check_office_hours(self.office_hours)
        seconds = sum(_seconds(end) - _seconds(start) for start, end in self.office_hours)
        object.__setattr__(self, "_seconds_per_day", seconds)

    @classmethod
    def statutory(
        cls,
        arrangements: Iterable[YearArrangement] = STATUTORY,
        *,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
    ) -> WorkCalendar:
        holidays: set[date] = set()
        workdays: set[date] = set()
        for arrangement in arrangements:
            holidays.update(arrangement.holidays)
            workdays.update(arrangement.workdays)
        return cls(frozenset(holidays), frozenset(workdays), tuple(office_hours))

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day not in self.holidays and day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError("日历中找不到工作日", code="calendar_no_working_day")

    def due_after_days(self, received: datetime, days: int) -> datetime:
        """The end of the ``days``-th working day after the day of ``received`` (the day of
        receipt does not count): the moment a "N 个工作日内" limit runs out. 0 days: the end of
        the day of receipt."""
        if days < 0:
            raise CalendarError("时限不能为负数", code="limit_negative")
        day = received.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return self._end_of(day, received)

    def due_after_hours(self, received: datetime, hours: float) -> datetime:
        """The moment ``hours`` office hours after ``received`` have passed, counting only office
        hours of working days. Time received outside office hours starts counting at the next
        opening."""
        if hours < 0:
            raise CalendarError("时限不能为负数", code="limit_negative")
        remaining = timedelta(hours=hours)
        day, moment = received.date(), received.time()
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for start, end in self.office_hours:
                    begin = max(moment, start)
                    if begin >= end:
                        continue
                    available = _delta(begin, end)
                    if remaining <= available:
                        return datetime.combine(day, begin, received.tzinfo) + remaining
                    remaining -= available
            day, moment = day + timedelta(days=1), time(0, 0)
        raise CalendarError("日历中找不到工作日", code="calendar_no_working_day")

    def working_days_between(self, first: date, last: date) -> int:
        """Working days in ``first``..``last``, both included (0 when last < first)."""
        return sum(1 for d in _span(first, last) if self.is_working_day(d)) if last >= first else 0

    def office_seconds_between(self, start: datetime, end: datetime) -> int:
        """Office time between two moments, in seconds (0 when end <= start): how much of a
        working-hour limit has been used."""
        if end <= start:
            return 0
        total = 0
        for day in _span(start.date(), end.date()):
            if not self.is_working_day(day):
                continue
            low = start.time() if day == start.date() else time(0, 0)
            for open_at, close_at in self.office_hours:
                begin = max(low, open_at)
                finish = min(end.time(), close_at) if day == end.date() else close_at
                if finish > begin:
                    total += _seconds(finish) - _seconds(begin)
        return total

    def _end_of(self, day: date, like: datetime) -> datetime:
        return datetime.combine(day, self.office_hours[-1][1], like.tzinfo)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _delta(start: time, end: time) -> timedelta:
    return timedelta(seconds=_seconds(end) - _seconds(start))


def _check_office_hours(hours: Sequence[tuple[time, time]]) -> None:
    if not hours:
        raise CalendarError("至少需要一段办公时间", code="office_hours_empty")
    previous_end = time(0, 0)
    for index, (start, end) in enumerate(hours):
        if start >= end:
            raise CalendarError(f"第 {index + 1} 段办公时间开始不早于结束", code="office_hours_bad")
        if index and start < previous_end:
            raise CalendarError("办公时间段重叠或未按时间先后排列", code="office_hours_overlap")
        previous_end = end


__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "STATUTORY",
    "CalendarError",
    "WorkCalendar",
    "YearArrangement",
]
