"""Background master-data work, and how the base libraries follow the hub.

When ingest commits a loaded batch it publishes ``ingest.batch.loaded`` (delivered after the
commit, never on rollback). :func:`follow_batches`, called when the app or a worker starts,
subscribes to it: a batch of a resource that feeds 人口库 or 法人库 (a registered source, see
``persist.register_sources``) queues one ``masterdata.link_batch`` job, keyed by the batch id,
so a batch is linked exactly once however often its event arrives. The job links the batch's new
and changed records into the existing masters; when it finds the model drifting it queues one
``masterdata.retrain`` per model. ``masterdata.rebuild`` is the full build of given resources.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from citybrain.analytics.hub import open_hub
from citybrain.core import domain_events
from citybrain.core.context import set_actor
from citybrain.core.db import reading
from citybrain.core.domain_events import DomainEvent
from citybrain.core.errors import BadInput
from citybrain.core.jobs.registry import JobContext, Registry, register
from citybrain.core.jobs.system import JobSystem
from citybrain.datahub.masterdata import persist, service, training

log = logging.getLogger(__name__)
BATCH_LOADED = "ingest.batch.loaded"
REBUILD_JOB = "masterdata.rebuild"
LINK_BATCH_JOB = "masterdata.link_batch"
RETRAIN_JOB = "masterdata.retrain"
Domain = Literal["person", "entity"]

# The job systems following the hub, the newest last (an app adds its own while it runs).
_followers: list[JobSystem] = []
_subscribed = False


def queue_rebuild(jobs: JobSystem, *, domain: Domain, resource_codes: list[str]) -> int | None:
    """Queue a rebuild. Each call is a run of its own (new data may have landed since the last);
    running it twice is harmless: linked records keep their masters and masters their ids."""
    return jobs.enqueue(REBUILD_JOB, domain=domain, resource_codes=resource_codes)


def queue_retrain(jobs: JobSystem, *, reason: str, key: str | None = None) -> int | None:
    """Queue a retraining of the 人口库 model (``key``: at most one run per key)."""
    return jobs.enqueue(RETRAIN_JOB, key=key, reason=reason)


def follow_batches(jobs: JobSystem) -> None:
    """Link every batch loaded from now on into the base libraries through ``jobs``."""
    global _subscribed
    if not _subscribed:
        domain_events.subscribe(BATCH_LOADED, on_batch_loaded)
        _subscribed = True
    _followers.append(jobs)


def stop_following(jobs: JobSystem) -> None:
    """Undo :func:`follow_batches` (the app's shutdown)."""
    if jobs in _followers:
        _followers.remove(jobs)


def on_batch_loaded(event: DomainEvent) -> None:
    """Queue the linking of a loaded batch whose resource feeds a base library."""
    if not _followers:
        return
    jobs = _followers[-1]
    payload: dict[str, Any] = event.payload
    if not (payload.get("inserted") or payload.get("updated")):
        return  # nothing new or changed in the hub
    batch_id, code = int(payload["batch_id"]), str(payload["resource_code"])
    with reading(jobs.factory)() as session:  # a reader: takes no SQLite write lock
        domain = persist.fed_domain(session, code)
    if domain is None:
        return
    jobs.enqueue(LINK_BATCH_JOB, key=f"batch:{batch_id}", batch_id=batch_id, resource_code=code)


def _rebuild_job(ctx: JobContext, *, domain: str, resource_codes: list[str]) -> None:
    hub = open_hub(ctx.settings)
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


def _link_batch_job(ctx: JobContext, *, batch_id: int, resource_code: str) -> None:
    hub = open_hub(ctx.settings)
    with ctx.factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="masterdata-job", source_ip="local")
        report = service.link_batch(
            session, hub=hub, batch_id=batch_id, resource_code=resource_code,
            settings=ctx.settings,
        )  # fmt: skip
        model = persist.stored_model(session, "person") if report and report.drift else None
    if model is not None:
        # After the commit: the run that saw the drift is recorded before the retraining.
        log.warning("masterdata: linkage model %s drifting; queued a retraining", model.id)
        queue_retrain(
            JobSystem(ctx.settings, ctx.factory), reason="drift", key=f"drift:model:{model.id}"
        )


def _retrain_job(ctx: JobContext, *, reason: str = "manual") -> None:
    hub = open_hub(ctx.settings)
    with ctx.factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="masterdata-job", source_ip="local")
        training.retrain_person_model(session, hub=hub, reason=reason, settings=ctx.settings)


def register_jobs(registry: Registry | None = None) -> None:
    register(REBUILD_JOB, "基础库关联更新", _rebuild_job, retries=2, registry=registry)
    register(LINK_BATCH_JOB, "基础库关联新批次", _link_batch_job, retries=3, registry=registry)
    register(RETRAIN_JOB, "重新训练人口库匹配模型", _retrain_job, retries=1, registry=registry)
