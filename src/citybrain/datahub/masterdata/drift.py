"""Linkage runs and model drift.

Every linkage run is recorded with how many record pairs it scored and how many fell in the
*band*: match weight from the review threshold up to the link threshold, the pairs the model
cannot decide. The model is trained on the population and keeps that population's band share
as its baseline. Batch runs scored with it add up; when their band share rises beyond the bound
(:func:`drifted`) the model no longer fits the data coming in (a department changed how it
records names or addresses, a new kind of source joined) and is retrained.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.datahub.masterdata.models import MasterdataLinkageRun

# The bound: the band share of batch runs since the model was trained must exceed the baseline
# by both DRIFT_RATIO times and DRIFT_MARGIN (absolute), over at least DRIFT_MIN_PAIRS pairs
# (fewer pairs say little: a share of a few hundred pairs moves by chance).
DRIFT_RATIO = 3.0
DRIFT_MARGIN = 0.01
DRIFT_MIN_PAIRS = 2000


@dataclass(frozen=True, slots=True)
class DriftStatus:
    model_id: int | None
    baseline: float | None  # band share when the model was trained
    pairs_scored: int  # by batch runs since
    pairs_band: int
    drift: bool

    @property
    def share(self) -> float | None:
        return self.pairs_band / self.pairs_scored if self.pairs_scored else None


def drifted(baseline: float | None, pairs_scored: int, pairs_band: int) -> bool:
    """Whether ``pairs_band`` of ``pairs_scored`` lies beyond the bound around ``baseline``."""
    if baseline is None or pairs_scored < DRIFT_MIN_PAIRS:
        return False
    share = pairs_band / pairs_scored
    return share > baseline * DRIFT_RATIO and share > baseline + DRIFT_MARGIN


@dataclass(frozen=True, slots=True)
class RunCounts:
    domain: str
    kind: str  # full | batch
    batch_id: int | None
    model_id: int | None
    records: int
    new_records: int
    changed_records: int
    pairs_scored: int
    pairs_band: int
    review_queued: int
    merges: int
    new_masters: int
    seconds: float


def record_run(
    session: Session, counts: RunCounts, *, drift: bool, now: datetime
) -> MasterdataLinkageRun:
    """Keep one run's counts."""
    run = MasterdataLinkageRun(
        domain=counts.domain, kind=counts.kind, batch_id=counts.batch_id,
        model_id=counts.model_id, records=counts.records, new_records=counts.new_records,
        changed_records=counts.changed_records, pairs_scored=counts.pairs_scored,
        pairs_band=counts.pairs_band, review_queued=counts.review_queued,
        merges=counts.merges, new_masters=counts.new_masters, drift=drift,
        seconds=round(counts.seconds, 3), ran_at=now,
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def status(
    session: Session,
    *,
    domain: str,
    model_id: int | None,
    baseline: float | None,
    adding: tuple[int, int] = (0, 0),
) -> DriftStatus:
    """The drift of ``model_id``: its batch runs' pairs, plus ``adding`` (scored, band) of a
    run not recorded yet."""
    run = MasterdataLinkageRun
    scored, band = 0, 0
    if model_id is not None:
        scored, band = session.execute(
            select(func.coalesce(func.sum(run.pairs_scored), 0),
                   func.coalesce(func.sum(run.pairs_band), 0))
            .where(run.domain == domain, run.model_id == model_id, run.kind == "batch")
        ).one()  # fmt: skip
    scored, band = int(scored) + adding[0], int(band) + adding[1]
    return DriftStatus(model_id, baseline, scored, band, drifted(baseline, scored, band))
