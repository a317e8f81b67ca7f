"""Incremental pulls from registered department databases by watermark, now or on a schedule.

A pull names a registered data source (``datahub.datasources``) by id, never a connection
string: the source is opened only through ``open_source_engine``, which checks the caller's
region, the outbound address rule, time limits and read-only, and audits the use.

The watermark of a source (the largest value of its ``watermark_column`` loaded so far) is
kept per resource and source identity (the source id with table or query, schema and column);
a pull takes only rows above it and advances it in the same transaction as the batch record, so
a rejected or failed pull retries the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings
from citybrain.core.crypto import sm3_hex
from citybrain.core.errors import BadInput, DomainError, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import scope as catalog_scope
from citybrain.datahub.datasources import queries as datasource_queries
from citybrain.datahub.datasources.service import (
    Purpose,
    open_source_engine,
    record_refused_use,
)
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
OPTION_NAMES: Final = ("table", "query", "schema", "watermark_column")
"""What a pull may say about its source besides the source id: no URL, no driver options."""


def pull_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` restricted to :data:`OPTION_NAMES`, with a watermark column. Raises
    BadInput ``bad_option`` for any other name (a ``url`` from an old caller included)."""
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise BadInput(
            f"抽取选项只能是 {'、'.join(OPTION_NAMES)}，不接受 {'、'.join(unknown)}"
            "（数据库须选择已登记的数据源）",
            code="bad_option",
            detail=unknown,
        )
    if not options.get("watermark_column"):
        raise BadInput("增量抽取需要指定水位列（watermark_column）", code="bad_option")
    return {k: v for k, v in options.items() if v not in (None, "")}


def source_key(source_id: int, options: Mapping[str, Any]) -> str:
    """SM3 of a pull's identity (source id, table or query, schema, watermark column): the
    watermark belongs to this key."""
    identity = {k: options.get(k) for k in OPTION_NAMES}
    return sm3_hex(json.dumps({"source_id": source_id, **identity}, sort_keys=True).encode())


def _check_target(
    session: Session, *, resource_region: str, resource_code: str, source_id: int, region_code: str
) -> None:
    """The resource is the caller's to load and the source is usable from both the caller's
    region and the resource's. Raises PermissionDenied ``region_out_of_scope`` or
    ``datasource_region_mismatch``, NotFound ``datasource_not_found``."""
    if not catalog_scope.within(region_code, resource_region):
        raise PermissionDenied(
            f"资源 {resource_code} 不在本级管辖范围",
            code="region_out_of_scope",
            detail=resource_code,
        )
    source = datasource_queries.get_source(session, source_id=source_id, region_code=region_code)
    if not catalog_scope.visible(resource_region, source.region_code):
        raise PermissionDenied(
            f"数据源“{source.name}”与资源 {resource_code} 不属于同一辖区，不能抽取",
            code="datasource_region_mismatch",
            detail=source_id,
        )


def pull_incremental(
    session: Session,
    *,
    resource_code: str,
    source_id: int,
    options: Mapping[str, Any],
    region_code: str,
    purpose: Purpose = Purpose.pull,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """Pull the rows of a table (or query) of the registered source ``source_id`` whose
    ``watermark_column`` is greater than the last watermark loaded from the same source into
    this resource, then advance the watermark to the largest value pulled, in the same
    transaction as the batch record (here: ``session``, the caller's;
    :func:`pull_incremental_phased` uses short ones).

    ``options`` are ``table`` or ``query``, ``schema``, ``watermark_column``; ``region_code``
    is the caller's region (the CLI and the scheduler pass the resource's own). A rejected or
    failed pull leaves the watermark where it was, so the next pull retries the same rows.
    Raises BadInput ``bad_option``, the errors of ``open_source_engine`` and of
    :func:`_check_target`; other errors and audit as
    :func:`~citybrain.datahub.ingest.service.ingest_file`."""
    return pull_incremental_phased(
        Transactions.joined(session),
        resource_code=resource_code,
        source_id=source_id,
        options=options,
        region_code=region_code,
        purpose=purpose,
        mapping=mapping,
        progress=progress,
        settings=settings,
        store=store,
    )


def pull_incremental_phased(
    transactions: Transactions,
    *,
    resource_code: str,
    source_id: int,
    options: Mapping[str, Any],
    region_code: str,
    purpose: Purpose = Purpose.pull,
    mapping: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    store: HubStore | None = None,
) -> BatchResult:
    """:func:`pull_incremental` in short transactions (``runner``): the source is opened and
    the watermark read when the batch is prepared, the watermark advanced when it is settled,
    with the batch record. A refused source is recorded (``datasource.use``, failure) in a
    transaction of its own before the error is raised."""
    options = pull_options(options)
    settings, store = _defaults(settings, store)
    key = source_key(source_id, options)
    column = str(options["watermark_column"])
    engines: list[sa.Engine] = []

    def build(session: Session) -> Job:
        # the job side: the caller's region is checked against the source below
        resource = load_resource(session, resource_code, scope=Scope.system())
        _check_target(
            session,
            resource_region=resource.region_code,
            resource_code=resource.code,
            source_id=source_id,
            region_code=region_code,
        )
        engines.append(
            open_source_engine(
                session,
                source_id=source_id,
                region_code=region_code,
                purpose=purpose,
                settings=settings,
            )
        )
        try:
            connector = SqlConnector(
                engines[-1],
                table=options.get("table"),
                query=options.get("query"),
                schema=options.get("schema"),
                watermark_column=column,
            )
        except ConnectorError as exc:
            raise BadInput(exc.message_zh, code=exc.code, detail="sql") from exc
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
            source_name=str(options.get("table") or "query"),
            connector=connector,
            checksum=None,
            mapping=dict(mapping or {}),
            progress=progress,
            records=lambda: connector.iter_records(since=since),
            on_settled=advance,
        )

    try:
        return run(transactions, build, settings=settings, store=store)
    except (BatchRejected, BatchFailed):
        raise
    except DomainError as exc:
        if not engines:  # refused before the source was opened
            with transactions() as session:
                record_refused_use(session, source_id=source_id, purpose=purpose, code=exc.code)
        raise
    finally:
        for engine in engines:
            engine.dispose()


def _watermark(session: Session, resource_code: str, key: str) -> IngestWatermark | None:
    return session.execute(
        select(IngestWatermark).where(
            IngestWatermark.resource_code == resource_code, IngestWatermark.source_key == key
        )
    ).scalar_one_or_none()


def _defaults(settings: Settings | None, store: HubStore | None) -> tuple[Settings, HubStore]:
    settings = settings or get_settings()
    return settings, store or open_hub(settings)


def schedule_pull(
    session: Session,
    *,
    resource_code: str,
    source_id: int,
    options: Mapping[str, Any],
    interval_minutes: int,
    region_code: str,
    mapping: Mapping[str, str] | None = None,
    settings: Settings | None = None,
) -> IngestSourceSchedule:
    """Pull ``options`` of the registered source ``source_id`` into ``resource_code`` every
    ``interval_minutes``, the first time when next due; each run opens the source afresh with
    every check of ``open_source_engine``. One schedule per resource and pull identity:
    calling again changes it. The options and mapping are stored encrypted (a query may name
    what is sensitive). Raises NotFound ``resource_not_found`` / ``datasource_not_found``,
    PermissionDenied as :func:`_check_target`, BadInput ``bad_option``. Audited as
    ``ingest.schedule.set`` (without the options)."""
    if interval_minutes < 1:
        raise BadInput("抽取间隔至少 1 分钟", code="bad_option", detail="interval_minutes")
    options = pull_options(options)
    # region checked by _check_target; the department by the caller (pull_from_request)
    resource = load_resource(session, resource_code, scope=Scope.system())
    _check_target(
        session,
        resource_region=resource.region_code,
        resource_code=resource.code,
        source_id=source_id,
        region_code=region_code,
    )
    key = source_key(source_id, options)
    payload = json.dumps({"options": options, "mapping": dict(mapping or {})})
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
    schedule.source_id = source_id
    schedule.interval_minutes = interval_minutes
    session.flush()
    audit.record(
        session,
        action="ingest.schedule.set",
        object_type="ingest_source_schedule",
        object_id=str(schedule.id),
        region_code=resource.region_code,
        detail={
            "resource_code": resource.code,
            "source_id": source_id,
            "interval_minutes": interval_minutes,
        },
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
    """The web's pull: check the caller's region, pull now from the registered source, and
    schedule when an interval is given. A rejected or failed pull is answered with its batch
    record (status and error) instead of an error, so the record survives the request.

    Raises PermissionDenied ``raw_url_refused`` for a request that still sends a connection
    string (recorded by the refusal audit), BadInput ``datasource_required``, NotFound
    ``resource_not_found`` / ``datasource_not_found``, PermissionDenied
    ``region_out_of_scope``, BadInput ``bad_option`` and the refusals of
    ``open_source_engine``."""
    if request.url is not None:
        raise PermissionDenied(
            "不再接受数据库连接串：请由管理员在“数据源管理”中登记数据源，再选择数据源抽取",
            code="raw_url_refused",
        )
    if request.source_id is None:
        raise BadInput("请选择要抽取的数据源", code="datasource_required", detail="source_id")
    region_code = scope.region_code
    resource = load_resource(session, resource_code, scope=scope)
    if not catalog_scope.covers(scope, resource.region_code):
        raise PermissionDenied(
            f"资源 {resource.code} 不在本级管辖范围",
            code="region_out_of_scope",
            detail=resource.code,
        )
    options: dict[str, Any] = {"watermark_column": request.watermark_column}
    for name, value in (
        ("table", request.table),
        ("query", request.query),
        ("schema", request.schema_name),
    ):
        if value:
            options[name] = value
    if request.interval_minutes:  # checked and stored before the pull, which may be long
        schedule_pull(
            session,
            resource_code=resource.code,
            source_id=request.source_id,
            options=options,
            interval_minutes=request.interval_minutes,
            region_code=region_code,
            mapping=request.mapping,
            settings=settings,
        )
    try:
        batch_id = pull_incremental(
            session,
            resource_code=resource.code,
            source_id=request.source_id,
            options=options,
            region_code=region_code,
            mapping=request.mapping,
            settings=settings,
        ).batch_id
    except (BatchRejected, BatchFailed) as exc:
        batch_id = exc.batch_id
    return get_batch(session, batch_id, scope=scope)
