"""Published indicators in the global search (the contract: citybrain/search/contract.py).

A hit shows where the indicator lives (板块 › 指标集 › 指标) and opens the indicator page on it.
Readers see an indicator from its region down (``shared_down``: a township reads the county's
indicators, as the indicator pages show them), whatever their department; retiring or
unpublishing takes it out of the index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.indicators.models import Indicator, IndicatorBoard, IndicatorSet
from citybrain.indicators.permissions import READ
from citybrain.indicators.workflow import RevisionStatus

SEARCH_KIND = "indicator"


def searchable(row: Indicator, item: IndicatorSet, board: IndicatorBoard) -> dict[str, Any]:
    """The indicator as a ``searchable.changed`` payload: found by its name, 口径, unit and
    code."""
    body = "\n".join(filter(None, (row.caliber, row.unit, row.code)))
    return {
        "kind": SEARCH_KIND, "key": row.code, "title": row.name, "body": body,
        "path": [board.name, item.name, row.name], "url": f"/indicators?code={row.code}",
        "region_code": row.region_code, "department_code": None, "permission": READ,
        "shared_down": True, "updated_at": row.updated_at,
    }  # fmt: skip


def _published() -> Any:
    return (
        select(Indicator, IndicatorSet, IndicatorBoard)
        .join(IndicatorSet, IndicatorSet.id == Indicator.set_id)
        .join(IndicatorBoard, IndicatorBoard.id == IndicatorSet.board_id)
        .where(Indicator.status == RevisionStatus.published.value)
    )


def searchable_documents(session: Session) -> Iterator[dict[str, Any]]:
    """Every published indicator as a search document (``citybrain search reindex``)."""
    for row, item, board in session.execute(_published().order_by(Indicator.code)).all():
        yield searchable(row, item, board)


def publish_searchable(session: Session, row: Indicator) -> None:
    """After a change of ``row``: index it if it is published, else take it out."""
    found = session.execute(_published().where(Indicator.id == row.id)).first()
    if found is None:
        domain_events.publish(session, "searchable.removed", kind=SEARCH_KIND, key=row.code)
    else:
        domain_events.publish(session, "searchable.changed", **searchable(*found))
