"""Runs (运维): queue the published indicators of a request in dependency order, then run each in
short transactions of its own, so a slow query holds no database lock and a failure is
recorded even though nothing of it is published.

A run computes all its periods first (``compute``) and then, in ONE transaction, adds a new
version of every value and marks the versions it replaces not current, records the outcome
and audits it. A run that fails or times out writes nothing but its log entry: the previous
values stay current. An indicator whose input failed in the same batch is skipped.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from citybrain.analytics.hub import HubStore
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import set_actor
from citybrain.core.db import reading
from citybrain.core.errors import BadInput, DomainError, InvalidState, NotFound
from citybrain.core.scope import Scope
from citybrain.indicators import compute, formula
from citybrain.indicators.compute import Definition
from citybrain.indicators.engines import EngineFailure
from citybrain.indicators.models import Indicator, IndicatorRun, IndicatorValue
from citybrain.indicators.periods import Granularity, PeriodError, between
from citybrain.indicators.rules import RunStatus, Value
from citybrain.indicators.service import get_indicator
from citybrain.indicators.warnings import evaluate as warning_evaluation

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (indicator code, done, total)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    run_id: int
    code: str
    status: RunStatus
    rows: int
    duration_ms: int
    error_code: str = ""


def queue_runs(
    session: Session,
    *,
    codes: Sequence[str],
    period_from: str,
    period_to: str,
    trigger: str,
    scope: Scope,
    job_run_id: int | None = None,
) -> list[IndicatorRun]:
    """One queued run per indicator, in dependency order, sharing a batch key. Only published
    indicators run (InvalidState ``indicator_not_published``); the periods must be labels of
    each indicator's granularity (BadInput ``bad_period``); NotFound ``indicator_not_found``
    for an indicator the caller cannot see or run. Audited ``indicator.run.request``."""
    rows: dict[str, Indicator] = {}
    for code in dict.fromkeys(codes):
        row = get_indicator(session, code, scope=scope)
        if not scope.covers_region(row.region_code):  # seen from below, run only inside
            raise NotFound(f"指标 {code} 不存在", code="indicator_not_found", detail=code)
        if not row.is_live:
            raise InvalidState(
                f"指标 {code} 尚未发布或已停用, 不能运行",
                code="indicator_not_published",
                detail=code,
            )
        try:
            between(period_from, period_to, Granularity(row.granularity))
        except PeriodError as exc:
            raise BadInput(str(exc), code="bad_period", detail=code) from exc
        rows[code] = row
    graph = {code: json.loads(row.inputs or "[]") for code, row in rows.items()}
    batch = f"{utcnow():%Y%m%d%H%M%S}-{secrets.token_hex(4)}"
    now = utcnow()
    queued = []
    for position, code in enumerate(formula.order(graph)):
        row = rows[code]
        run = IndicatorRun(
            indicator_id=row.id,
            revision=row.live_revision or 0,
            job_run_id=job_run_id,
            batch_key=batch,
            position=position,
            trigger=trigger,
            period_from=period_from,
            period_to=period_to,
            status=RunStatus.queued.value,
            queued_at=now,
            triggered_by=scope.actor,
        )
        session.add(run)
        queued.append(run)
    session.flush()
    audit.record(
        session,
        action="indicator.run.request",
        object_type="indicator_run",
        object_id=batch,
        detail={"codes": list(rows), "from": period_from, "to": period_to, "trigger": trigger},
    )
    return queued


def execute_batch(
    factory: sessionmaker[Session],
    *,
    batch_key: str,
    hub: HubStore,
    settings: Settings,
    progress: Progress | None = None,
) -> list[RunOutcome]:
    """Run the queued runs of ``batch_key`` in order (see the module doc)."""
    with factory() as session:
        pending = list(
            session.execute(
                select(IndicatorRun.id, Indicator.code, Indicator.inputs)
                .join(Indicator, Indicator.id == IndicatorRun.indicator_id)
                .where(
                    IndicatorRun.batch_key == batch_key,
                    IndicatorRun.status == RunStatus.queued.value,
                )
                .order_by(IndicatorRun.position)
            ).all()
        )
    failed: set[str] = set()
    outcomes = []
    for done, (run_id, code, inputs) in enumerate(pending):
        if progress is not None:
            progress(code, done, len(pending))
        upstream = sorted(set(json.loads(inputs or "[]")) & failed)
        outcome: RunOutcome | None
        if upstream:
            outcome = _skip(factory, run_id, code, upstream)
        else:
            outcome = execute_run(factory, run_id=run_id, hub=hub, settings=settings)
        if outcome is None:
            continue
        if outcome.status is not RunStatus.ok:
            failed.add(code)
        outcomes.append(outcome)
    if progress is not None:
        progress("", len(pending), len(pending))
    return outcomes


def _skip(
    factory: sessionmaker[Session], run_id: int, code: str, upstream: list[str]
) -> RunOutcome:
    with factory() as session, session.begin():
        run = session.get(IndicatorRun, run_id)
        assert run is not None  # noqa: S101 - listed just now
        run.status = RunStatus.skipped.value
        run.finished_at = utcnow()
        run.error_code = "upstream_failed"
        run.error_message = f"所依赖的指标运行失败: {', '.join(upstream)}"
    return RunOutcome(run_id, code, RunStatus.skipped, 0, 0, "upstream_failed")


def _claim(factory: sessionmaker[Session], run_id: int) -> bool:
    with factory() as session, session.begin():
        result = session.execute(
            update(IndicatorRun)
            .where(IndicatorRun.id == run_id, IndicatorRun.status == RunStatus.queued.value)
            .values(status=RunStatus.running.value, started_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def execute_run(
    factory: sessionmaker[Session], *, run_id: int, hub: HubStore, settings: Settings
) -> RunOutcome | None:
    """Run one queued run; None when it was not queued any more (delivered twice)."""
    if not _claim(factory, run_id):
        return None
    started = time.perf_counter()
    try:
        # Short: load and check the live definition (a source's use is audited here).
        with factory() as session, session.begin():
            set_actor(session, actor="scheduler", role="indicators-job", source_ip="local")
            run = session.get(IndicatorRun, run_id)
            row = session.get(Indicator, run.indicator_id) if run is not None else None
            assert run is not None  # noqa: S101 - claimed just now
            assert row is not None  # noqa: S101
            run.revision = row.live_revision or run.revision  # published meanwhile: the new one
            definition = Definition.of(row)
            code, first, last = row.code, run.period_from, run.period_to
            prepared = compute.prepare(
                session, definition, hub=hub, settings=settings, graph=compute.inputs_graph(session)
            )
        # Long: the query, as a reader (no write lock is held while the engine works).
        try:
            with reading(factory)() as session:
                outcome = compute.compute(
                    session,
                    prepared,
                    first=first,
                    last=last,
                    timeout_seconds=definition.timeout_seconds,
                )
        finally:
            if prepared.engine is not None:
                prepared.engine.close()
    except EngineFailure as exc:
        return _fail(factory, run_id, started, exc.code, exc.message, exc.internal)
    except DomainError as exc:
        detail = json.dumps(exc.detail, ensure_ascii=False, default=str) if exc.detail else ""
        return _fail(factory, run_id, started, exc.code, exc.message, detail)
    except Exception as exc:  # an engine or driver error nobody foresaw: logged, never lost
        log.exception("indicator run %s failed", run_id)
        return _fail(factory, run_id, started, "engine_error", "运行出错", repr(exc))
    published = _publish(factory, run_id, code, outcome, started)
    # Colours follow the values just published, in a transaction of their own (五色预警).
    warning_evaluation.after_run(factory, run_id=run_id, today=utcnow().date())
    return published


def _publish(
    factory: sessionmaker[Session], run_id: int, code: str, outcome: compute.Outcome, started: float
) -> RunOutcome:
    now = utcnow()
    with factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="indicators-job", source_ip="local")
        run = session.get(IndicatorRun, run_id)
        assert run is not None  # noqa: S101
        write_values(
            session, indicator_id=run.indicator_id, run=run, values=outcome.values, now=now
        )
        counts: dict[str, int] = {}
        for value in outcome.values:
            counts[value.period] = counts.get(value.period, 0) + 1
        duration = int((time.perf_counter() - started) * 1000)
        run.status, run.rows, run.engine = RunStatus.ok.value, len(outcome.values), outcome.engine
        run.periods = json.dumps(dict(sorted(counts.items())))
        run.sql_text, run.finished_at, run.duration_ms = outcome.sql, now, duration
        region = session.execute(
            select(Indicator.region_code).where(Indicator.id == run.indicator_id)
        ).scalar_one()
        audit.record(
            session,
            action="indicator.run.finish",
            object_type="indicator",
            object_id=code,
            region_code=region,
            detail={"run": run_id, "rows": run.rows, "from": run.period_from, "to": run.period_to},
        )
    return RunOutcome(run_id, code, RunStatus.ok, len(outcome.values), duration)


def write_values(
    session: Session, *, indicator_id: int, run: IndicatorRun, values: Sequence[Value], now: object
) -> None:
    """Add a version of each value and retire the current versions of the run's periods."""
    first, last = run.period_from, run.period_to
    in_range = (
        IndicatorValue.indicator_id == indicator_id,
        IndicatorValue.period >= first,
        IndicatorValue.period <= last,
    )
    versions = dict(
        ((region, period), int(version))
        for region, period, version in session.execute(
            select(
                IndicatorValue.region_code, IndicatorValue.period, func.max(IndicatorValue.version)
            )
            .where(*in_range)
            .group_by(IndicatorValue.region_code, IndicatorValue.period)
        )
    )
    session.execute(
        update(IndicatorValue)
        .where(*in_range, IndicatorValue.current.is_(True))
        .values(current=False)
    )
    if values:
        session.execute(
            insert(IndicatorValue),
            [
                {
                    "indicator_id": indicator_id,
                    "region_code": v.region_code,
                    "period": v.period,
                    "value": v.value,
                    "numerator": v.numerator,
                    "denominator": v.denominator,
                    "version": versions.get((v.region_code, v.period), 0) + 1,
                    "current": True,
                    "run_id": run.id,
                    "computed_at": now,
                }
                for v in values
            ],
        )


def _fail(
    factory: sessionmaker[Session],
    run_id: int,
    started: float,
    code: str,
    message: str,
    internal: str,
) -> RunOutcome:
    status = RunStatus.timeout if code == "timeout" else RunStatus.failed
    duration = int((time.perf_counter() - started) * 1000)
    with factory() as session, session.begin():
        set_actor(session, actor="scheduler", role="indicators-job", source_ip="local")
        run = session.get(IndicatorRun, run_id)
        assert run is not None  # noqa: S101
        row = session.get(Indicator, run.indicator_id)
        run.status, run.finished_at, run.duration_ms = status.value, utcnow(), duration
        run.error_code, run.error_message, run.error_detail = code, message[:2000], internal[:4000]
        audit.record(
            session,
            action="indicator.run.fail",
            object_type="indicator",
            object_id=row.code if row else "",
            region_code=row.region_code if row else None,
            outcome="failure",
            detail={"run": run_id, "code": code},
        )
        name = row.code if row else ""
    return RunOutcome(run_id, name, status, 0, duration, code)
