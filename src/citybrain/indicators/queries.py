"""Reads of the indicator platform, always inside the caller's scope.

Indicators (and boards) are seen in their region's subtree and from the regions above it;
values are answered only for regions inside the caller's own region. Run internals (the
engine's error and the SQL) are shown to holders of ``indicators:run`` only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.iam.departments import Department
from citybrain.indicators import permissions
from citybrain.indicators.models import (
    Indicator,
    IndicatorBoard,
    IndicatorRevision,
    IndicatorRun,
    IndicatorSet,
    IndicatorValue,
)
from citybrain.indicators.periods import Granularity, PeriodError, check_label
from citybrain.indicators.schemas import (
    IndicatorFilter,
    IndicatorPage,
    IndicatorRead,
    RevisionPage,
    RevisionRead,
    RunSummary,
    TreeBoard,
    TreeIndicator,
    TreeSet,
    ValueList,
    ValueRow,
    ValueVersion,
)
from citybrain.indicators.service import get_indicator
from citybrain.indicators.warnings.queries import colours_of
from citybrain.indicators.workflow import RevisionStatus
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import ancestors, normalise_code


def seen_clause(scope: Scope, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """SQL: a region code of the caller's subtree or one of its ancestors."""
    if scope.unrestricted:
        return true()
    if not scope.region_code:
        return false()
    below = region_queries.within_scope(column, scope.region_code)
    above = ancestors(scope.region_code)
    return or_(below, column.in_(above)) if above else below


def _indicators(scope: Scope) -> Select[Indicator, IndicatorSet, IndicatorBoard]:
    return (
        select(Indicator, IndicatorSet, IndicatorBoard)
        .join(IndicatorSet, IndicatorSet.id == Indicator.set_id)
        .join(IndicatorBoard, IndicatorBoard.id == IndicatorSet.board_id)
        .where(seen_clause(scope, Indicator.region_code))
    )


def list_indicators(
    session: Session, *, filters: IndicatorFilter, page: PageParams, scope: Scope
) -> IndicatorPage:
    query = _indicators(scope).order_by(
        IndicatorBoard.position, IndicatorSet.position, Indicator.code
    )
    if filters.status is not None:
        query = query.where(Indicator.status == filters.status.value)
    if filters.board:
        query = query.where(IndicatorBoard.code == filters.board)
    if filters.set:
        query = query.where(IndicatorSet.code == filters.set)
    if filters.kind is not None:
        query = query.where(Indicator.kind == filters.kind.value)
    if filters.q:
        like = f"%{filters.q.strip()}%"
        query = query.where(or_(Indicator.code.like(like), Indicator.name.like(like)))
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.limit(page.size).offset((page.page - 1) * page.size)).all()
    items = read_many(session, [(r[0], r[1], r[2]) for r in rows])
    return IndicatorPage(items=items, total=total, page=page.page, size=page.size)


def read_indicator(session: Session, code: str, *, scope: Scope) -> IndicatorRead:
    row = get_indicator(session, code, scope=scope)
    item = session.get(IndicatorSet, row.set_id)
    board = session.get(IndicatorBoard, item.board_id) if item else None
    assert item is not None  # noqa: S101 - foreign keys
    assert board is not None  # noqa: S101
    return read_many(session, [(row, item, board)])[0]


def read_many(
    session: Session, rows: Sequence[tuple[Indicator, IndicatorSet, IndicatorBoard]]
) -> list[IndicatorRead]:
    if not rows:
        return []
    ids = [r[0].id for r in rows]
    departments = dict(
        session.execute(
            select(Department.code, Department.name).where(
                Department.code.in_({r[0].owner_department_code for r in rows})
            )
        ).all()
    )
    latest = (
        select(func.max(IndicatorRun.id))
        .where(IndicatorRun.indicator_id.in_(ids), IndicatorRun.finished_at.is_not(None))
        .group_by(IndicatorRun.indicator_id)
    )
    last_runs = {
        run.indicator_id: run
        for run in session.execute(
            select(IndicatorRun).where(IndicatorRun.id.in_(latest))
        ).scalars()
    }
    heads = dict(
        session.execute(
            select(IndicatorRevision.indicator_id, IndicatorRevision.status)
            .join(
                Indicator,
                and_(
                    Indicator.id == IndicatorRevision.indicator_id,
                    Indicator.head_revision == IndicatorRevision.number,
                ),
            )
            .where(IndicatorRevision.indicator_id.in_(ids))
        ).all()
    )
    result = []
    for row, item, board in rows:
        run = last_runs.get(row.id)
        pending = heads.get(row.id)
        result.append(
            IndicatorRead(
                id=row.id,
                code=row.code,
                name=row.name,
                set_code=item.code,
                set_name=item.name,
                board_code=board.code,
                board_name=board.name,
                region_code=row.region_code,
                owner_department_code=row.owner_department_code,
                owner_department_name=departments.get(row.owner_department_code, ""),
                caliber=row.caliber,
                unit=row.unit,
                kind=row.kind,
                sql_text=row.sql_text,
                formula=row.formula,
                engine=row.engine,
                datasource_id=row.datasource_id,
                source_resources=json.loads(row.source_resources or "[]"),
                inputs=json.loads(row.inputs or "[]"),
                update_frequency=row.update_frequency,
                region_level=row.region_level,
                granularity=row.granularity,
                direction=row.direction,
                weight=row.weight,
                rollup=row.rollup,
                ratio_scale=row.ratio_scale,
                timeout_seconds=row.timeout_seconds,
                status=row.status,
                live_revision=row.live_revision,
                head_revision=row.head_revision,
                pending_status=pending
                if row.live_revision is not None and row.head_revision != row.live_revision
                else None,
                created_by=row.created_by,
                created_at=row.created_at,
                updated_at=row.updated_at,
                published_at=row.published_at,
                last_run=RunSummary(
                    run_id=run.id,
                    status=run.status,
                    duration_ms=run.duration_ms,
                    finished_at=run.finished_at,
                )
                if run
                else None,
            )
        )
    return result


def tree(session: Session, *, scope: Scope) -> list[TreeBoard]:
    """Boards → sets → indicators the caller sees, in their positions."""
    boards = session.execute(
        select(IndicatorBoard)
        .where(seen_clause(scope, IndicatorBoard.region_code))
        .order_by(IndicatorBoard.position, IndicatorBoard.code)
    ).scalars()
    result = {
        b.id: TreeBoard(
            code=b.code, name=b.name, region_code=b.region_code, description=b.description, sets=[]
        )
        for b in boards
    }
    sets: dict[int, TreeSet] = {}
    for item in session.execute(
        select(IndicatorSet)
        .where(IndicatorSet.board_id.in_(list(result)))
        .order_by(IndicatorSet.position, IndicatorSet.code)
    ).scalars():
        sets[item.id] = TreeSet(
            code=item.code, name=item.name, description=item.description, indicators=[]
        )
        result[item.board_id].sets.append(sets[item.id])
    for row in session.execute(
        select(Indicator)
        .where(Indicator.set_id.in_(list(sets)), seen_clause(scope, Indicator.region_code))
        .order_by(Indicator.code)
    ).scalars():
        sets[row.set_id].indicators.append(
            TreeIndicator(
                code=row.code, name=row.name, status=row.status, kind=row.kind, unit=row.unit
            )
        )
    return list(result.values())


# --- review -------------------------------------------------------------------------------


def list_revisions(
    session: Session,
    *,
    scope: Scope,
    page: PageParams,
    status: RevisionStatus | None = None,
    code: str | None = None,
) -> RevisionPage:
    """Revisions the caller could review or edit (its region and departments), newest first;
    the review queue is ``status=submitted`` and ``status=approved``."""
    query = (
        select(IndicatorRevision, Indicator)
        .join(Indicator, Indicator.id == IndicatorRevision.indicator_id)
        .where(
            region_queries.within_scope(Indicator.region_code, scope.region_code)
            if not scope.unrestricted
            else true(),
            scope.department_clause(Indicator.owner_department_code),
        )
        .order_by(IndicatorRevision.id.desc())
    )
    if status is not None:
        query = query.where(IndicatorRevision.status == status.value)
    if code:
        query = query.where(Indicator.code == code)
    total = int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    rows = session.execute(query.limit(page.size).offset((page.page - 1) * page.size)).all()
    items = [revision_read(rev, row) for rev, row in rows]
    return RevisionPage(items=items, total=total, page=page.page, size=page.size)


def revision_read(revision: IndicatorRevision, row: Indicator) -> RevisionRead:
    return RevisionRead(
        id=revision.id,
        indicator_code=row.code,
        indicator_name=row.name,
        number=revision.number,
        status=revision.status,
        diff=json.loads(revision.diff or "{}"),
        snapshot=json.loads(revision.snapshot or "{}"),
        author=revision.author,
        created_at=revision.created_at,
        submitted_by=revision.submitted_by,
        submitted_at=revision.submitted_at,
        reviewed_by=revision.reviewed_by,
        reviewed_at=revision.reviewed_at,
        review_note=revision.review_note,
        published_by=revision.published_by,
        published_at=revision.published_at,
    )


# --- values -------------------------------------------------------------------------------


def _published(session: Session, code: str, scope: Scope) -> Indicator:
    row = get_indicator(session, code, scope=scope)
    if not row.is_live:
        from citybrain.core.errors import NotFound

        raise NotFound(f"指标 {code} 不存在", code="indicator_not_found", detail=code)
    return row


def _period(value: str | None, granularity: Granularity) -> str | None:
    if value is None:
        return None
    try:
        return check_label(value, granularity)
    except PeriodError as exc:
        raise BadInput(str(exc), code="bad_period", detail=value) from exc


def values(
    session: Session,
    code: str,
    *,
    scope: Scope,
    region: str | None,
    first: str | None,
    last: str | None,
) -> ValueList:
    """Current values of a published indicator for ``region`` (default: the caller's) and its
    direct children, oldest period first. PermissionDenied ``out_of_scope`` for a region
    outside the caller's; NotFound ``indicator_not_found`` for an unpublished indicator."""
    row = _published(session, code, scope)
    wanted = normalise_code(region) if region else scope.region_code
    if not wanted:
        raise BadInput("请指定区划", code="region_required")
    if not scope.covers_region(wanted):
        raise PermissionDenied(f"区划 {wanted} 不在本人辖区内", code="out_of_scope", detail=wanted)
    granularity = Granularity(row.granularity)
    low, high = _period(first, granularity), _period(last, granularity)
    children = [r.code for r in region_queries.children(session, wanted)]
    query = (
        select(IndicatorValue.region_code, IndicatorValue.period, IndicatorValue.value)
        .where(
            IndicatorValue.indicator_id == row.id,
            IndicatorValue.current.is_(True),
            IndicatorValue.region_code.in_([wanted, *children]),
        )
        .order_by(IndicatorValue.period, IndicatorValue.region_code)
    )
    if low:
        query = query.where(IndicatorValue.period >= low)
    if high:
        query = query.where(IndicatorValue.period <= high)
    found = session.execute(query).all()
    names = region_queries.names_of(session, {r[0] for r in found})
    colours = colours_of(
        session, indicator_id=row.id, regions=[wanted, *children], first=low, last=high
    )
    items = [
        ValueRow(
            region_code=c,
            region_name=names.get(c, ""),
            period=p,
            value=v,
            colour=colours.get((c, p)),
        )
        for c, p, v in found
    ]
    return ValueList(
        code=row.code,
        name=row.name,
        unit=row.unit,
        granularity=row.granularity,
        region_code=wanted,
        items=items,
    )


def value_history(
    session: Session, code: str, *, scope: Scope, region: str, period: str
) -> list[ValueVersion]:
    """Every version of one value, newest first, each traced to its run (and, for operators,
    the SQL that produced it)."""
    row = get_indicator(session, code, scope=scope)
    wanted = normalise_code(region)
    if not scope.covers_region(wanted):
        raise PermissionDenied(f"区划 {wanted} 不在本人辖区内", code="out_of_scope", detail=wanted)
    internals = scope.has(permissions.RUN)
    rows = session.execute(
        select(IndicatorValue, IndicatorRun)
        .join(IndicatorRun, IndicatorRun.id == IndicatorValue.run_id)
        .where(
            IndicatorValue.indicator_id == row.id,
            IndicatorValue.region_code == wanted,
            IndicatorValue.period == period,
        )
        .order_by(IndicatorValue.version.desc())
    ).all()
    return [
        ValueVersion(
            region_code=v.region_code,
            period=v.period,
            value=v.value,
            numerator=v.numerator,
            denominator=v.denominator,
            version=v.version,
            current=v.current,
            run_id=v.run_id,
            revision=run.revision,
            computed_at=v.computed_at,
            sql_text=run.sql_text if internals else None,
        )
        for v, run in rows
    ]


__all__ = ["list_indicators", "paginate", "values"]
