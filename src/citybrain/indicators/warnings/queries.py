"""Reads of five-colour warnings, inside the caller's region subtree (warnings are read like
values: regionally; handling them is the owner department's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from citybrain.core.errors import PermissionDenied
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.indicators.models import Indicator
from citybrain.indicators.service import get_indicator
from citybrain.indicators.warnings.models import IndicatorWarning, IndicatorWarningRule
from citybrain.indicators.warnings.rules import Colour, WarningStatus
from citybrain.indicators.warnings.schemas import (
    IndicatorWarningFilter,
    IndicatorWarningPage,
    IndicatorWarningRead,
    IndicatorWarningRuleRead,
    IndicatorWarningRules,
    IndicatorWarningRuleSpec,
)
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import normalise_code


def _inside(scope: Scope, region: str | None = None) -> ColumnElement[bool]:
    if region:
        return region_queries.within_scope(IndicatorWarning.region_code, region)
    if scope.unrestricted:
        return true()
    return region_queries.within_scope(IndicatorWarning.region_code, scope.region_code)


def list_warnings(
    session: Session, *, scope: Scope, filters: IndicatorWarningFilter, page: PageParams
) -> IndicatorWarningPage:
    """Newest period first; green (normal) rows only when asked for. PermissionDenied
    ``out_of_scope`` for a region filter outside the caller's."""
    region = normalise_code(filters.region) if filters.region else None
    if region and not scope.covers_region(region):
        raise PermissionDenied(f"区划 {region} 不在本人辖区内", code="out_of_scope", detail=region)
    query = (
        select(IndicatorWarning)
        .join(Indicator, Indicator.id == IndicatorWarning.indicator_id)
        .where(_inside(scope, region))
        .order_by(IndicatorWarning.period.desc(), IndicatorWarning.id.desc())
    )
    if filters.colour:
        query = query.where(IndicatorWarning.colour == filters.colour.value)
    elif not filters.include_green:
        query = query.where(IndicatorWarning.colour != Colour.green.value)
    if filters.status:
        query = query.where(IndicatorWarning.status == filters.status.value)
    if filters.indicator:
        query = query.where(Indicator.code == filters.indicator)
    rows, total = paginate(session, query, page)
    return IndicatorWarningPage(
        items=read_many(session, rows), total=total, page=page.page, size=page.size
    )


def read_many(session: Session, rows: Sequence[IndicatorWarning]) -> list[IndicatorWarningRead]:
    indicators = {
        i: (c, n)
        for i, c, n in session.execute(
            select(Indicator.id, Indicator.code, Indicator.name).where(
                Indicator.id.in_({r.indicator_id for r in rows})
            )
        )
    }
    names = region_queries.names_of(session, {r.region_code for r in rows})
    return [
        IndicatorWarningRead(
            id=r.id,
            indicator_code=indicators[r.indicator_id][0],
            indicator_name=indicators[r.indicator_id][1],
            region_code=r.region_code,
            region_name=names.get(r.region_code, ""),
            period=r.period,
            department_code=r.department_code,
            value=r.value,
            colour=Colour(r.colour),
            reason=r.reason,
            status=WarningStatus(r.status),
            consecutive_red=r.consecutive_red,
            escalated_at=r.escalated_at,
            acknowledged_by=r.acknowledged_by,
            acknowledged_at=r.acknowledged_at,
            closed_by=r.closed_by,
            closed_at=r.closed_at,
            close_note=r.close_note,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def _rule_read(code: str, row: IndicatorWarningRule) -> IndicatorWarningRuleRead:
    return IndicatorWarningRuleRead(
        id=row.id,
        indicator_code=code,
        region_code=row.region_code,
        spec=IndicatorWarningRuleSpec.model_validate_json(row.spec),
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def rules_of(session: Session, code: str, *, scope: Scope) -> IndicatorWarningRules:
    """The indicator's rule and the overrides of regions inside the caller's."""
    indicator = get_indicator(session, code, scope=scope)
    rows = session.execute(
        select(IndicatorWarningRule)
        .where(IndicatorWarningRule.indicator_id == indicator.id)
        .order_by(IndicatorWarningRule.region_code)
    ).scalars()
    default, overrides = None, []
    for row in rows:
        if not row.region_code:
            default = _rule_read(indicator.code, row)
        elif scope.covers_region(row.region_code):
            overrides.append(_rule_read(indicator.code, row))
    return IndicatorWarningRules(
        indicator_code=indicator.code,
        direction=indicator.direction,
        default=default,
        overrides=overrides,
    )


def colours_of(
    session: Session, *, indicator_id: int, regions: Iterable[str], first: str | None,
    last: str | None,
) -> dict[tuple[str, str], str]:  # fmt: skip
    """The stored colour of each (region, period): what the values API answers, so a value's
    colour is always the one its warning carries (hysteresis included)."""
    query = select(
        IndicatorWarning.region_code, IndicatorWarning.period, IndicatorWarning.colour
    ).where(
        IndicatorWarning.indicator_id == indicator_id,
        IndicatorWarning.region_code.in_(list(regions)),
    )
    if first:
        query = query.where(IndicatorWarning.period >= first)
    if last:
        query = query.where(IndicatorWarning.period <= last)
    return {(r, p): c for r, p, c in session.execute(query)}
