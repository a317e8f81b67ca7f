"""The audit administrator's window on the ledger: search, export (JSON lines), verify."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from citybrain.core.audit import queries, service
from citybrain.core.audit.schemas import (
    AuditFilter,
    AuditRecordPage,
    AuditRecordRead,
    AuditVerifyRead,
)
from citybrain.core.security import Principal, require
from citybrain.core.web import DbSession

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/records", response_model=AuditRecordPage)
def search_records(
    session: DbSession,
    _: Annotated[Principal, Depends(require("audit:read"))],
    flt: Annotated[AuditFilter, Depends()],
) -> AuditRecordPage:
    rows, total = queries.search(session, flt)
    return AuditRecordPage(
        items=[AuditRecordRead.model_validate(r) for r in rows],
        total=total,
        page=flt.page,
        size=flt.size,
    )


@router.get("/export", response_class=StreamingResponse)
def export_records(
    session: DbSession,
    principal: Annotated[Principal, Depends(require("audit:export"))],
    flt: Annotated[AuditFilter, Depends()],
) -> StreamingResponse:
    service.record(session, action="audit.export", object_type="audit_record")
    lines = list(service.export_lines(queries.iter_matching(session, flt)))
    return StreamingResponse(
        iter(lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit.jsonl"'},
    )


@router.get("/verify", response_model=AuditVerifyRead)
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
