"""The contract between a module that owns searchable things and the search index.

An owner publishes, in the transaction that changes the thing (``core.domain_events.publish``)::

    publish(session, "searchable.changed", kind="report", key="12", title=…, body=…,
            path=["专报", "县大数据局", title], url="/reports/12", region_code="620722",
            department_code=None, permission="reports:read", shared_down=False,
            updated_at=datetime)
    publish(session, "searchable.removed", kind="report", key="12")

``changed`` is an upsert of the whole document (not a patch); ``removed`` is idempotent. The
index follows after commit, so a rolled-back change never reaches it. Owners below ``search``
in the layering (``datahub``) publish plain keyword arguments; owners above it may build a
:class:`SearchableDocument` and call :func:`publish_document`. ``citybrain search reindex``
asks each registered provider (``citybrain.domains.SEARCH_PROVIDERS``) for the same documents,
so the incremental index and a rebuild agree (tested).

Who may see a document is part of it: ``region_code`` (the caller's region must contain it; with
``shared_down`` also the callers below it, as the catalog shares a city's resources down the
tree), ``permission`` (the code the caller must hold to see this kind) and ``department_code``
(None: every department of the region; else only callers who cover that department).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from citybrain.core import domain_events

CHANGED: Final = "searchable.changed"
REMOVED: Final = "searchable.removed"

KIND_PATTERN: Final = r"^[a-z][a-z_]{1,31}$"


class SearchableDocument(BaseModel):
    """One searchable thing as its owner describes it."""

    kind: str = Field(pattern=KIND_PATTERN, description="catalog_resource, report, indicator …")
    key: str = Field(min_length=1, max_length=128, description="the thing's id within its kind")
    title: str = Field(min_length=1, max_length=500)
    body: str = Field("", description="plain text (no HTML); cut to the configured length")
    path: list[str] = Field(
        default_factory=list, description="where it lives, from the top, its own title last"
    )
    url: str = Field("", max_length=500, description="the front end's route to the thing")
    region_code: str = Field(min_length=1, max_length=15)
    department_code: str | None = Field(None, max_length=64)
    permission: str = Field(min_length=3, max_length=64, description="code needed to see it")
    shared_down: bool = Field(False, description="also visible to regions below region_code")
    updated_at: datetime | None = None


class SearchableRemoved(BaseModel):
    kind: str = Field(pattern=KIND_PATTERN)
    key: str = Field(min_length=1, max_length=128)


def publish_document(session: Session, document: SearchableDocument) -> None:
    """Publish ``searchable.changed`` for ``document`` (delivered after commit)."""
    domain_events.publish(session, CHANGED, **document.model_dump())


def publish_removal(session: Session, *, kind: str, key: str) -> None:
    domain_events.publish(session, REMOVED, kind=kind, key=key)


def as_document(payload: dict[str, Any]) -> SearchableDocument:
    return SearchableDocument.model_validate(payload)
