"""Delivering granted data to a consumer's system, logging every delivery, and tracing a hub row
back to its ingest batch and source.

Every delivery — a page of JSON or a whole file — first authenticates the grant token (see
:func:`service.authenticate_grant`), counts against the grant's per-minute limit, reads only
the granted items, protects each one (mask, per-consumer pseudonym or clear) and writes a
``sharing_delivery`` row plus an audit record ``sharing.deliver``, in the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from citybrain.analytics import hub
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import get_settings
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, NotFound
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries as catalog_queries
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.ingest import queries as ingest_queries
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.sharing import exports, ratelimit, rules
from citybrain.datahub.sharing.config import get_sharing_settings
from citybrain.datahub.sharing.hubread import TRACE, GrantedReader, find_row
from citybrain.datahub.sharing.models import SharingDelivery, SharingGrant
from citybrain.datahub.sharing.rules import DeliveryMethod, Protection
from citybrain.datahub.sharing.service import authenticate_grant

FILE_FORMATS: Final = ("csv", "xlsx")


@dataclass(frozen=True, slots=True)
class DeliveredPage:
    resource_code: str
    items: list[str]
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int
    delivery_id: int


@dataclass(frozen=True, slots=True)
class DeliveredFile:
    filename: str
    media_type: str
    content: bytes
    row_count: int
    delivery_id: int


@dataclass(frozen=True, slots=True)
class TraceResult:
    resource_code: str
    key: str
    version: Any
    batch_id: int
    source_row: int
    loaded_at: datetime
    batch: dict[str, Any] | None  # the ingest batch: source name, checksum, when, by whom


def deliver_rows(
    session: Session,
    *,
    token: str,
    page: int = 1,
    size: int = 100,
    source_ip: str = "",
    store: hub.HubStore,
) -> DeliveredPage:
    """One page of the granted rows, each item protected, each row with ``_trace``.

    Raises what :func:`service.authenticate_grant` raises (``invalid_share_token`` 401,
    ``grant_expired`` / ``grant_revoked`` / ``grant_not_started`` / ``wrong_delivery_method``
    403), RateLimited ``rate_limited`` (429), BadInput ``bad_page``. Side effects: one
    ``sharing_delivery`` row and one audit record, even for an empty page.
    """
    max_size = get_sharing_settings().max_page_size
    if page < 1 or not 1 <= size <= max_size:
        raise BadInput(f"页码从 1 开始, 每页 1–{max_size} 行", code="bad_page")
    grant = authenticate_grant(session, token=token, method=DeliveryMethod.api)
    ratelimit.check(grant.id, grant.rate_limit_per_minute)
    resource = _resource(session, grant)
    reader = _reader(grant, resource, store)
    rows = reader.rows(limit=size, offset=(page - 1) * size)
    total = reader.total()
    delivery = _log(
        session, grant, resource, reader.items, rows, method="api", page=page, source_ip=source_ip
    )
    return DeliveredPage(resource.code, reader.items, rows, total, page, size, delivery.id)


def deliver_file(
    session: Session,
    *,
    token: str,
    file_format: str = "csv",
    source_ip: str = "",
    store: hub.HubStore,
) -> DeliveredFile:
    """All granted rows as CSV (UTF-8 with BOM) or XLSX, Chinese headers, trace columns last.

    Raises what :func:`service.authenticate_grant` raises, RateLimited ``rate_limited``,
    BadInput ``bad_file_format`` and ``too_many_rows`` (more than the configured maximum:
    use the paged API). Logged and audited like :func:`deliver_rows` (method csv/xlsx).
    """
    if file_format not in FILE_FORMATS:
        raise BadInput("文件格式只能是 csv 或 xlsx", code="bad_file_format", detail=file_format)
    grant = authenticate_grant(session, token=token, method=DeliveryMethod.file)
    ratelimit.check(grant.id, grant.rate_limit_per_minute)
    resource = _resource(session, grant)
    reader = _reader(grant, resource, store)
    limit = get_sharing_settings().max_file_rows
    total = reader.total()
    if total > limit:
        raise BadInput(
            f"数据共 {total} 行, 超过文件下载上限 {limit} 行, 请改用接口分页获取",
            code="too_many_rows", detail={"rows": total, "limit": limit},
        )  # fmt: skip
    rows = reader.rows(limit=limit)
    titles_by_name = {i.name: i.title for i in resource.items}
    titles = [titles_by_name.get(name, name) for name in reader.items]
    if file_format == "csv":
        content, media = exports.to_csv(reader.items, titles, rows), exports.CSV_MEDIA_TYPE
    else:
        content = exports.to_xlsx(reader.items, titles, rows, sheet_title=resource.name)
        media = exports.XLSX_MEDIA_TYPE
    delivery = _log(
        session, grant, resource, reader.items, rows, method=file_format, source_ip=source_ip
    )
    stamp = utcnow().astimezone(rules.CHINA_TZ).strftime("%Y%m%d%H%M%S")
    filename = f"{resource.code}_{stamp}.{file_format}"
    return DeliveredFile(filename, media, content, len(rows), delivery.id)


def trace(
    session: Session,
    *,
    resource_code: str,
    key: str | None = None,
    batch_id: int | None = None,
    source_row: int | None = None,
    scope: Scope,
    store: hub.HubStore,
) -> TraceResult:
    """Where a hub row came from: its batch and source row, and the batch's source name,
    manifest checksum and loader. Give ``key``, or ``batch_id`` with ``source_row`` (the
    ``_trace`` a consumer received).

    Raises BadInput ``trace_target_required``, NotFound ``resource_not_found`` (also outside
    ``scope``) and ``hub_row_not_found``. Reads only; not audited.
    """
    if key is None and (batch_id is None or source_row is None):
        raise BadInput("请给出记录主键, 或批次号与源行号", code="trace_target_required")
    resource = catalog_queries.get_resource(session, resource_code, scope=scope)
    row = find_row(resource.code, key=key, batch_id=batch_id, source_row=source_row, store=store)
    if row is None:
        raise NotFound(
            "中枢库中没有这条记录",
            code="hub_row_not_found",
            detail={"key": key, "batch_id": batch_id, "source_row": source_row},
        )
    batch = _batch(session, row.batch_id)
    return TraceResult(
        resource.code, row.key, row.version, row.batch_id, row.source_row, row.loaded_at,
        None if batch is None else {
            "id": batch.id, "source_kind": batch.source_kind, "source_name": batch.source_name,
            "checksum": batch.checksum, "row_count": batch.row_count, "status": batch.status,
            "department_code": batch.department_code, "created_by": batch.created_by,
            "created_at": batch.created_at, "finished_at": batch.finished_at,
        },
    )  # fmt: skip


def _batch(session: Session, batch_id: int) -> IngestBatch | None:
    try:
        # provenance of a row already delivered under a checked grant
        return ingest_queries.get_batch(session, batch_id, scope=Scope.system())
    except NotFound:  # loaded by other means (a test, a migration): the hub row still traces
        return None


def protections_of(grant: SharingGrant) -> dict[str, Protection]:
    stored = json.loads(grant.protections)
    return {name: Protection(stored[name]) for name in json.loads(grant.items)}


def _resource(session: Session, grant: SharingGrant) -> CatalogResource:
    resource = session.get(CatalogResource, grant.resource_id)
    if resource is None:  # a foreign key guarantees it; kept for the type checker
        raise NotFound("资源不存在", code="resource_not_found")
    return resource


def _reader(grant: SharingGrant, resource: CatalogResource, store: hub.HubStore) -> GrantedReader:
    protections = protections_of(grant)
    # Items dropped from the catalog since the grant are not delivered (their column may stay).
    current = {i.name for i in resource.items}
    protections = {name: p for name, p in protections.items() if name in current}
    key = rules.consumer_key(get_settings().key("pseudonym_key"), grant.consumer_code)
    return GrantedReader(resource.code, protections, key, store=store)


def _log(
    session: Session,
    grant: SharingGrant,
    resource: CatalogResource,
    items: list[str],
    rows: list[dict[str, Any]],
    *,
    method: str,
    source_ip: str,
    page: int | None = None,
) -> SharingDelivery:
    batch_ids = sorted(
        {int(r[TRACE]["batch_id"]) for r in rows if r[TRACE]["batch_id"] is not None}
    )
    context = actor_of(session)
    delivery = SharingDelivery(
        grant_id=grant.id, consumer_code=grant.consumer_code, resource_id=resource.id,
        resource_region_code=resource.region_code, items=json.dumps(items, ensure_ascii=False),
        row_count=len(rows), method=method, page=page, at=utcnow(), actor=context.actor,
        source_ip=source_ip or context.source_ip, batch_ids=json.dumps(batch_ids),
    )  # fmt: skip
    session.add(delivery)
    session.flush()
    protections = protections_of(grant)
    protected = [n for n in items if protections[n] is not Protection.clear]
    audit.record(
        session, action="sharing.deliver", object_type="sharing_grant", object_id=str(grant.id),
        region_code=resource.region_code,
        detail={"delivery_id": delivery.id, "resource_code": resource.code,
                "consumer_code": grant.consumer_code, "items": items, "rows": len(rows),
                "method": method, "page": page, "batch_ids": batch_ids,
                "protected_items": protected, "personal_data": bool(protected)},
    )  # fmt: skip
    return delivery
