"""Domain events delivered after commit, so a lower module can react to a higher one's change
(a red warning opens an event, a closed event lands in the hub) without importing upward."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "citybrain.pending_events"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    # Where the publishing transaction committed (the session's engine, or its connection in
    # the tests), set at delivery: a subscriber that must write opens its own transaction
    # there, since the committed session can no longer run SQL in ``after_commit``.
    bind: Engine | Connection | None = field(default=None, compare=False, repr=False)


Handler = Callable[[DomainEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    _handlers[name].append(handler)


def publish(session: Session, name: str, **payload: Any) -> None:
    """Queue an event; it is delivered only if the session's transaction commits."""
    session.info.setdefault(_KEY, []).append(DomainEvent(name, payload))


@event.listens_for(Session, "after_commit")
def _deliver(session: Session) -> None:
    pending: list[DomainEvent] = session.info.pop(_KEY, [])
    bind = _bind_of(session) if pending else None
    for queued in pending:
        item = replace(queued, bind=bind)
        for handler in _handlers.get(item.name, []):
            try:
                handler(item)
            except Exception:  # a subscriber's failure must not undo a committed change
                log.exception("domain event handler failed: %s", item.name)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_KEY, None)


def _bind_of(session: Session) -> Engine | Connection | None:
    try:
        bind = session.get_bind()
    except Exception:  # an unbound session: subscribers get no place to write
        return None
    return bind if isinstance(bind, Engine | Connection) else None
