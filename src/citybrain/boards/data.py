"""What a board shows: the published indicators of its 板块 for one region — the latest value,
a 12-period trend and the children ranked — computed once per (board, region, viewer's region)
and kept for a few seconds, so that a wall of screens and 200 viewers polling the same board
cost one computation, and answered with an ETag so that an unchanged board costs no body.

Aggregates only: the values are indicator values, never a person's data."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.boards.catalog import BY_CODE
from citybrain.boards.schemas import BoardData, BoardRegionValue, BoardTile, BoardTrendPoint
from citybrain.core.errors import NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.indicators import queries as indicator_queries
from citybrain.indicators.models import Indicator, IndicatorBoard, IndicatorSet
from citybrain.indicators.queries import seen_clause
from citybrain.indicators.schemas import ValueList
from citybrain.indicators.workflow import RevisionStatus
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import normalise_code

CACHE_SECONDS = 5.0
TREND_PERIODS = 12


@dataclass(frozen=True, slots=True)
class Answer:
    data: BoardData
    etag: str


_cache: dict[tuple[str, str, str], tuple[float, Answer]] = {}
_lock = threading.Lock()


def board_data(session: Session, *, code: str, region: str | None, scope: Scope) -> Answer:
    """The board ``code`` for ``region`` (default: the caller's). NotFound ``board_not_found``;
    PermissionDenied ``out_of_scope`` for a region outside the caller's (a screen key's region
    included)."""
    board = BY_CODE.get(code)
    if board is None:
        raise NotFound(f"大屏 {code} 不存在", code="board_not_found", detail=code)
    wanted = normalise_code(region) if region else scope.region_code
    if not wanted or not scope.covers_region(wanted):
        raise PermissionDenied(f"区划 {wanted} 不在本人辖区内", code="out_of_scope", detail=wanted)
    key = (code, wanted, scope.region_code)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    data = _compute(session, code=code, name=board.name, region=wanted, scope=scope)
    body = data.model_dump_json().encode()
    answer = Answer(data, f'W/"{hashlib.sha256(body).hexdigest()[:32]}"')
    with _lock:
        for stale in [k for k, (at, _) in _cache.items() if now - at >= CACHE_SECONDS]:
            del _cache[stale]
        _cache[key] = (now, answer)
    return answer


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _compute(session: Session, *, code: str, name: str, region: str, scope: Scope) -> BoardData:
    rows = session.execute(
        select(Indicator.code, IndicatorSet.name)
        .join(IndicatorSet, IndicatorSet.id == Indicator.set_id)
        .join(IndicatorBoard, IndicatorBoard.id == IndicatorSet.board_id)
        .where(
            IndicatorBoard.name == name,
            Indicator.status == RevisionStatus.published.value,
            seen_clause(scope, Indicator.region_code),
        )
        .order_by(IndicatorSet.id, Indicator.weight.desc(), Indicator.code)
    ).all()
    tiles = []
    for indicator_code, set_name in rows:
        values = indicator_queries.values(
            session, indicator_code, scope=scope, region=region, first=None, last=None
        )
        tiles.append(_tile(values, set_name, region))
    return BoardData(
        code=code, name=name, region_code=region,
        region_name=region_queries.name_of(session, region), tiles=tiles,
    )  # fmt: skip


def _tile(values: ValueList, set_name: str, region: str) -> BoardTile:
    own = [v for v in values.items if v.region_code == region]
    latest = own[-1] if own else None
    period = latest.period if latest else None
    children = [
        BoardRegionValue(
            region_code=v.region_code, region_name=v.region_name, value=v.value, colour=v.colour
        )
        for v in values.items
        if v.region_code != region and v.period == period
    ]
    children.sort(key=lambda c: (c.value is None, -(c.value or 0.0)))
    return BoardTile(
        code=values.code, name=values.name, unit=values.unit, set_name=set_name, period=period,
        value=latest.value if latest else None, colour=latest.colour if latest else None,
        trend=[BoardTrendPoint(period=v.period, value=v.value) for v in own[-TREND_PERIODS:]],
        children=children,
    )  # fmt: skip
