"""The port through which a loaded batch's failed rows leave ingest.

Ingest quarantines the rows that fail their checks; who answers for them is decided above it.
``datahub.rectification`` installs its handler when the domains load (``citybrain.domains``,
for the app, the CLI, workers and tests) and opens a rectification order (整改单) to the
providing department, in the batch's own transaction, so the batch records its order id. The
same pattern as the security port in ``core``: the lower module names the need, the higher one
fills it, and nothing imports upward. With no handler installed (ingest on its own) a batch
loads with its rows quarantined and no order.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from citybrain.datahub.quality.rules import ResourceSpec


class FailedRowsHandler(Protocol):
    def __call__(
        self, session: Session, *, batch_id: int, resource: ResourceSpec, failed_rows: int
    ) -> int:
        """Take charge of the ``failed_rows`` quarantined rows of a loaded batch (flush, never
        commit); the id of the order opened for them."""
        ...


_handler: FailedRowsHandler | None = None


def install(handler: FailedRowsHandler) -> None:
    """Set who takes charge of failed rows (idempotent: the last installed one)."""
    global _handler
    _handler = handler


def hand_over(
    session: Session, *, batch_id: int, resource: ResourceSpec, failed_rows: int
) -> int | None:
    """The id of the order opened for the failed rows, or None when no handler is installed."""
    if _handler is None:
        return None
    return _handler(session, batch_id=batch_id, resource=resource, failed_rows=failed_rows)
