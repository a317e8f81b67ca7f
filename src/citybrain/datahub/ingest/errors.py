"""Errors of a batch that the caller must see, carrying the batch id so the batch record (which
the service flushed before raising) can be kept by a caller that catches them inside its
transaction, as the CLI and the background job do."""

from __future__ import annotations

from typing import Any

from citybrain.core.errors import BadInput, DomainError


class BatchRejected(BadInput):
    """The source cannot be ingested (structure, encoding, header, missing column)."""

    def __init__(self, message: str, *, code: str, batch_id: int, detail: dict[str, Any]) -> None:
        super().__init__(message, code=code, detail={**detail, "batch_id": batch_id})
        self.batch_id = batch_id


class BatchFailed(DomainError):
    """Loading failed half-way; the hub kept its previous data."""

    status_code = 500
    default_code = "ingest_failed"

    def __init__(self, message: str, *, batch_id: int, detail: dict[str, Any]) -> None:
        super().__init__(message, code="ingest_failed", detail={**detail, "batch_id": batch_id})
        self.batch_id = batch_id
