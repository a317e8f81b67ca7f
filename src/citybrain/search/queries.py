"""Reads of the index: one page of hits for a query, scoped to the caller.

A caller sees a document when all three hold (``visible_clause``):

* region: the document's region is the caller's or lies below it; a ``shared_down`` document
  (a catalog resource) is also seen from below, as the catalog itself shows it;
* permission: the caller holds the document's permission code;
* department: the document belongs to no department, or to one the caller covers.

Matching runs in the database: FTS5 ``MATCH`` ranked by ``bm25`` (title weighted 10:1) on
SQLite, ``@@`` on the generated tsvector ranked by ``ts_rank`` on PostgreSQL. Both see the
same pre-cut terms (``segment``), so they find the same documents.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.orm import Session

from citybrain.core.scope import Scope
from citybrain.regions import scope as regions_scope
from citybrain.search.config import SearchSettings, get_search_settings
from citybrain.search.kinds import kind_title
from citybrain.search.models import SearchDocument
from citybrain.search.schemas import KindCount, SearchFilter, SearchHit, SearchPage, TextPart
from citybrain.search.segment import Query, parse_query
from citybrain.search.service import canonical_region
from citybrain.search.snippets import Part, mark, snippet

TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0


def visible_clause(scope: Scope) -> ColumnElement[bool]:
    """SQL: the documents ``scope`` may see (module doc)."""
    if scope.unrestricted:
        return true()
    prefix = canonical_region(scope.region_code) if scope.region_code.strip() else ""
    if not prefix or not scope.permissions:
        return false()
    region: ColumnElement[bool] = SearchDocument.region_code.startswith(prefix, autoescape=True)
    if regions_scope.try_normalise(prefix) is not None:
        above = regions_scope.ancestors(prefix)
        if above:
            region = or_(
                region, and_(SearchDocument.shared_down, SearchDocument.region_code.in_(above))
            )
    department = or_(
        SearchDocument.department_code.is_(None),
        scope.department_clause(SearchDocument.department_code),  # type: ignore[arg-type]
    )
    return and_(region, SearchDocument.permission.in_(sorted(scope.permissions)), department)


def _fts5_expression(query: Query) -> str:
    # Terms hold letters and digits only (segment.py), so quoting cannot be escaped from.
    return " AND ".join('"' + " ".join(group) + '"' for group in query.groups)


def _tsquery_expression(query: Query) -> str:
    joiner = " <-> " if query.phrase else " & "
    return " & ".join(
        "(" + joiner.join(f"'{term}'" for term in group) + ")" for group in query.groups
    )


_FTS = table("search_fts", column("rowid"))


def _matching(dialect: str, query: Query) -> tuple[Select[Any], ColumnElement[Any]]:
    """The matching documents (a select from ``search_document``) and the expression of their
    rank, lower is better, valid within that select."""
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column("search_document.search_vector")
        tsquery = func.to_tsquery("simple", _tsquery_expression(query))
        rank = -func.ts_rank(vector, tsquery)
        return select(SearchDocument).where(vector.op("@@")(tsquery)), rank
    fts: ColumnElement[Any] = literal_column("search_fts")
    matched = (
        select(SearchDocument)
        .join(_FTS, _FTS.c.rowid == SearchDocument.id)
        .where(fts.op("MATCH")(_fts5_expression(query)))
    )
    return matched, func.bm25(fts, TITLE_WEIGHT, BODY_WEIGHT)


def search(
    session: Session,
    *,
    filters: SearchFilter,
    scope: Scope,
    settings: SearchSettings | None = None,
) -> SearchPage:
    """One page of the documents matching ``filters.q`` that ``scope`` may see, best first,
    each with its path and marked title and snippet; ``kinds`` counts the hits per kind."""
    config = settings or get_search_settings()
    query = parse_query(filters.q, config.segmenter)
    if query.empty:
        return SearchPage(items=[], total=0, page=filters.page, size=filters.size, kinds=[])
    dialect = session.get_bind().dialect.name
    matched, rank = _matching(dialect, query)
    base = matched.where(visible_clause(scope))
    per_kind = session.execute(
        base.with_only_columns(SearchDocument.kind, func.count())
        .group_by(SearchDocument.kind)
        .order_by(SearchDocument.kind)
    ).all()
    if filters.kind is not None:
        base = base.where(SearchDocument.kind == filters.kind)
    total = sum(n for kind, n in per_kind if filters.kind in (None, kind))
    documents = session.execute(
        base.order_by(rank, SearchDocument.updated_at.desc(), SearchDocument.id)
        .limit(filters.size)
        .offset((filters.page - 1) * filters.size)
    ).scalars()
    items = [_hit(document, query) for document in documents]
    kinds = [KindCount(kind=k, title=kind_title(k), total=n) for k, n in per_kind]
    return SearchPage(items=items, total=total, page=filters.page, size=filters.size, kinds=kinds)


def _parts(parts: list[Part]) -> list[TextPart]:
    return [TextPart(text=p.text, hit=p.hit) for p in parts]


def _hit(document: SearchDocument, query: Query) -> SearchHit:
    return SearchHit(
        kind=document.kind,
        kind_title=kind_title(document.kind),
        key=document.key,
        title=document.title,
        title_parts=_parts(mark(document.title, query.highlight)),
        snippet=_parts(snippet(document.body, query.highlight)),
        path=json.loads(document.path),
        url=document.url,
        region_code=document.region_code,
        updated_at=document.updated_at,
    )
