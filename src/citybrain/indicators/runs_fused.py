"""A batch's base indicators that read the same hub table with the same grouping, computed in
one scan before the runs (``fused.compute_fused``): each run then publishes its share in its
own transaction as before (claim, log, audit). Only an optimisation: anything that goes wrong
here leaves the runs to compute alone, so a failing indicator still fails on its own with its
own error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.db import reading
from citybrain.core.errors import DomainError
from citybrain.indicators import compute
from citybrain.indicators.compute import Definition, Outcome, Prepared
from citybrain.indicators.engines import EngineFailure, IndicatorEngine, hub_engine
from citybrain.indicators.fused import compute_fused
from citybrain.indicators.models import Indicator, IndicatorRun
from citybrain.indicators.rules import EngineKind, Kind

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prefetched:
    definition: Definition  # what the scan ran; a run whose live definition differs ignores it
    prepared: Prepared
    outcome: Outcome


def prefetch_fused(
    factory: sessionmaker[Session], run_ids: Sequence[int], *, hub: HubStore, settings: Settings
) -> dict[int, Prefetched]:
    """Run id → its outcome, for the base hub indicators of ``run_ids`` that fuse with another
    of the same period range. Reads only (no audit: hub reads are not a source's use)."""
    if len(run_ids) < 2:
        return {}
    by_range: dict[tuple[str, str], list[tuple[int, Prepared]]] = {}
    try:
        with reading(factory)() as session:
            rows = session.execute(
                select(IndicatorRun.id, IndicatorRun.period_from, IndicatorRun.period_to, Indicator)
                .join(Indicator, Indicator.id == IndicatorRun.indicator_id)
                .where(IndicatorRun.id.in_(list(run_ids)), Indicator.kind == Kind.base.value,
                       Indicator.engine == EngineKind.hub.value)
            ).all()  # fmt: skip
            for run_id, first, last, row in rows:
                prepared = compute.prepare(session, Definition.of(row), hub=hub, settings=settings)
                by_range.setdefault((first, last), []).append((run_id, prepared))
    except (DomainError, EngineFailure):
        return {}
    found: dict[int, Prefetched] = {}
    engine = hub_engine(hub)
    try:
        for (first, last), members in by_range.items():
            found.update(_scan(engine, members, first, last))
    finally:
        engine.close()
    return found


def _scan(
    engine: IndicatorEngine, members: list[tuple[int, Prepared]], first: str, last: str
) -> dict[int, Prefetched]:
    timeout = max(p.definition.timeout_seconds for _, p in members)
    try:
        outcomes = compute_fused(
            [p for _, p in members], engine=engine, first=first, last=last,
            timeout_seconds=timeout, fused_only=True,
        )  # fmt: skip
    except (DomainError, EngineFailure) as exc:
        log.info("fused indicator scan refused (%s); the runs compute alone", exc)
        return {}
    return {
        run_id: Prefetched(p.definition, p, outcomes[p.definition.code])
        for run_id, p in members
        if p.definition.code in outcomes
    }
