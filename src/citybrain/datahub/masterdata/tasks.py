"""Background master-data work: rebuild (link) the 人口库 or 法人库 from given resources.

Queued by whoever knows new data landed; no domain event announces a loaded batch yet, so
nothing queues it automatically (a subscriber to that event would call :func:`queue_rebuild`)."""

from __future__ import annotations

from typing import Literal

from citybrain.analytics.hub import default_store
from citybrain.core.context import set_actor
from citybrain.core.errors import BadInput
from citybrain.core.jobs.registry import JobContext, Registry, register
from citybrain.core.jobs.system import JobSystem
from citybrain.datahub.masterdata import service

REBUILD_JOB = "masterdata.rebuild"
Domain = Literal["person", "entity"]


def queue_rebuild(jobs: JobSystem, *, domain: Domain, resource_codes: list[str]) -> int | None:
    """Queue a rebuild. Each call is a run of its own (new data may have landed since the last);
    running it twice is harmless: linked records keep their masters and masters their ids."""
    return jobs.enqueue(REBUILD_JOB, domain=domain, resource_codes=resource_codes)


def _rebuild_job(ctx: JobContext, *, domain: str, resource_codes: list[str]) -> None:
    hub = default_store(ctx.settings)
    with ctx.factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="masterdata-job", source_ip="local")
        if domain == "person":
            service.rebuild_persons(
                session, hub=hub, resource_codes=resource_codes, settings=ctx.settings
            )
        elif domain == "entity":
            service.rebuild_entities(session, hub=hub, resource_codes=resource_codes)
        else:
            raise BadInput(f"未知的基础库: {domain}", code="bad_masterdata_domain")


def register_jobs(registry: Registry | None = None) -> None:
    register(REBUILD_JOB, "基础库关联更新", _rebuild_job, retries=2, registry=registry)
