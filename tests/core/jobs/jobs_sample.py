"""A job and schedule for the two-worker test, imported by ``citybrain worker`` through
``CITYBRAIN_JOBS_MODULES``: every 2 s it counts its slot in a Redis hash, so a slot that ran
twice shows as 2 however the job runs were recorded."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import redis

from citybrain.core.jobs.registry import JobContext, register, schedule

PREFIX = os.environ["CITYBRAIN_TEST_JOB_PREFIX"]
EFFECTS = os.environ["CITYBRAIN_TEST_EFFECTS_KEY"]
JOB = f"{PREFIX}tick"
EVERY = timedelta(seconds=2)


def _tick(ctx: JobContext) -> None:
    assert ctx.slot is not None
    client = redis.Redis.from_url(os.environ["CITYBRAIN_REDIS_URL"])
    client.hincrby(EFFECTS, ctx.slot.isoformat(), 1)
    time.sleep(0.2)  # long enough for the other worker to try the same slot meanwhile


register(JOB, "测试: 每两秒", _tick, retries=0)
schedule(JOB, every=EVERY, grace=timedelta(seconds=1.5))
