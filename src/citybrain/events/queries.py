"""Reads of 事件: a page of the events a caller may see, one event with its timeline, the
public tracking view."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, select, true
from sqlalchemy.orm import Session

from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.events import permissions, service
from citybrain.events.models import Event, EventCategory
from citybrain.events.schemas import (
    EventFilter,
    EventPage,
    EventRead,
    EventStepRead,
    EventSummary,
    EventTrack,
    EventTrackStep,
)
from citybrain.events.workflow import (
    ACTION_NAMES_ZH,
    STATUS_NAMES_ZH,
    EventAction,
    EventStatus,
    allowed_actions,
)


def visible_clause(scope: Scope) -> ColumnElement[bool]:
    """:func:`permissions.may_read` in SQL."""
    if scope.unrestricted:
        return true()
    codes = (permissions.READ, permissions.REPORT, permissions.DISPATCH, permissions.HANDLE,
             permissions.CHECK)  # fmt: skip
    if not scope.region_code.strip() or not any(scope.has(c) for c in codes):
        return false()
    region = Event.region_code.startswith(scope.region_code, autoescape=True)
    department = scope.department_clause(Event.department_code)  # type: ignore[arg-type]
    return and_(region, department)


def list_events(
    session: Session, *, filters: EventFilter, page: PageParams, scope: Scope
) -> EventPage:
    """One page of the events ``scope`` sees, newest first."""
    query = select(Event).where(visible_clause(scope)).order_by(Event.id.desc())
    if filters.status is not None:
        query = query.where(Event.status == filters.status.value)
    if filters.channel is not None:
        query = query.where(Event.channel == filters.channel.value)
    if filters.q.strip():
        query = query.where(Event.title.icontains(filters.q.strip(), autoescape=True))
    rows, total = paginate(session, query, page)
    names = category_names(session, {e.category_code for e in rows if e.category_code})
    items = [summary(e, names) for e in rows]
    return EventPage(items=items, total=total, page=page.page, size=page.size)


def get_event(session: Session, event_id: int, *, scope: Scope) -> EventRead:
    return read_event(session, service.find_visible(session, event_id, scope=scope), scope=scope)


def read_event(session: Session, event: Event, *, scope: Scope) -> EventRead:
    names = category_names(session, {event.category_code} if event.category_code else set())
    status = EventStatus(event.status)
    actions = [
        a for a in allowed_actions(status)
        if permissions.may_act(scope, action=a, region_code=event.region_code,
                               department_code=event.department_code)
    ]  # fmt: skip
    steps = [
        EventStepRead(
            action=s.action,
            action_name=_action_name(s.action),
            from_status=s.from_status,
            to_status=s.to_status,
            department_code=s.department_code,
            comment=s.comment,
            actor=s.actor,
            at=s.at,
        )
        for s in event.steps
    ]
    return EventRead(
        **summary(event, names).model_dump(), description=event.description,
        address=event.address, lng=event.lng, lat=event.lat, reporter_name=event.reporter_name,
        reporter_phone=service.reporter_phone(event, scope=scope),
        suggested_category=event.suggested_category,
        suggested_department=event.suggested_department,
        suggestion_confidence=event.suggestion_confidence, allowed_actions=actions, steps=steps,
    )  # fmt: skip


def track(session: Session, code: str) -> EventTrack:
    """The public view of an event by its tracking code: states and times only."""
    event = service.find_by_tracking_code(session, code)
    names = category_names(session, {event.category_code} if event.category_code else set())
    steps = [
        EventTrackStep(
            status=s.to_status, status_name=STATUS_NAMES_ZH[EventStatus(s.to_status)], at=s.at
        )
        for s in event.steps
    ]
    status = EventStatus(event.status)
    return EventTrack(
        tracking_code=event.tracking_code, title=event.title, status=status,
        status_name=STATUS_NAMES_ZH[status],
        category_name=names.get(event.category_code or "", ""), created_at=event.created_at,
        updated_at=event.updated_at, steps=steps,
    )  # fmt: skip


def summary(event: Event, names: dict[str, str]) -> EventSummary:
    status = EventStatus(event.status)
    return EventSummary(
        id=event.id, tracking_code=event.tracking_code, title=event.title, status=status,
        status_name=STATUS_NAMES_ZH[status], channel=event.channel,
        category_code=event.category_code, category_name=names.get(event.category_code or "", ""),
        region_code=event.region_code, grid_code=event.grid_code,
        department_code=event.department_code, created_at=event.created_at,
        updated_at=event.updated_at,
    )  # fmt: skip


def category_names(session: Session, codes: set[str] | set[str | None]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = session.execute(
        select(EventCategory.code, EventCategory.name).where(EventCategory.code.in_(wanted))
    )
    return {str(code): str(name) for code, name in rows}


def _action_name(action: str) -> str:
    if action == "receive":
        return "受理"
    try:
        return ACTION_NAMES_ZH[EventAction(action)]
    except ValueError:
        return action


__all__ = ["get_event", "list_events", "read_event", "track", "visible_clause"]
