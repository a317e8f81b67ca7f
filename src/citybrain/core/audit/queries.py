from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.audit.schemas import AuditFilter
from citybrain.core.pagination import PageParams, paginate


def _filtered(flt: AuditFilter) -> Select[AuditRecord]:
    query = select(AuditRecord)
    if flt.actor:
        query = query.where(AuditRecord.actor == flt.actor)
    if flt.action:
        query = query.where(AuditRecord.action.startswith(flt.action))
    if flt.outcome:
        query = query.where(AuditRecord.outcome == flt.outcome)
    if flt.object_type:
        query = query.where(AuditRecord.object_type == flt.object_type)
    if flt.since:
        query = query.where(AuditRecord.at >= flt.since)
    if flt.until:
        query = query.where(AuditRecord.at < flt.until)
    return query


def search(session: Session, flt: AuditFilter) -> tuple[list[AuditRecord], int]:
    query = _filtered(flt).order_by(AuditRecord.seq.desc())
    return paginate(session, query, PageParams(page=flt.page, size=flt.size))


def iter_matching(session: Session, flt: AuditFilter) -> Iterator[AuditRecord]:
    query = _filtered(flt).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    yield from session.execute(query).scalars()
