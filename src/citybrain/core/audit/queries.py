"""Reads of the ledger, always inside an auditor's region (an audit administrator of a county
sees that county's subtree, never a neighbour's)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.audit.schemas import AuditFilter
from citybrain.core.pagination import PageParams, paginate


@dataclass(frozen=True, slots=True)
class AuditScope:
    """Which records a reader may see. ``region_code`` None means every record (the CLI);
    "" means none. Records without a region (the CLI's, anonymous refusals) belong to the
    installation as a whole: ``system_records`` lets the installation's own auditors see them."""

    region_code: str | None
    system_records: bool = False

    @classmethod
    def system(cls) -> AuditScope:
        return cls(region_code=None, system_records=True)

    @classmethod
    def for_auditor(cls, region_code: str, *, installation_region: str) -> AuditScope:
        """An auditor of ``region_code``; the installation's region or one above it also
        sees the region-less records."""
        owns_installation = bool(region_code) and installation_region.startswith(region_code)
        return cls(region_code=region_code, system_records=owns_installation)


def _upper_bound(code: str) -> str | None:
    # codes are digit strings; "code <= x < bound" selects the subtree with the plain index
    return None if set(code) == {"9"} else str(int(code) + 1).zfill(len(code))


def scope_condition(scope: AuditScope) -> ColumnElement[bool]:
    if scope.region_code is None:
        return true()
    column = AuditRecord.region_code
    if not scope.region_code.isdigit():
        subtree: ColumnElement[bool] = false()
    else:
        bound = _upper_bound(scope.region_code)
        lower = column >= scope.region_code
        subtree = lower if bound is None else and_(lower, column < bound)
    return or_(subtree, column == "") if scope.system_records else subtree


def _filtered(flt: AuditFilter, scope: AuditScope) -> Select[AuditRecord]:
    query = select(AuditRecord).where(scope_condition(scope))
    if flt.actor:
        query = query.where(AuditRecord.actor == flt.actor)
    if flt.action:
        query = query.where(AuditRecord.action.startswith(flt.action))
    if flt.outcome:
        query = query.where(AuditRecord.outcome == flt.outcome)
    if flt.object_type:
        query = query.where(AuditRecord.object_type == flt.object_type)
    if flt.region_code:
        query = query.where(AuditRecord.region_code.startswith(flt.region_code))
    if flt.since:
        query = query.where(AuditRecord.at >= flt.since)
    if flt.until:
        query = query.where(AuditRecord.at < flt.until)
    return query


def search(
    session: Session, flt: AuditFilter, *, scope: AuditScope
) -> tuple[list[AuditRecord], int]:
    query = _filtered(flt, scope).order_by(AuditRecord.seq.desc())
    return paginate(session, query, PageParams(page=flt.page, size=flt.size))


def iter_matching(
    session: Session, flt: AuditFilter, *, scope: AuditScope
) -> Iterator[AuditRecord]:
    query = _filtered(flt, scope).order_by(AuditRecord.seq).execution_options(yield_per=1000)
    yield from session.execute(query).scalars()
