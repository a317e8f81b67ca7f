"""Commands on the indicator tree and on definitions, with their review. Each flushes (never
commits), audits in the caller's transaction, and raises domain errors.

Scope: boards, sets and indicators belong to a region; an indicator also to its owner
department. A caller changes only what lies in its region and, when bound to a department,
only its department's indicators (``Scope.covers``).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.errors import BadInput, Conflict, InvalidState, NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.iam.departments import Department
from citybrain.indicators import workflow
from citybrain.indicators.models import Indicator, IndicatorBoard, IndicatorRevision, IndicatorSet
from citybrain.indicators.schemas import (
    BoardCreate,
    IndicatorCreate,
    IndicatorDefinition,
    SetCreate,
    ValidationResult,
)
from citybrain.indicators.searchable import publish_searchable
from citybrain.indicators.validation import validate
from citybrain.indicators.workflow import Action, RevisionStatus
from citybrain.regions.scope import normalise_code

# Fields of a revision's snapshot besides the definition itself.
DERIVED_FIELDS = ("source_resources", "inputs", "period_type")


def _region(scope: Scope, region_code: str | None) -> str:
    code = normalise_code(region_code or scope.region_code)
    if not scope.covers_region(code):
        raise PermissionDenied(f"区划 {code} 不在本人辖区内", code="out_of_scope", detail=code)
    return code


def _check_code_free(session: Session, model: type[Any], code: str, label: str) -> None:
    if session.execute(select(model.id).where(model.code == code)).first() is not None:
        raise Conflict(
            f"{label}代码 {code} 已存在", code=f"{model.__tablename__}_code_taken", detail=code
        )


def create_board(session: Session, *, spec: BoardCreate, scope: Scope) -> IndicatorBoard:
    """A board of the caller's region (or one below it). Conflict ``indicator_board_code_taken``,
    PermissionDenied ``out_of_scope``. Audited ``indicator.board.create``."""
    region = _region(scope, spec.region_code)
    _check_code_free(session, IndicatorBoard, spec.code, "板块")
    board = IndicatorBoard(
        code=spec.code,
        name=spec.name,
        region_code=region,
        description=spec.description,
        position=spec.position,
        created_at=utcnow(),
    )
    session.add(board)
    session.flush()
    audit.record(
        session,
        action="indicator.board.create",
        object_type="indicator_board",
        object_id=board.code,
        region_code=region,
        detail={"name": board.name},
    )
    return board


def get_board(session: Session, code: str, *, scope: Scope) -> IndicatorBoard:
    board = session.execute(
        select(IndicatorBoard).where(IndicatorBoard.code == code)
    ).scalar_one_or_none()
    if board is None or not _sees(scope, board.region_code):
        raise NotFound(f"板块 {code} 不存在", code="indicator_board_not_found", detail=code)
    return board


def _sees(scope: Scope, region_code: str) -> bool:
    """Boards and indicators are seen in their region's subtree and from above it."""
    return scope.unrestricted or (
        bool(scope.region_code)
        and (region_code.startswith(scope.region_code) or scope.region_code.startswith(region_code))
    )


def create_set(session: Session, *, spec: SetCreate, scope: Scope) -> IndicatorSet:
    """A set inside a board the caller manages. Audited ``indicator.set.create``."""
    board = get_board(session, spec.board_code, scope=scope)
    _region(scope, board.region_code)
    _check_code_free(session, IndicatorSet, spec.code, "指标集")
    item = IndicatorSet(
        board_id=board.id,
        code=spec.code,
        name=spec.name,
        description=spec.description,
        position=spec.position,
        created_at=utcnow(),
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        action="indicator.set.create",
        object_type="indicator_set",
        object_id=item.code,
        region_code=board.region_code,
        detail={"name": item.name, "board": board.code},
    )
    return item


def get_set(session: Session, code: str, *, scope: Scope) -> tuple[IndicatorSet, IndicatorBoard]:
    row = session.execute(
        select(IndicatorSet, IndicatorBoard)
        .join(IndicatorBoard, IndicatorBoard.id == IndicatorSet.board_id)
        .where(IndicatorSet.code == code)
    ).first()
    if row is None or not _sees(scope, row[1].region_code):
        raise NotFound(f"指标集 {code} 不存在", code="indicator_set_not_found", detail=code)
    return row[0], row[1]


def get_indicator(session: Session, code: str, *, scope: Scope) -> Indicator:
    """An indicator the caller may see; NotFound ``indicator_not_found`` otherwise."""
    row = session.execute(select(Indicator).where(Indicator.code == code)).scalar_one_or_none()
    if row is None or not _sees(scope, row.region_code):
        raise NotFound(f"指标 {code} 不存在", code="indicator_not_found", detail=code)
    return row


def editable_indicator(session: Session, code: str, *, scope: Scope) -> Indicator:
    """An indicator the caller may change: of its region and (if bound) its department. One it
    only sees is refused with NotFound, like one it cannot see, so nothing is disclosed."""
    row = get_indicator(session, code, scope=scope)
    if not scope.covers(region_code=row.region_code, department_code=row.owner_department_code):
        raise NotFound(f"指标 {code} 不存在", code="indicator_not_found", detail=code)
    return row


def _owner(session: Session, code: str, *, region: str, scope: Scope) -> Department:
    department = session.get(Department, code)
    home = normalise_code(department.region_code) if department is not None else ""
    if department is None or not (home.startswith(region) or region.startswith(home)):
        raise BadInput(f"责任部门 {code} 不存在", code="department_not_found", detail=code)
    if not scope.covers_department(code):
        raise PermissionDenied("只能为本部门编写指标", code="out_of_scope", detail=code)
    return department


def _snapshot(spec: IndicatorDefinition, result: ValidationResult) -> dict[str, Any]:
    data = spec.model_dump(mode="json")
    data["source_resources"] = result.resources
    data["inputs"] = result.inputs
    data["period_type"] = result.period_type
    return data


def _diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"old": old.get(key), "new": new.get(key)}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    }


def _apply(row: Indicator, snapshot: dict[str, Any], set_id: int) -> None:
    row.set_id = set_id
    for key in (
        "name",
        "caliber",
        "unit",
        "owner_department_code",
        "kind",
        "sql_text",
        "formula",
        "engine",
        "datasource_id",
        "update_frequency",
        "region_level",
        "granularity",
        "direction",
        "weight",
        "rollup",
        "ratio_scale",
        "timeout_seconds",
        "period_type",
    ):
        setattr(row, key, snapshot.get(key))
    row.source_resources = json.dumps(snapshot.get("source_resources", []), ensure_ascii=False)
    row.inputs = json.dumps(snapshot.get("inputs", []), ensure_ascii=False)


def _checked(
    session: Session,
    spec: IndicatorDefinition,
    *,
    code: str,
    region: str,
    hub: HubStore,
    settings: Settings,
) -> ValidationResult:
    result, _ = validate(session, spec, code=code, region_code=region, hub=hub, settings=settings)
    if not result.ok:
        raise BadInput(result.message, code=result.code, detail=result.detail)
    return result


def create_indicator(
    session: Session, *, spec: IndicatorCreate, scope: Scope, hub: HubStore, settings: Settings
) -> Indicator:
    """A new indicator, its first revision a draft. Validated and dry-run first: a refused
    definition raises BadInput with the check's code (``sql_parse_error``,
    ``function_not_allowed``, ``unknown_table``, ``unknown_column``, ``wrong_output_columns``,
    ``division_by_zero``, ``timeout``, ``derived_cycle``, …) and nothing is stored. Also
    Conflict ``indicator_code_taken``, NotFound ``indicator_set_not_found``, PermissionDenied
    ``out_of_scope``. Audited ``indicator.create``."""
    region = _region(scope, spec.region_code)
    item, board = get_set(session, spec.set_code, scope=scope)
    if not board.region_code.startswith(region[: len(board.region_code)]):
        raise BadInput("指标集不属于该区划", code="indicator_set_not_found", detail=spec.set_code)
    _owner(session, spec.owner_department_code, region=region, scope=scope)
    _check_code_free(session, Indicator, spec.code, "指标")
    definition = IndicatorDefinition.model_validate(
        spec.model_dump(exclude={"code", "region_code"})
    )
    result = _checked(
        session, definition, code=spec.code, region=region, hub=hub, settings=settings
    )
    snapshot = _snapshot(definition, result)
    now = utcnow()
    row = Indicator(
        code=spec.code,
        region_code=region,
        status=RevisionStatus.draft.value,
        head_revision=1,
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    _apply(row, snapshot, item.id)
    session.add(row)
    session.flush()
    session.add(
        IndicatorRevision(
            indicator_id=row.id,
            number=1,
            snapshot=json.dumps(snapshot, ensure_ascii=False),
            diff=json.dumps(_diff({}, snapshot), ensure_ascii=False),
            status=RevisionStatus.draft.value,
            author=scope.actor,
            created_at=now,
        )
    )
    session.flush()
    audit.record(
        session,
        action="indicator.create",
        object_type="indicator",
        object_id=row.code,
        region_code=region,
        detail={"name": row.name, "revision": 1},
    )
    return row


def head(session: Session, row: Indicator) -> IndicatorRevision:
    return session.execute(
        select(IndicatorRevision).where(
            IndicatorRevision.indicator_id == row.id, IndicatorRevision.number == row.head_revision
        )
    ).scalar_one()


def revise_indicator(
    session: Session,
    *,
    code: str,
    spec: IndicatorDefinition,
    scope: Scope,
    hub: HubStore,
    settings: Settings,
) -> IndicatorRevision:
    """Save a change as a new draft revision with its diff. A published indicator keeps
    running its live definition until the new revision is published. InvalidState
    ``revision_pending`` while a submitted or approved revision awaits its review; the
    definition is checked as in :func:`create_indicator`. Audited ``indicator.revise``."""
    row = editable_indicator(session, code, scope=scope)
    current = head(session, row)
    if not workflow.can_edit(RevisionStatus(current.status)):
        raise InvalidState(
            "该指标有待审核的修订, 请先审核或退回", code="revision_pending", detail=current.number
        )
    item, _ = get_set(session, spec.set_code, scope=scope)
    _owner(session, spec.owner_department_code, region=row.region_code, scope=scope)
    result = _checked(session, spec, code=code, region=row.region_code, hub=hub, settings=settings)
    snapshot = _snapshot(spec, result)
    changes = _diff(json.loads(current.snapshot), snapshot)
    if not changes:
        raise BadInput("定义没有变化", code="no_changes")
    now = utcnow()
    revision = IndicatorRevision(
        indicator_id=row.id,
        number=row.head_revision + 1,
        snapshot=json.dumps(snapshot, ensure_ascii=False),
        diff=json.dumps(changes, ensure_ascii=False),
        status=RevisionStatus.draft.value,
        author=scope.actor,
        created_at=now,
    )
    session.add(revision)
    row.head_revision = revision.number
    row.updated_at = now
    if row.live_revision is None:
        _apply(row, snapshot, item.id)
        row.status = RevisionStatus.draft.value
    session.flush()
    audit.record(
        session,
        action="indicator.revise",
        object_type="indicator",
        object_id=row.code,
        region_code=row.region_code,
        detail={"revision": revision.number, "fields": sorted(changes)},
    )
    return revision


def review(
    session: Session, *, code: str, action: Action, note: str = "", scope: Scope
) -> IndicatorRevision:
    """Move the head revision on (submit, approve, reject, publish). InvalidState
    ``bad_review_transition``; PermissionDenied ``reviewer_is_author`` when the caller wrote
    or submitted a revision under review. Publishing makes the revision live (runs and the API
    use it). Audited ``indicator.<action>``."""
    row = editable_indicator(session, code, scope=scope)
    revision = head(session, row)
    target = workflow.next_status(RevisionStatus(revision.status), action)
    since = row.live_revision or 0
    authors = session.execute(
        select(IndicatorRevision.author).where(
            IndicatorRevision.indicator_id == row.id, IndicatorRevision.number > since
        )
    ).scalars()
    workflow.check_reviewer(
        action, actor=scope.actor, authors=authors, submitter=revision.submitted_by
    )
    now = utcnow()
    revision.status = target.value
    if action is Action.submit:
        revision.submitted_by, revision.submitted_at = scope.actor, now
    elif action in (Action.approve, Action.reject):
        revision.reviewed_by, revision.reviewed_at, revision.review_note = scope.actor, now, note
    elif action is Action.publish:
        revision.published_by, revision.published_at = scope.actor, now
        _publish(session, row, revision, now)
    if row.live_revision is None:
        row.status = target.value
    row.updated_at = now
    session.flush()
    audit.record(
        session,
        action=f"indicator.{action.value}",
        object_type="indicator",
        object_id=row.code,
        region_code=row.region_code,
        detail={"revision": revision.number, "status": target.value, "note": note[:200]},
    )
    if action is Action.publish:
        publish_searchable(session, row)
    return revision


def _publish(session: Session, row: Indicator, revision: IndicatorRevision, now: Any) -> None:
    if row.live_revision is not None:
        previous = session.execute(
            select(IndicatorRevision).where(
                IndicatorRevision.indicator_id == row.id,
                IndicatorRevision.number == row.live_revision,
            )
        ).scalar_one()
        previous.status = RevisionStatus.superseded.value
    snapshot = json.loads(revision.snapshot)
    item = session.execute(
        select(IndicatorSet).where(IndicatorSet.code == snapshot["set_code"])
    ).scalar_one_or_none()
    if item is None:
        raise InvalidState("修订所属的指标集已不存在", code="indicator_set_not_found")
    _apply(row, snapshot, item.id)
    row.live_revision = revision.number
    row.status = RevisionStatus.published.value
    row.published_at = now
