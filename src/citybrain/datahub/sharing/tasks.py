"""Scheduled sharing work: grants that reached their end are marked expired (use is refused on
expiry regardless; this keeps the request list and its status honest)."""

from __future__ import annotations

import logging
from datetime import timedelta

from citybrain.core.context import set_actor
from citybrain.core.jobs.registry import JobContext, Registry, register, schedule
from citybrain.datahub.sharing import service

log = logging.getLogger(__name__)
EXPIRE_JOB = "sharing.expire"


def _expire_job(ctx: JobContext) -> None:
    with ctx.factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="sharing-job", source_ip="local")
        changed = service.expire_due(session)
    if changed:
        log.info("%s sharing grants expired", changed)


def register_jobs(registry: Registry | None = None) -> None:
    register(EXPIRE_JOB, "共享授权到期处理", _expire_job, registry=registry)
    schedule(EXPIRE_JOB, every=timedelta(minutes=15), registry=registry)
