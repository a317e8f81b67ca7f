"""Reads of 运维管理: the run log, a batch's runs, an indicator's durations, and the calendar of
runs (per day: how many ran, failed, timed out or were skipped), scoped like the indicators."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.errors import BadInput
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.indicators import permissions
from citybrain.indicators.models import Indicator, IndicatorRun
from citybrain.indicators.queries import seen_clause
from citybrain.indicators.rules import RunStatus
from citybrain.indicators.schemas import CalendarDay, DurationPoint, RunFilter, RunPage, RunRead
from citybrain.indicators.service import get_indicator

# Runs are stamped in UTC; the calendar is read in Beijing time, where officials work.
BEIJING = timedelta(hours=8)
MAX_CALENDAR_DAYS = 400


def list_runs(session: Session, *, filters: RunFilter, page: PageParams, scope: Scope) -> RunPage:
    query = (
        select(IndicatorRun, Indicator)
        .join(Indicator, Indicator.id == IndicatorRun.indicator_id)
        .where(seen_clause(scope, Indicator.region_code))
        .order_by(IndicatorRun.id.desc())
    )
    if filters.indicator:
        query = query.where(Indicator.code == filters.indicator)
    if filters.status:
        query = query.where(IndicatorRun.status == filters.status)
    if filters.trigger:
        query = query.where(IndicatorRun.trigger == filters.trigger)
    if filters.period:
        query = query.where(
            IndicatorRun.period_from <= filters.period, IndicatorRun.period_to >= filters.period
        )
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.limit(page.size).offset((page.page - 1) * page.size)).all()
    internals = scope.has(permissions.RUN)
    items = [run_read(run, row, internals=internals) for run, row in rows]
    return RunPage(items=items, total=total, page=page.page, size=page.size)


def batch_runs(session: Session, batch_key: str, *, scope: Scope) -> list[RunRead]:
    """The runs of one batch in their order (what a re-run request queued)."""
    rows = session.execute(
        select(IndicatorRun, Indicator)
        .join(Indicator, Indicator.id == IndicatorRun.indicator_id)
        .where(IndicatorRun.batch_key == batch_key, seen_clause(scope, Indicator.region_code))
        .order_by(IndicatorRun.position)
    ).all()
    internals = scope.has(permissions.RUN)
    return [run_read(run, row, internals=internals) for run, row in rows]


def run_read(run: IndicatorRun, row: Indicator, *, internals: bool) -> RunRead:
    return RunRead(
        id=run.id,
        indicator_code=row.code,
        indicator_name=row.name,
        revision=run.revision,
        batch_key=run.batch_key,
        trigger=run.trigger,
        period_from=run.period_from,
        period_to=run.period_to,
        engine=run.engine,
        status=run.status,
        rows=run.rows,
        periods=json.loads(run.periods or "{}"),
        queued_at=run.queued_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_ms=run.duration_ms,
        error_code=run.error_code,
        error_message=run.error_message,
        error_detail=run.error_detail if internals else None,
        sql_text=run.sql_text if internals else None,
        triggered_by=run.triggered_by,
    )


def durations(session: Session, code: str, *, scope: Scope, limit: int = 30) -> list[DurationPoint]:
    """The last ``limit`` finished runs of an indicator, oldest first (the duration trend)."""
    row = get_indicator(session, code, scope=scope)
    runs = session.execute(
        select(IndicatorRun)
        .where(IndicatorRun.indicator_id == row.id, IndicatorRun.finished_at.is_not(None))
        .order_by(IndicatorRun.id.desc())
        .limit(limit)
    ).scalars()
    points = [
        DurationPoint(
            run_id=r.id,
            finished_at=r.finished_at,
            duration_ms=r.duration_ms,
            status=r.status,
            rows=r.rows,
        )
        for r in runs
    ]
    return points[::-1]


def calendar(session: Session, *, first: date, last: date, scope: Scope) -> list[CalendarDay]:
    """One entry per day of ``first``..``last`` (Beijing time, both included) with the runs
    queued that day by outcome. BadInput ``bad_calendar_range`` when last < first or the range
    passes ``MAX_CALENDAR_DAYS``."""
    days = (last - first).days + 1
    if days < 1 or days > MAX_CALENDAR_DAYS:
        raise BadInput(
            f"日历范围须为 1 至 {MAX_CALENDAR_DAYS} 天", code="bad_calendar_range",
            detail={"from": first.isoformat(), "to": last.isoformat()},
        )  # fmt: skip
    start = datetime.combine(first, time(0)) - BEIJING
    end = datetime.combine(last + timedelta(days=1), time(0)) - BEIJING
    rows = session.execute(
        select(IndicatorRun.queued_at, IndicatorRun.status)
        .join(Indicator, Indicator.id == IndicatorRun.indicator_id)
        .where(
            seen_clause(scope, Indicator.region_code),
            IndicatorRun.queued_at >= start,
            IndicatorRun.queued_at < end,
        )
    ).all()
    counts: dict[date, Counter[str]] = {}
    for queued_at, status in rows:
        day = (queued_at.replace(tzinfo=None) + BEIJING).date()
        counts.setdefault(day, Counter())[status] += 1
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        seen = counts.get(day, Counter())
        result.append(
            CalendarDay(
                day=day,
                total=sum(seen.values()),
                ok=seen[RunStatus.ok.value],
                failed=seen[RunStatus.failed.value] + seen[RunStatus.timeout.value],
                skipped=seen[RunStatus.skipped.value],
                pending=seen[RunStatus.queued.value] + seen[RunStatus.running.value],
            )
        )
    return result
