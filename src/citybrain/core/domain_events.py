"""Domain events delivered after commit, so a lower module can react to a higher one's change
(a red warning opens an event, a closed event lands in the hub) without importing upward."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = "citybrain.pending_events"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


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
    for item in pending:
        for handler in _handlers.get(item.name, []):
            try:
                handler(item)
            except Exception:  # a subscriber's failure must not undo a committed change
                log.exception("domain event handler failed: %s", item.name)


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_KEY, None)
