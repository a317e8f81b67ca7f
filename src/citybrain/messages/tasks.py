"""Deliveries through the one job system, queued after the sending transaction commits.

- ``messages.deliver`` (one run per outbox row and generation, key ``outbox:<id>:<gen>``): one
  attempt (``delivery.deliver``); a failure that a retry may mend raises, and the job system
  retries with back-off (``delivery_attempts`` in all). A run again for a ``sent`` row does
  nothing.
- ``messages.fanout``: queues the delivery jobs of a message with more than
  :data:`INLINE_ROWS` deliveries (see there);
- ``messages.sweep`` (every minute): attempts the rows still ``queued`` well after they were
  due — their job was never queued (a crash right after commit; a sender in a process with no
  job system bound, such as a CLI command or a worker's job) — and fails the rows left
  ``sending`` by a dead worker (without resending).

The job system is found, after commit, on the session (``bind``: the message routes bind the
app's), or else by the session's database (``install``: ``create_app`` installs its own, so a
send from another module's route queues at once too); without either (a CLI command, a job in
``citybrain worker``) the sweep delivers within a minute or two.
"""

from __future__ import annotations

import logging
import weakref
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.errors import DomainError
from citybrain.core.jobs.registry import JobContext, Registry, register, schedule
from citybrain.core.jobs.system import JobSystem
from citybrain.messages import delivery
from citybrain.messages.config import get_messages_settings
from citybrain.messages.service import JOBS_KEY, OUTBOX_EVENT

log = logging.getLogger(__name__)
DELIVER_JOB = "messages.deliver"
FANOUT_JOB = "messages.fanout"
SWEEP_JOB = "messages.sweep"
INLINE_ROWS = 10
"""Up to this many deliveries of a message are queued by the committing thread itself; more
(an e-mail to a whole county) are queued by one ``messages.fanout`` job, so that a send answers
at once however many people it mails."""
SWEEP_GRACE = timedelta(minutes=2)
# The job system of each app in this process, by the engine (or connection) its sessions use.
_installed: weakref.WeakKeyDictionary[object, JobSystem] = weakref.WeakKeyDictionary()


class RetryLater(DomainError):
    """A delivery attempt failed and will be retried with back-off (the job run shows it)."""

    status_code = 503
    default_code = "delivery_retry"


def install(jobs: JobSystem) -> None:
    """Deliveries committed by a session on this app's database (and not bound to another job
    system) are queued on ``jobs``."""
    bind = jobs.factory.kw.get("bind")
    if bind is not None:
        _installed[bind] = jobs


def bind(session: Session, jobs: JobSystem) -> None:
    """Queue this session's deliveries on ``jobs`` (the app serving the request)."""
    session.info[JOBS_KEY] = jobs


def queue_delivery(jobs: JobSystem, outbox_id: int, generation: int) -> int | None:
    """Queue the delivery of an outbox row; at most one run per row and generation."""
    return jobs.enqueue(DELIVER_JOB, key=f"outbox:{outbox_id}:{generation}", outbox_id=outbox_id)


def _on_outbox(event: domain_events.DomainEvent) -> None:
    bind = event.payload.get("bind")
    jobs: Any = event.payload.get("jobs") or (_installed.get(bind) if bind is not None else None)
    if not isinstance(jobs, JobSystem):
        log.info("no job system bound: %s deliveries left to the sweep", len(event.payload["rows"]))
        return
    rows, message_id = event.payload["rows"], event.payload.get("message_id")
    try:
        if message_id is not None and len(rows) > INLINE_ROWS:
            jobs.enqueue(FANOUT_JOB, key=f"message:{message_id}", message_id=message_id)
            return
        for outbox_id, generation in rows:
            queue_delivery(jobs, outbox_id, generation)
    except Exception:  # the rows stay queued: the sweep takes them
        log.exception("could not queue the deliveries of message %s", message_id)


def _deliver_job(ctx: JobContext, *, outbox_id: int) -> None:
    result = delivery.deliver(
        ctx.factory, outbox_id, settings=ctx.settings, config=get_messages_settings()
    )
    if result.outcome is delivery.Outcome.retry:
        raise RetryLater(f"投递失败, 稍后重试: {result.error}", detail=outbox_id)


def _fanout_job(ctx: JobContext, *, message_id: int) -> None:
    """Queue one delivery job per outbox row of a message (on a job system of this worker's
    settings: the same queue)."""
    jobs = JobSystem(ctx.settings, ctx.factory)
    for outbox_id, generation in delivery.queued_of(ctx.factory, message_id):
        queue_delivery(jobs, outbox_id, generation)


def _sweep_job(ctx: JobContext) -> None:
    config = get_messages_settings()
    stale = timedelta(minutes=config.sending_stale_minutes)
    for outbox_id in delivery.stale_sending_ids(ctx.factory, older_than=stale):
        delivery.deliver(ctx.factory, outbox_id, settings=ctx.settings, config=config)
    for outbox_id, _ in delivery.overdue_ids(ctx.factory, grace=SWEEP_GRACE):
        delivery.deliver(ctx.factory, outbox_id, settings=ctx.settings, config=config)


def register_jobs(registry: Registry | None = None) -> None:
    config = get_messages_settings()
    register(
        DELIVER_JOB,
        "消息投递 (邮件、群机器人)",
        _deliver_job,
        retries=config.delivery_attempts - 1,
        retry_delay=config.retry_delay_seconds,
        backoff=config.backoff,
        stale_after=timedelta(minutes=config.sending_stale_minutes),
        registry=registry,
    )
    register(FANOUT_JOB, "消息投递分发", _fanout_job, retries=2, registry=registry)
    register(SWEEP_JOB, "消息投递补发与清理", _sweep_job, retries=0, registry=registry)
    schedule(SWEEP_JOB, every=timedelta(minutes=1), registry=registry)


# Committed outbox rows go to the job system (registered once, when this module is imported).
domain_events.subscribe(OUTBOX_EVENT, _on_outbox)
