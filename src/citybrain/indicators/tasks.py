"""Indicator runs as jobs of the one job system.

- ``indicators.run``: a batch queued from the web (a re-run or a backfill), run in order.
- ``indicators.scheduled_<frequency>``: one schedule per update frequency (daily at 01:30, …);
  each recomputes the recent periods of the published indicators of that frequency. The job
  ledger claims each slot once however many processes tick and counts the slots that passed
  without a run (漏跑); a catch-up run widens its window by that many periods, so the missed
  periods are computed too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from citybrain.analytics.hub import open_hub
from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.jobs import runs as job_runs
from citybrain.core.jobs.config import get_jobs_settings
from citybrain.core.jobs.registry import JobContext, Registry, register, schedule
from citybrain.core.jobs.system import JobSystem
from citybrain.core.scope import Scope
from citybrain.indicators import runs
from citybrain.indicators.config import get_indicators_settings
from citybrain.indicators.models import Indicator, IndicatorRun
from citybrain.indicators.periods import Granularity, recent, shift
from citybrain.indicators.rules import Frequency
from citybrain.indicators.workflow import RevisionStatus

log = logging.getLogger(__name__)
RUN_JOB = "indicators.run"
SCHEDULES = {
    Frequency.daily: "30 1 * * *",
    Frequency.weekly: "0 2 * * 1",
    Frequency.monthly: "30 2 1 * *",
    Frequency.quarterly: "0 3 1 1,4,7,10 *",
    Frequency.yearly: "30 3 1 1 *",
}
FREQUENCY_TITLES = {
    Frequency.daily: "每日",
    Frequency.weekly: "每周",
    Frequency.monthly: "每月",
    Frequency.quarterly: "每季度",
    Frequency.yearly: "每年",
}
MAX_CATCH_UP = 36


def queue_batch(jobs: JobSystem, batch_key: str) -> int | None:
    """Queue the run of a batch recorded by ``runs.queue_runs`` (once per batch)."""
    return jobs.enqueue(RUN_JOB, key=f"batch:{batch_key}", batch_key=batch_key)


def _run_job(ctx: JobContext, *, batch_key: str) -> None:
    with ctx.factory() as session, session.begin():
        for run in session.execute(
            select(IndicatorRun).where(IndicatorRun.batch_key == batch_key)
        ).scalars():
            run.job_run_id = ctx.run_id
    runs.execute_batch(
        ctx.factory, batch_key=batch_key, hub=open_hub(ctx.settings), settings=ctx.settings
    )


def scheduled_batches(
    ctx: JobContext, frequency: Frequency, *, now: datetime | None = None, missed: int = 0
) -> list[str]:
    """Queue the runs of one schedule slot; returns the batch keys (one per granularity)."""
    config = get_indicators_settings()
    today = (now or utcnow()).astimezone(ZoneInfo(get_jobs_settings().timezone)).date()
    batches = []
    with ctx.factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="indicators-job", source_ip="local")
        codes: dict[Granularity, list[str]] = defaultdict(list)
        for code, granularity in session.execute(
            select(Indicator.code, Indicator.granularity).where(
                Indicator.update_frequency == frequency.value,
                Indicator.live_revision.is_not(None),
                Indicator.status == RevisionStatus.published.value,
            )
        ):
            codes[Granularity(granularity)].append(code)
        for granularity, wanted in sorted(codes.items()):
            first, last = recent(today, granularity, config.recent_periods)
            first = shift(first, granularity, -min(missed, MAX_CATCH_UP))
            queued = runs.queue_runs(
                session,
                codes=wanted,
                period_from=first,
                period_to=last,
                trigger="schedule",
                scope=Scope.system(),
                job_run_id=ctx.run_id,
            )
            batches.append(queued[0].batch_key)
    return batches


def _scheduled_job(frequency: Frequency):  # type: ignore[no-untyped-def]  # a JobFunc
    def job(ctx: JobContext) -> None:
        record = job_runs.get(ctx.factory, ctx.run_id)
        missed = record.missed if record is not None else 0
        for batch in scheduled_batches(ctx, frequency, now=ctx.slot, missed=missed):
            runs.execute_batch(
                ctx.factory, batch_key=batch, hub=open_hub(ctx.settings), settings=ctx.settings
            )

    job.__name__ = f"indicators_scheduled_{frequency.value}"
    return job


def register_jobs(registry: Registry | None = None) -> None:
    register(RUN_JOB, "指标运行 (重算与补算)", _run_job, retries=0, registry=registry)
    for frequency, cron in SCHEDULES.items():
        name = f"indicators.scheduled_{frequency.value}"
        title = f"指标定时运行 ({FREQUENCY_TITLES[frequency]})"
        register(name, title, _scheduled_job(frequency), retries=1, registry=registry)
        schedule(name, cron=cron, registry=registry)
