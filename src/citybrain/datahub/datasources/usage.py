"""Who still uses a data source, asked before one is deleted.

The users sit above ``datasources`` (ingest's pull schedules; later the indicator platform),
so each registers a counter here when the domains load (``citybrain.domains``) and
``datasources`` never imports them: the port pattern of ``core.security``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

UsageCounter = Callable[[Session, int], int]
_counters: dict[str, UsageCounter] = {}


def register(user: str, counter: UsageCounter) -> None:
    """Count the uses of a source by ``user`` (idempotent: one counter per user)."""
    _counters[user] = counter


def count_uses(session: Session, source_id: int) -> int:
    """How many things above ``datasources`` name the source ``source_id``."""
    return sum(counter(session, source_id) for counter in _counters.values())
