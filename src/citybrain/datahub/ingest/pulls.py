"""Incremental pulls from department databases by watermark, now or on a schedule.

The watermark of a source (the largest value of its ``watermark_column`` loaded so far) is
kept per resource and source identity; a pull takes only rows above it and advances it in the
same transaction as the batch record, so a rejected or failed pull retries the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, hub_path
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.crypto import sm3_hex
from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.ingest.connectors import ConnectorError, SqlConnector
from citybrain.datahub.ingest.errors import BatchFailed, BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestSourceSchedule, IngestWatermark
from citybrain.datahub.ingest.pipeline import Progress
from citybrain.datahub.ingest.queries import get_batch
from citybrain.datahub.ingest.resources import field_cipher, load_resource
from citybrain.datahub.ingest.runner import Job, run
from citybrain.datahub.ingest.schemas import BatchOrigin, BatchResult, PullRequest
from citybrain.datahub.ingest.transactions import Transactions

SCHEDULE_CONTEXT = "ingest_source_schedule"


def source_key(options: Mapping[str, Any]) -> str:
    """SM3 of a database source's identity (URL without password, table or query, schema,
    watermark column): the watermark belongs to this key. BadInput ``bad_option``."""
    try:
        url = make_url(str(options["url"])).render_as_string(hide_password=True)
    except (KeyError, ArgumentError) as exc:
        raise BadInput("数据库连接串无效", code="bad_option", detail="url") from exc
    identity = {k: options.get(k) for k in ("table", "query", "schema", "watermark_column")}
    return sm3_hex(json.dumps({"url": url, **identity}, sort_keys=True).encode())


def pull_incremental(
    session: Session,
    *,
    resource_code: str,
    source_options: Mapping[str, Any],
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """Pull the rows of a database table (or query) whose ``watermark_column`` is greater than
    the last watermark loaded from the same source into this resource, then advance the
    watermark to the largest value pulled, in the same transaction as the batch record (here:
    ``session``, the caller's; :func:`pull_incremental_phased` uses short ones).

    ``source_options`` are :class:`SqlConnector` options (``url``, ``table`` or ``query``,
    ``schema``, ``watermark_column``). A rejected or failed pull leaves the watermark where it
    was, so the next pull retries the same rows. Raises BadInput ``bad_option``; other errors
    and audit as :func:`~citybrain.datahub.ingest.service.ingest_file`."""
    return pull_incremental_phased(
        Transactions.joined(session),
        resource_code=resource_code,
        source_options=source_options,
        mapping=mapping,
        progress=progress,
        settings=settings,
        store=store,
    )


def pull_incremental_phased(
    transactions: Transactions,
    *,
    resource_code: str,
    source_options: Mapping[str, Any],
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """:func:`pull_incremental` in short transactions (``runner``): the watermark is read
    when the batch is prepared and advanced when it is settled, with the batch record."""
    if not source_options.get("watermark_column"):
        raise BadInput("增量抽取需要指定水位列（watermark_column）", code="bad_option")
    settings, store = _defaults(settings, store)
    key = source_key(source_options)
    try:
        connector = SqlConnector(**dict(source_options))
    except ConnectorError as exc:
        raise BadInput(exc.message_zh, code=exc.code, detail="sql") from exc
    column = str(source_options["watermark_column"])

    def build(session: Session) -> Job:
        resource = load_resource(session, resource_code, scope=Scope.system())  # job side
        mark = _watermark(session, resource.code, key)
        since = mark.value if mark is not None else None

        def advance(session: Session) -> None:
            value = connector.max_watermark
            if value is None:
                return
            mark = _watermark(session, resource.code, key)
            if mark is None:
                mark = IngestWatermark(
                    resource_code=resource.code, source_key=key, column_name=column
                )
                session.add(mark)
            mark.value, mark.updated_at = value, utcnow()
            session.flush()

        return Job(
            resource=resource,
            origin=BatchOrigin.pull,
            source_kind="sql",
            source_name=str(source_options.get("table") or "query"),
            connector=connector,
            checksum=None,
            mapping=dict(mapping or {}),
            progress=progress,
            records=lambda: connector.iter_records(since=since),
            on_settled=advance,
        )

    return run(transactions, build, settings=settings, store=store)


def _watermark(session: Session, resource_code: str, key: str) -> IngestWatermark | None:
    return session.execute(
        select(IngestWatermark).where(
            IngestWatermark.resource_code == resource_code, IngestWatermark.source_key == key
        )
    ).scalar_one_or_none()


def _defaults(settings: Settings | None, store: HubStore | None) -> tuple[Settings, HubStore]:
    settings = settings or get_settings()
    return settings, store or HubStore(hub_path(settings))


def schedule_pull(
    session: Session,
    *,
    resource_code: str,
    source_options: Mapping[str, Any],
    interval_minutes: int,
    mapping: Mapping[str, str] | None = None,
    settings: Settings | None = None,
    scope: Scope,
) -> IngestSourceSchedule:
    """Pull ``source_options`` into ``resource_code`` every ``interval_minutes``, the first
    time when next due. One schedule per resource and source: calling again changes it. The
    options (the URL may hold a password) are stored encrypted. Raises NotFound
    ``resource_not_found`` (also outside ``scope``), BadInput ``bad_option``. Audited as
    ``ingest.schedule.set`` (without the options)."""
    if interval_minutes < 1:
        raise BadInput("抽取间隔至少 1 分钟", code="bad_option", detail="interval_minutes")
    if not source_options.get("watermark_column"):
        raise BadInput("增量抽取需要指定水位列（watermark_column）", code="bad_option")
    resource = load_resource(session, resource_code, scope=scope)
    key = source_key(source_options)
    payload = json.dumps({"options": dict(source_options), "mapping": dict(mapping or {})})
    token = field_cipher(settings or get_settings()).encrypt(payload, context=SCHEDULE_CONTEXT)
    schedule = session.execute(
        select(IngestSourceSchedule).where(
            IngestSourceSchedule.resource_code == resource.code,
            IngestSourceSchedule.source_key == key,
        )
    ).scalar_one_or_none()
    if schedule is None:
        schedule = IngestSourceSchedule(
            resource_code=resource.code, source_key=key, next_run_at=utcnow()
        )
        session.add(schedule)
    schedule.options_token, schedule.enabled = token, True
    schedule.interval_minutes = interval_minutes
    session.flush()
    audit.record(
        session,
        action="ingest.schedule.set",
        object_type="ingest_source_schedule",
        object_id=str(schedule.id),
        region_code=resource.region_code,
        detail={"resource_code": resource.code, "interval_minutes": interval_minutes},
    )
    return schedule


def schedule_payload(schedule: IngestSourceSchedule, settings: Settings) -> dict[str, Any]:
    """The decrypted ``{"options": …, "mapping": …}`` of a schedule."""
    text = field_cipher(settings).decrypt(schedule.options_token, context=SCHEDULE_CONTEXT)
    payload: dict[str, Any] = json.loads(text)
    return payload


def pull_from_request(
    session: Session,
    *,
    resource_code: str,
    request: PullRequest,
    scope: Scope,
    settings: Settings | None = None,
) -> IngestBatch:
    """The web's pull: check the caller's region, pull now, and schedule when an interval is
    given. A rejected or failed pull is answered with its batch record (status and error)
    instead of an error, so the record survives the request. Raises NotFound
    ``resource_not_found``, PermissionDenied ``region_out_of_scope``, BadInput ``bad_option``.
    """
    resource = load_resource(session, resource_code, scope=scope)
    if not catalog_scope.covers(scope, resource.region_code):
        raise PermissionDenied(
            f"资源 {resource.code} 不在本级管辖范围",
            code="region_out_of_scope",
            detail=resource.code,
        )
    options: dict[str, Any] = {"url": request.url, "watermark_column": request.watermark_column}
    for name, value in (
        ("table", request.table),
        ("query", request.query),
        ("schema", request.schema_name),
    ):
        if value:
            options[name] = value
    try:
        batch_id = pull_incremental(
            session,
            resource_code=resource.code,
            source_options=options,
            mapping=request.mapping,
            settings=settings,
        ).batch_id
    except (BatchRejected, BatchFailed) as exc:
        batch_id = exc.batch_id
    if request.interval_minutes:
        schedule_pull(
            session,
            resource_code=resource.code,
            source_options=options,
            interval_minutes=request.interval_minutes,
            mapping=request.mapping,
            settings=settings,
            scope=scope,
        )
    return get_batch(session, batch_id, scope=scope)
