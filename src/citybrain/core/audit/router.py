"""The audit administrator's window on the ledger, inside their own region: search, export
(JSON lines, CSV, Excel), verify, and the names of the actions for the filter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from citybrain.core.audit import export, present, queries, service, titles
from citybrain.core.audit.export import ExportFormat
from citybrain.core.audit.queries import AuditScope
from citybrain.core.audit.schemas import (
    AuditActionRead,
    AuditFilter,
    AuditRecordPage,
    AuditRecordRead,
    AuditVerifyRead,
)
from citybrain.core.clock import utcnow
from citybrain.core.security import Principal, require
from citybrain.core.web import AppSettings, DbSession

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def reader_scope(
    principal: Annotated[Principal, Depends(require("audit:read"))], settings: AppSettings
) -> AuditScope:
    return AuditScope.for_auditor(principal.region_code, installation_region=settings.demo_region)


def exporter_scope(
    principal: Annotated[Principal, Depends(require("audit:export"))], settings: AppSettings
) -> AuditScope:
    return AuditScope.for_auditor(principal.region_code, installation_region=settings.demo_region)


@router.get(
    "/records",
    description=(
        "审计管理员分页查询本辖区的审计记录 (操作、操作者、对象、结果、时间), 可按操作、操作者、"
        "时间段等筛选。"
    ),
    response_model=AuditRecordPage,
    summary="查询审计记录 (本辖区)",
)
def search_records(
    session: DbSession,
    scope: Annotated[AuditScope, Depends(reader_scope)],
    flt: Annotated[AuditFilter, Depends()],
) -> AuditRecordPage:
    rows, total = queries.search(session, flt, scope=scope)
    return AuditRecordPage(
        items=[AuditRecordRead.of(p) for p in present.present(session, rows)],
        total=total,
        page=flt.page,
        size=flt.size,
    )


@router.get(
    "/export",
    description=(
        "按筛选条件导出本辖区的审计记录 (format 为 jsonl、csv 或 xlsx); 导出本身记入审计 ("
        "audit.export)。"
    ),
    response_class=StreamingResponse,
    summary="导出审计记录 (本辖区)",
)
def export_records(
    session: DbSession,
    scope: Annotated[AuditScope, Depends(exporter_scope)],
    flt: Annotated[AuditFilter, Depends()],
    fmt: Annotated[
        ExportFormat, Query(alias="format", description="jsonl, csv 或 xlsx")
    ] = ExportFormat.jsonl,
) -> Response:
    rows = list(present.present_stream(session, queries.iter_matching(session, flt, scope=scope)))
    service.record(
        session,
        action="audit.export",
        object_type="audit_record",
        detail={
            "format": fmt.value,
            "count": len(rows),
            "filter": flt.model_dump(exclude={"page", "size"}, exclude_none=True, mode="json"),
        },
    )
    name = f"audit-{_stamp(utcnow())}.{fmt.value}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt is ExportFormat.xlsx:
        body = export.xlsx_bytes(rows)
        return Response(body, media_type=export.MEDIA_TYPES[fmt], headers=headers)
    chunks = export.csv_chunks(rows) if fmt is ExportFormat.csv else export.jsonl_chunks(rows)
    return StreamingResponse(chunks, media_type=export.MEDIA_TYPES[fmt], headers=headers)


def _stamp(at: datetime) -> str:
    return at.strftime("%Y%m%d%H%M%S")


@router.get(
    "/actions",
    description="全部审计操作代码及其中文名称, 供筛选下拉框使用。",
    response_model=list[AuditActionRead],
    summary="操作名称表",
)
def list_actions(_: Annotated[Principal, Depends(require("audit:read"))]) -> list[AuditActionRead]:
    return [AuditActionRead(code=c, title=t) for c, t in titles.known_actions().items()]


@router.get(
    "/verify",
    description=(
        "校验审计记录的哈希链与外部检查点是否完整未被篡改, 返回校验条数与第一个断点; "
        "校验通过时同时登记新的检查点。"
    ),
    response_model=AuditVerifyRead,
    summary="校验审计链与检查点",
)
def verify_chain(
    session: DbSession, _: Annotated[Principal, Depends(require("audit:read"))]
) -> AuditVerifyRead:
    result = service.verify(session)
    if result.ok:
        service.anchor_committed(session)
    return AuditVerifyRead(
        ok=result.ok,
        checked=result.checked,
        breach=result.breach.value if result.breach else None,
        seq=result.seq,
        message=result.message,
        checkpoint_seq=result.checkpoint_seq,
        warnings=list(result.warnings),
    )
