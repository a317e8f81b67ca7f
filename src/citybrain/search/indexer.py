"""The index follows the owners' ``searchable.*`` domain events, after their commit.

Each event is applied in a transaction of its own on the bind where the owner committed. If
that fails (the database went away between the two commits), the owner's change stands and the
index misses it until the next ``citybrain search reindex``; the failure is logged by
``core.domain_events``.
"""

from __future__ import annotations

from citybrain.core import domain_events
from citybrain.core.db import make_session_factory
from citybrain.core.domain_events import DomainEvent
from citybrain.search import service
from citybrain.search.contract import CHANGED, REMOVED, SearchableDocument, SearchableRemoved


def on_changed(event: DomainEvent) -> None:
    document = SearchableDocument.model_validate(event.payload)
    if event.bind is None:
        raise RuntimeError("searchable.changed delivered without a database bind")
    with make_session_factory(event.bind)() as session, session.begin():
        service.upsert_document(session, document=document)


def on_removed(event: DomainEvent) -> None:
    removed = SearchableRemoved.model_validate(event.payload)
    if event.bind is None:
        raise RuntimeError("searchable.removed delivered without a database bind")
    with make_session_factory(event.bind)() as session, session.begin():
        service.remove_document(session, kind=removed.kind, key=removed.key)


_installed = False


def install() -> None:
    """Subscribe the index to the events (idempotent; ``citybrain.domains.load`` calls it)."""
    global _installed
    if _installed:
        return
    domain_events.subscribe(CHANGED, on_changed)
    domain_events.subscribe(REMOVED, on_removed)
    _installed = True
