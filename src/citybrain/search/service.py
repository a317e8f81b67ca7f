"""Commands of the index: put a document in, take one out, rebuild a kind from its provider.

Index rows are derived data: they are not audited one by one (the owner's change is), only a
rebuild is (``search.reindex``). Functions flush, never commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.regions import scope as regions_scope
from citybrain.search.config import SearchSettings, get_search_settings
from citybrain.search.contract import SearchableDocument
from citybrain.search.models import SearchDocument
from citybrain.search.segment import index_text

Provider = Callable[[Session], Iterable[Mapping[str, Any]]]
"""Every current document of one kind, as ``searchable.changed`` payloads (for a rebuild)."""


def canonical_region(code: str) -> str:
    text = code.strip()
    return regions_scope.try_normalise(text) or text


def upsert_document(
    session: Session, *, document: SearchableDocument, settings: SearchSettings | None = None
) -> SearchDocument:
    """Insert or replace the document (``kind``, ``key``) with its text cut into terms."""
    config = settings or get_search_settings()
    row = session.execute(
        select(SearchDocument).where(
            SearchDocument.kind == document.kind, SearchDocument.key == document.key
        )
    ).scalar_one_or_none()
    if row is None:
        row = SearchDocument(kind=document.kind, key=document.key)
        session.add(row)
    _fill(row, document, config)
    session.flush()
    return row


def remove_document(session: Session, *, kind: str, key: str) -> bool:
    """Take (``kind``, ``key``) out of the index; False when it was not there."""
    result = session.execute(
        delete(SearchDocument).where(SearchDocument.kind == kind, SearchDocument.key == key)
    )
    return bool(getattr(result, "rowcount", 0))


def reindex(
    session: Session,
    *,
    providers: Mapping[str, Provider],
    kinds: Iterable[str] | None = None,
    settings: SearchSettings | None = None,
) -> dict[str, int]:
    """Rebuild the index of each provider's kind (all, or ``kinds``) from what the provider
    yields now: documents it no longer yields disappear. Returns the count per kind.
    A provider yielding a document of another kind is a programming error (ValueError).
    Audited as ``search.reindex``."""
    config = settings or get_search_settings()
    wanted = set(kinds) if kinds is not None else set(providers)
    unknown = sorted(wanted - set(providers))
    if unknown:
        raise ValueError(f"no search provider for: {unknown}")
    counts: dict[str, int] = {}
    for kind in sorted(wanted):
        session.execute(delete(SearchDocument).where(SearchDocument.kind == kind))
        count = 0
        for payload in providers[kind](session):
            document = SearchableDocument.model_validate(payload)
            if document.kind != kind:
                raise ValueError(f"provider of {kind} yielded a {document.kind}")
            row = SearchDocument(kind=document.kind, key=document.key)
            _fill(row, document, config)
            session.add(row)
            count += 1
            if count % 500 == 0:
                session.flush()
        session.flush()
        counts[kind] = count
    audit.record(
        session, action="search.reindex", object_type="search_index",
        object_id=",".join(sorted(wanted)), detail={"counts": counts},
    )  # fmt: skip
    return counts


def _fill(row: SearchDocument, document: SearchableDocument, config: SearchSettings) -> None:
    body = document.body[: config.max_body_chars]
    row.title = document.title
    row.body = body
    row.path = json.dumps(document.path, ensure_ascii=False)
    row.url = document.url
    row.region_code = canonical_region(document.region_code)
    row.department_code = document.department_code
    row.permission = document.permission
    row.shared_down = document.shared_down
    row.updated_at = document.updated_at
    row.indexed_at = utcnow()
    row.segmenter = config.segmenter.value
    row.title_terms = index_text(document.title, config.segmenter)
    row.body_terms = index_text(body, config.segmenter)
