"""The embedded job system: Huey's SQLite storage and consumer threads in this process, every
run recorded; retries with back-off; a run delivered twice runs once; missed slots."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from jobs_helpers import jobs_config, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.config import Settings
from citybrain.core.jobs import runs
from citybrain.core.jobs.models import JobRun
from citybrain.core.jobs.registry import JobContext, Registry, register, schedule
from citybrain.core.jobs.system import JobSystem


def test_embedded_consumer_runs_a_job_and_records_it(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    seen: list[tuple[int, int]] = []

    def add(ctx: JobContext, *, a: int, b: int) -> None:
        seen.append((ctx.run_id, a + b))

    register(f"{prefix}add", "加法", add, registry=registry)
    jobs = JobSystem(home_settings, committed, config=jobs_config(), registry=registry)
    assert jobs.runs_embedded
    assert not jobs.uses_redis
    consumer = jobs.start_embedded()
    assert consumer is not None
    try:
        run_id = jobs.enqueue(f"{prefix}add", a=2, b=3)
        assert run_id is not None
        run = wait_for(committed, run_id)
    finally:
        consumer.stop(graceful=True)
    assert (home_settings.home / "jobs.db").exists()  # the queue was Huey's SQLite file
    assert seen == [(run_id, 5)]
    assert run.outcome == "ok"
    assert run.attempt == 1
    assert run.error == ""
    assert run.args_summary == "a=2, b=3"
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.queued_at <= run.started_at <= run.finished_at
    assert run.duration_ms is not None
    assert run.duration_ms >= 0


def test_failed_attempts_are_retried_with_back_off_then_succeed(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    attempts: list[float] = []

    def flaky(ctx: JobContext) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError(f"第 {len(attempts)} 次失败")

    register(f"{prefix}flaky", "不稳定", flaky, retries=3, retry_delay=1.0, backoff=2.0,
             registry=registry)  # fmt: skip
    jobs = JobSystem(home_settings, committed, config=jobs_config(), registry=registry)
    consumer = jobs.start_embedded()
    assert consumer is not None
    try:
        run_id = jobs.enqueue(f"{prefix}flaky")
        assert run_id is not None
        first = wait_for(committed, run_id, ("retrying",))
        assert "第 1 次失败" in first.error
        run = wait_for(committed, run_id, ("ok", "failed"), timeout=30)
    finally:
        consumer.stop(graceful=True)
    assert run.outcome == "ok"
    assert run.attempt == 3
    assert run.error == ""
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 1.0
    assert gaps[1] >= 2.0


def test_last_failure_is_recorded_as_failed(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    def broken(ctx: JobContext) -> None:
        raise ValueError("坏了")

    register(f"{prefix}broken", "坏任务", broken, retries=0, registry=registry)
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    run_id = jobs.enqueue(f"{prefix}broken")
    assert run_id is not None
    run = runs.get(committed, run_id)
    assert run is not None
    assert run.outcome == "failed"
    assert "坏了" in run.error


def test_a_job_delivered_twice_takes_effect_once(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    effects: list[int] = []
    register(f"{prefix}once", "一次", lambda ctx, n: effects.append(n), registry=registry)
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    first = jobs.enqueue(f"{prefix}once", key="item:7", n=7)
    again = jobs.enqueue(f"{prefix}once", key="item:7", n=7)  # the caller retried
    assert first is not None
    assert again == first
    jobs._send(f"{prefix}once", first, {"n": 7})  # the queue delivered the message twice
    assert effects == [7]
    with committed() as session:
        count = session.execute(
            select(func.count()).where(JobRun.job_name == f"{prefix}once")
        ).scalar_one()
    assert count == 1


def test_a_failed_keyed_run_is_run_again_when_queued_again(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    calls: list[int] = []

    def second_time_lucky(ctx: JobContext) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first")

    register(f"{prefix}rerun", "重跑", second_time_lucky, retries=0, registry=registry)
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    run_id = jobs.enqueue(f"{prefix}rerun", key="k")
    assert jobs.enqueue(f"{prefix}rerun", key="k") == run_id
    run = runs.get(committed, run_id or 0)
    assert run is not None
    assert run.outcome == "ok"
    assert run.attempt == 2
    assert len(calls) == 2


def test_missed_slots_are_flagged_and_caught_up_once(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    slots: list[datetime | None] = []
    name = f"{prefix}minutely"
    register(name, "每分钟", lambda ctx: slots.append(ctx.slot), registry=registry)
    schedule(name, every=timedelta(minutes=1), grace=timedelta(seconds=30), registry=registry)
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    t0 = datetime(2026, 12, 7, 10, 0, 5, tzinfo=UTC)

    assert len(jobs.tick(t0)) == 1  # on time
    assert jobs.tick(t0 + timedelta(seconds=20)) == []  # same slot: nothing
    # the server was down from 10:01 to 10:05: slots 10:01 .. 10:04 passed without a run
    back = datetime(2026, 12, 7, 10, 5, 3, tzinfo=UTC)
    (caught_up,) = jobs.tick(back)
    assert jobs.tick(back + timedelta(seconds=1)) == []  # caught up once, not once per slot
    run = runs.get(committed, caught_up)
    assert run is not None
    assert run.outcome == "ok"
    assert run.slot_at == datetime(2026, 12, 7, 10, 5, tzinfo=UTC)
    assert run.missed == 4
    assert slots == [datetime(2026, 12, 7, 10, 0, tzinfo=UTC), run.slot_at]
    # a slot picked up past its grace is itself late: flagged, run once
    (late,) = jobs.tick(datetime(2026, 12, 7, 10, 6, 50, tzinfo=UTC))
    late_run = runs.get(committed, late)
    assert late_run is not None
    assert late_run.missed == 1
    assert len(slots) == 3


def test_a_new_schedule_does_not_start_with_a_late_slot(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    name = f"{prefix}hourly"
    register(name, "每小时", lambda ctx: None, registry=registry)
    schedule(name, every=timedelta(hours=1), registry=registry)
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    assert jobs.tick(datetime(2026, 12, 7, 10, 30, tzinfo=UTC)) == []
    assert len(jobs.tick(datetime(2026, 12, 7, 11, 0, 10, tzinfo=UTC))) == 1


def test_a_run_whose_process_died_is_retried(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    done: list[str] = []
    name = f"{prefix}fragile"
    register(name, "易中断", lambda ctx, x: done.append(x), retries=2, retry_delay=0,
             stale_after=timedelta(minutes=5), registry=registry)  # fmt: skip
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    run_id = runs.create(committed, job=name, key="k", payload={"x": "a"})
    assert run_id is not None
    assert runs.claim(committed, run_id, worker="gone:1") == 1  # then the process died
    jobs.tick(datetime.now(UTC) + timedelta(minutes=1))
    assert done == []  # not stale yet
    jobs.tick(datetime.now(UTC) + timedelta(minutes=6))
    run = runs.get(committed, run_id)
    assert done == ["a"]
    assert run is not None
    assert run.outcome == "ok"
    assert run.attempt == 2


def test_an_unknown_job_is_refused_before_anything_is_written(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings
) -> None:
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    with pytest.raises(KeyError):
        jobs.enqueue("nope.nothing")


def test_processes_ticking_at_the_same_instant_run_the_slot_once(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    """The unique (job, slot) row is the arbiter when several ticks race past the 'last slot'
    check together (the two-worker test on Redis shows the whole path; this forces the race)."""
    effects: list[datetime | None] = []
    name = f"{prefix}raced"
    register(name, "竞争", lambda ctx: effects.append(ctx.slot), registry=registry)
    schedule(name, every=timedelta(minutes=1), registry=registry)
    systems = [
        JobSystem(home_settings, committed, config=jobs_config(immediate=True), registry=registry)
        for _ in range(6)
    ]
    now = datetime(2026, 12, 7, 9, 0, 1, tzinfo=UTC)
    barrier = threading.Barrier(len(systems))
    real_last_slot = runs.last_slot

    def last_slot_then_wait(factory: sessionmaker[Session], job: str) -> datetime | None:
        value = real_last_slot(factory, job)
        if job == name:
            barrier.wait(timeout=10)  # everyone has seen "no run yet" before anyone inserts
        return value

    queued: list[list[int]] = []
    runs.last_slot = last_slot_then_wait  # type: ignore[assignment]
    try:
        threads = [threading.Thread(target=lambda s=s: queued.append(s.tick(now))) for s in systems]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        runs.last_slot = real_last_slot  # type: ignore[assignment]
    assert sorted(len(q) for q in queued) == [0, 0, 0, 0, 0, 1]
    assert effects == [datetime(2026, 12, 7, 9, 0, tzinfo=UTC)]


def test_a_consumer_start_queues_start_up_jobs_and_resends_lost_runs(
    committed: sessionmaker[Session], registry: Registry, home_settings: Settings, prefix: str
) -> None:
    done: list[str] = []
    register(f"{prefix}lost", "丢失", lambda ctx, x: done.append(x), registry=registry)
    register(f"{prefix}boot", "启动", lambda ctx: done.append("boot"), registry=registry)
    registry.run_at_start(f"{prefix}boot")
    jobs = JobSystem(
        home_settings, committed, config=jobs_config(immediate=True), registry=registry
    )
    # recorded, but its message never reached the queue (say Redis was down)
    lost = runs.create(committed, job=f"{prefix}lost", key="k", payload={"x": "again"})
    assert lost is not None

    jobs.queue_start_jobs(now=datetime.now(UTC))  # too recent to call lost
    assert done == ["boot"]
    jobs.queue_start_jobs(now=datetime.now(UTC) + timedelta(minutes=6))
    assert done == ["boot", "again", "boot"]
    jobs.queue_start_jobs(now=datetime.now(UTC) + timedelta(minutes=6))
    assert done.count("again") == 1
