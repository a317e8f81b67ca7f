"""Commands of 事件: receive an event from any channel, move it through its life cycle. Each
flushes (never commits), audits in the caller's transaction; a new event publishes the domain
event ``event.created`` (delivered after commit).

``scope`` is the acting caller's; an event the caller may not see is NotFound
``event_not_found`` (its existence does not leak), one it sees but may not act on is
PermissionDenied ``permission_denied``.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import actor_of
from citybrain.core.errors import BadInput, InvalidState, NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.events import permissions, workflow
from citybrain.events.categories import get_category
from citybrain.events.models import Event, EventStep
from citybrain.events.schemas import EventCreate, EventTransition
from citybrain.events.workflow import EventAction, EventStatus
from citybrain.iam.departments import Department
from citybrain.regions import geo, pii
from citybrain.regions import queries as region_queries
from citybrain.regions import scope as regions_scope

CREATED = "event.created"
PHONE_CONTEXT = "event.reporter_phone"
# No 0/O, 1/I/L: a code read out on the phone is typed back without doubt.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tracking_code(length: int = 10) -> str:
    """A random code of ``length`` characters (31^10 ≈ 8·10^14: not guessable)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def create_event(
    session: Session,
    *,
    spec: EventCreate,
    scope: Scope,
    suggestion: Any = None,
    tracking_code_length: int = 10,
) -> Event:
    """Receive an event (status ``received``, first step written). Its place: the grid holding
    its point (given in ``spec.crs``, stored as WGS-84) when there is one in the caller's
    region, else ``spec.region_code``, else the caller's region; it must lie in the caller's
    region. ``suggestion`` (a classifier's ``Suggestion``) is kept beside the category, which
    it fills when the reporter gave none and the classifier did not abstain.
    Raises PermissionDenied ``permission_denied`` / ``region_out_of_scope``, BadInput
    ``bad_region`` / ``location_incomplete``, NotFound ``event_category_not_found`` /
    ``region_not_found``. Audited as ``event.create``; publishes ``event.created``."""
    if not scope.has(permissions.REPORT):
        raise PermissionDenied("没有上报事件的权限", code="permission_denied")
    category_code = spec.category_code
    if category_code is not None:
        get_category(session, category_code)
    lng = lat = None
    grid_code = None
    region_code = _region_of(session, spec.region_code, scope)
    if (spec.lng is None) != (spec.lat is None):
        raise BadInput("经纬度须同时提供", code="location_incomplete")
    if spec.lng is not None and spec.lat is not None:
        lng, lat = (
            (spec.lng, spec.lat) if spec.crs is geo.Crs.wgs84
            else geo.gcj02_to_wgs84(spec.lng, spec.lat)
        )  # fmt: skip
        grid = region_queries.grid_at(session, lng, lat)
        if grid is not None and regions_scope.is_within(grid.code, region_code):
            grid_code = region_code = grid.code
    if not scope.covers_region(region_code):
        raise PermissionDenied(
            "只能上报本辖区的事件", code="region_out_of_scope", detail=region_code
        )
    if suggestion is not None and category_code is None and suggestion.category_code:
        category_code = suggestion.category_code
    phone_token = phone_index = ""
    if spec.reporter_phone.strip():
        field = pii.cipher()
        phone_token = field.encrypt(spec.reporter_phone.strip(), context=PHONE_CONTEXT)
        phone_index = field.blind_index(spec.reporter_phone)
    now = utcnow()
    event = Event(
        tracking_code=new_tracking_code(tracking_code_length), title=spec.title.strip(),
        description=spec.description.strip(), category_code=category_code,
        channel=spec.channel.value, status=EventStatus.received.value, region_code=region_code,
        grid_code=grid_code, lng=lng, lat=lat, address=spec.address.strip(),
        reporter_name=spec.reporter_name.strip(), reporter_phone_enc=phone_token,
        reporter_phone_bidx=phone_index, department_code=None,
        suggested_category=getattr(suggestion, "category_code", None),
        suggested_department=getattr(suggestion, "department", None) or "",
        suggestion_confidence=getattr(suggestion, "confidence", None),
        external_id=spec.external_id.strip(), created_by=scope.actor or actor_of(session).actor,
        created_at=now, updated_at=now, closed_at=None,
    )  # fmt: skip
    session.add(event)
    session.flush()
    _step(session, event, action="receive", before=None, comment=f"渠道: {event.channel}")
    _audit(session, "event.create", event, {"channel": event.channel, "title": event.title})
    domain_events.publish(
        session, CREATED, event_id=event.id, tracking_code=event.tracking_code,
        region_code=event.region_code, category_code=event.category_code, channel=event.channel,
    )  # fmt: skip
    return event


def transition(session: Session, *, event_id: int, change: EventTransition, scope: Scope) -> Event:
    """Take ``change.action`` on the event (``workflow.RULES``). Dispatch and reassign name a
    department of the event's region; a handler acts only on its department's events; the
    handling department may not check its own work.
    Raises InvalidState with the workflow's code (``action_not_allowed``,
    ``department_required``, ``same_department``, ``reason_required``,
    ``checker_is_handler``), NotFound ``department_not_found``, PermissionDenied
    ``department_out_of_region``. Audited as ``event.transition``."""
    event = find_visible(session, event_id, scope=scope)
    action = change.action
    if not permissions.may_act(
        scope, action=action, region_code=event.region_code, department_code=event.department_code
    ):
        code = permissions.code_for(action)
        raise PermissionDenied(f"没有权限: {code}", code="permission_denied", detail=code)
    target_department = change.department_code
    if target_department:
        department = session.get(Department, target_department)
        if department is None:
            raise NotFound("部门不存在", code="department_not_found", detail=target_department)
        if not event.region_code.startswith(department.region_code) and not (
            department.region_code.startswith(event.region_code)
        ):
            raise PermissionDenied(
                "部门不属于事件所在辖区", code="department_out_of_region",
                detail=target_department,
            )  # fmt: skip
    before = EventStatus(event.status)
    own_work = scope.department_code is not None and scope.department_code == event.department_code
    try:
        after = workflow.next_status(
            before, action, department_code=target_department, reason=change.comment,
            current_department=event.department_code, handler_checks_own=own_work,
        )  # fmt: skip
    except workflow.TransitionRefused as refused:
        raise InvalidState(refused.message, code=refused.code, detail=action.value) from None
    if action in (EventAction.dispatch, EventAction.reassign):
        event.department_code = target_department
    event.status = after.value
    now = utcnow()
    event.updated_at = now
    if after is EventStatus.closed:
        event.closed_at = now
    session.flush()
    _step(session, event, action=action.value, before=before, comment=change.comment.strip())
    _audit(
        session, "event.transition", event,
        {"action": action.value, "from": before.value, "to": after.value,
         "department": event.department_code},
    )  # fmt: skip
    return event


def citizen_scope(region_code: str) -> Scope:
    """A citizen reporting through the public page: may report in the region named, nothing
    else. Raises BadInput ``bad_region``."""
    code = regions_scope.try_normalise(region_code.strip())
    if code is None:
        raise BadInput(f"区划代码无效: {region_code}", code="bad_region", detail=region_code)
    return Scope(region_code=code, permissions=frozenset({permissions.REPORT}), actor="citizen")


def find_visible(session: Session, event_id: int, *, scope: Scope) -> Event:
    """The event if ``scope`` may read it, else NotFound ``event_not_found``."""
    event = session.get(Event, event_id)
    if event is None or not permissions.may_read(
        scope, region_code=event.region_code, department_code=event.department_code
    ):
        raise NotFound(f"事件不存在: {event_id}", code="event_not_found", detail=event_id)
    return event


def find_by_tracking_code(session: Session, code: str) -> Event:
    """Public look-up by tracking code (the code is the credential)."""
    event = session.execute(
        select(Event).where(Event.tracking_code == code.strip().upper())
    ).scalar_one_or_none()
    if event is None:
        raise NotFound("查询码不存在", code="tracking_code_not_found")
    return event


def reporter_phone(event: Event, *, scope: Scope) -> str:
    """The reporter's phone, masked unless the caller holds ``pii:unmask``."""
    if not event.reporter_phone_enc:
        return ""
    phone = pii.cipher().decrypt(event.reporter_phone_enc, context=PHONE_CONTEXT)
    return phone if scope.has("pii:unmask") else pii.mask_phone(phone)


def _region_of(session: Session, given: str | None, scope: Scope) -> str:
    raw = (given or "").strip() or scope.region_code
    code = regions_scope.try_normalise(raw)
    if code is None:
        raise BadInput(f"区划代码无效: {raw}", code="bad_region", detail=raw)
    if not region_queries.exists(session, code):
        raise NotFound(f"区划不存在: {code}", code="region_not_found", detail=code)
    return code


def _step(
    session: Session, event: Event, *, action: str, before: EventStatus | None, comment: str
) -> None:
    event.steps.append(EventStep(
        action=action, from_status=before.value if before else None,
        to_status=event.status, department_code=event.department_code, comment=comment,
        actor=actor_of(session).actor or "system", at=event.updated_at,
    ))  # fmt: skip
    session.flush()


def _audit(session: Session, action: str, event: Event, detail: dict[str, Any]) -> None:
    audit.record(
        session, action=action, object_type="event", object_id=str(event.id),
        region_code=event.region_code, detail=detail,
    )  # fmt: skip
