"""Colouring an indicator's current values by its warning rules, after each successful run (and
after a rule changes), and escalating red streaks.

Every evaluated (region, period) keeps one ``indicator_warning`` row: its colour, the reasons,
the hysteresis state (``band_colour``) and the red streak. Periods are evaluated oldest first,
each from the state the period before left. A row turning green is closed by the system; one
turning worse is opened again. A streak reaching the rule's ``escalate_after`` sends one
message to the leaders of the owner department's region and publishes
``indicator.warning.escalated`` after commit — once per streak, even when the period is
evaluated again.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core import domain_events
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.context import set_actor
from citybrain.core.errors import DomainError
from citybrain.core.scope import Scope
from citybrain.iam.departments import Department
from citybrain.indicators.models import Indicator, IndicatorRun, IndicatorValue
from citybrain.indicators.periods import Granularity, PeriodError, between, shift
from citybrain.indicators.rules import Direction
from citybrain.indicators.warnings import rules
from citybrain.indicators.warnings.models import IndicatorWarning, IndicatorWarningRule
from citybrain.indicators.warnings.rules import Colour, Previous, WarningStatus
from citybrain.indicators.warnings.schemas import IndicatorWarningRuleSpec
from citybrain.regions.scope import LENGTH_BY_LEVEL, normalise_code

log = logging.getLogger(__name__)
ESCALATED_EVENT = "indicator.warning.escalated"
"""Domain event after commit: ``warning_id``, ``indicator``, ``region_code``, ``period``,
``consecutive_red``, ``department_code``."""
LEADER_ROLE = "leader"
_BOUNDS = sorted(LENGTH_BY_LEVEL.values())


@dataclass
class Evaluation:
    colours: Counter[str] = field(default_factory=Counter)
    escalated: list[int] = field(default_factory=list)  # warning ids


def rules_of(session: Session, indicator: Indicator) -> dict[str, rules.Rule]:
    """The indicator's rules by region ("" the default), checked and sorted."""
    direction = Direction(indicator.direction)
    found = {}
    for row in session.execute(
        select(IndicatorWarningRule).where(IndicatorWarningRule.indicator_id == indicator.id)
    ).scalars():
        spec = IndicatorWarningRuleSpec.model_validate_json(row.spec)
        found[row.region_code] = rules.check_rule(spec.to_rule(), direction)
    return found


def _parent(code: str) -> str:
    shorter = [b for b in _BOUNDS if b < len(code)]
    return code[: shorter[-1]] if shorter else ""


def _periods(
    values: dict[str, dict[str, float | None]], granularity: Granularity, first: str | None,
    last: str | None,
) -> list[str]:  # fmt: skip
    known = sorted(values)
    if first and last:
        try:
            return between(first, last, granularity)
        except PeriodError:
            pass
    return [p for p in known if (not first or p >= first) and (not last or p <= last)]


def evaluate_indicator(
    session: Session,
    *,
    indicator: Indicator,
    first: str | None = None,
    last: str | None = None,
    today: date,
) -> Evaluation:
    """Colour the indicator's current values of ``first``…``last`` (default: every period).
    Writes ``indicator_warning`` rows, audits ``indicator.warning.evaluate`` (and each
    escalation ``indicator.warning.escalate``); without a rule it does nothing."""
    outcome = Evaluation()
    by_region = rules_of(session, indicator)
    if not by_region:
        return outcome
    granularity, direction = Granularity(indicator.granularity), Direction(indicator.direction)
    values: dict[str, dict[str, float | None]] = defaultdict(dict)
    query = select(IndicatorValue.period, IndicatorValue.region_code, IndicatorValue.value).where(
        IndicatorValue.indicator_id == indicator.id, IndicatorValue.current.is_(True)
    )
    if last:
        query = query.where(IndicatorValue.period <= last)
    for period, region, value in session.execute(query):
        values[period][region] = value
    periods = _periods(values, granularity, first, last)
    if not periods:
        return outcome
    existing = {
        (w.region_code, w.period): w
        for w in session.execute(
            select(IndicatorWarning).where(
                IndicatorWarning.indicator_id == indicator.id,
                IndicatorWarning.period <= periods[-1],
            )
        ).scalars()
    }
    state: dict[str, Previous] = {}
    for (region, period), row in sorted(existing.items(), key=lambda item: item[0][1]):
        if period < periods[0]:
            state[region] = _previous(row)
    now = utcnow()
    for period in periods:
        before = shift(period, granularity, -1)
        here, earlier = values.get(period, {}), values.get(before, {})
        siblings: dict[str, list[float]] = defaultdict(list)
        for region, value in here.items():
            if value is not None:
                siblings[_parent(region)].append(value)
        for region in sorted(set(here) | set(earlier)):
            rule = by_region.get(region) or by_region.get("")
            if rule is None:
                continue
            value = here.get(region)
            if value is None and not rules.period_over(period, granularity, today):
                continue  # a period still running has no missing data yet
            group = siblings.get(_parent(region), []) if region != indicator.region_code else []
            seen = rules.Observation(
                value=value,
                previous_value=earlier.get(region),
                rank=rules.rank_from_worst(value, group, direction) if value is not None else None,
                siblings=len(group),
                state=rules.data_state(
                    value is not None,
                    rules.due_on(period, granularity, rule.late_after_days),
                    today,
                ),
            )
            verdict = rules.evaluate(rule, direction, seen, state.get(region))
            if verdict is None:
                continue
            row = _write(session, indicator, existing.get((region, period)), region, period,
                         value, verdict, now)  # fmt: skip
            existing[(region, period)] = row
            state[region] = _previous(row)
            outcome.colours[verdict.colour.value] += 1
            if verdict.escalate and row.escalated_at is None:
                row.escalated_at = now
                outcome.escalated.append(row.id)
    session.flush()
    audit.record(
        session,
        action="indicator.warning.evaluate",
        object_type="indicator",
        object_id=indicator.code,
        region_code=indicator.region_code,
        detail={"from": periods[0], "to": periods[-1], "colours": dict(outcome.colours)},
    )
    for warning_id in outcome.escalated:
        _escalate(session, indicator, _by_id(existing, warning_id))
    return outcome


def _by_id(rows: dict[tuple[str, str], IndicatorWarning], wanted: int) -> IndicatorWarning:
    return next(r for r in rows.values() if r.id == wanted)


def _previous(row: IndicatorWarning) -> Previous:
    band = Colour(row.band_colour) if row.band_colour else None
    return Previous(band, row.consecutive_red, row.streak_escalated)


def _write(
    session: Session, indicator: Indicator, row: IndicatorWarning | None, region: str,
    period: str, value: float | None, verdict: rules.Verdict, now: datetime,
) -> IndicatorWarning:  # fmt: skip
    green = verdict.colour is Colour.green
    if row is None:
        row = IndicatorWarning(
            indicator_id=indicator.id, region_code=region, period=period,
            department_code=indicator.owner_department_code, created_at=now,
            status=(WarningStatus.closed if green else WarningStatus.open).value,
            closed_by="system" if green else "", closed_at=now if green else None,
            acknowledged_by="", close_note="", escalated_at=None,
        )  # fmt: skip
        session.add(row)
    else:
        old = Colour(row.colour)
        if green and row.status != WarningStatus.closed.value:
            row.status, row.closed_by, row.closed_at = WarningStatus.closed.value, "system", now
            row.close_note = "数值恢复正常, 系统自动关闭"
        elif rules.SEVERITY[verdict.colour] > rules.SEVERITY[old]:
            row.status = WarningStatus.open.value  # worse than what was handled: open again
            row.acknowledged_by, row.acknowledged_at = "", None
            row.closed_by, row.closed_at, row.close_note = "", None, ""
    row.department_code = indicator.owner_department_code
    row.value, row.colour = value, verdict.colour.value
    row.band_colour = verdict.band_colour.value if verdict.band_colour else None
    row.reason = "; ".join(verdict.reasons)[:2000]
    row.consecutive_red, row.streak_escalated = verdict.consecutive_red, verdict.streak_escalated
    row.updated_at = now
    session.flush()
    return row


def _escalate(session: Session, indicator: Indicator, warning: IndicatorWarning) -> None:
    """One message to the leaders of the owner department's region, audited, and the domain
    event after commit. No leader there: recorded in the audit detail, not an error."""
    from citybrain.messages import service as messages
    from citybrain.messages.audience import Audience

    department = session.get(Department, indicator.owner_department_code)
    region = normalise_code(department.region_code) if department else indicator.region_code
    title = f"红色预警上报: {indicator.name} 连续 {warning.consecutive_red} 期红色"
    body = (
        f"指标 {indicator.name} ({indicator.code}) 在区划 {warning.region_code}"
        f" 截至 {warning.period} 已连续 {warning.consecutive_red} 期为红色预警。\n原因: "
        f"{warning.reason}\n责任部门: {department.name if department else ''}"
    )
    sent_to = 0
    try:
        with session.begin_nested():
            sent = messages.send(
                session, scope=Scope.system(), sender=None,
                audience=Audience(regions=(region,), roles=(LEADER_ROLE,)),
                title=title[:200], body=body, kind="warning",
                link=f"/indicators/warnings?id={warning.id}",
            )  # fmt: skip
            sent_to = sent.recipient_count
    except DomainError as exc:  # e.g. no leader in the region: the escalation still stands
        log.warning("warning %s escalated without a message: %s", warning.id, exc.code)
    audit.record(
        session,
        action="indicator.warning.escalate",
        object_type="indicator_warning",
        object_id=str(warning.id),
        region_code=warning.region_code,
        detail={"indicator": indicator.code, "period": warning.period,
                "consecutive_red": warning.consecutive_red, "recipients": sent_to},
    )  # fmt: skip
    domain_events.publish(
        session, ESCALATED_EVENT, warning_id=warning.id, indicator=indicator.code,
        region_code=warning.region_code, period=warning.period,
        consecutive_red=warning.consecutive_red, department_code=warning.department_code,
    )  # fmt: skip


def after_run(factory: sessionmaker[Session], *, run_id: int, today: date) -> Evaluation | None:
    """Evaluate the periods of a successful run in a transaction of its own: a failing
    evaluation is logged and never undoes the published values."""
    try:
        with factory() as session, session.begin():
            set_actor(session, actor="scheduler", role="indicators-job", source_ip="local")
            run = session.get(IndicatorRun, run_id)
            indicator = session.get(Indicator, run.indicator_id) if run else None
            if run is None or indicator is None:
                return None
            return evaluate_indicator(
                session, indicator=indicator, first=run.period_from, last=run.period_to,
                today=today,
            )  # fmt: skip
    except Exception:  # the run stays published; the next run evaluates again
        log.exception("warning evaluation after run %s failed", run_id)
        return None


def spec_json(spec: IndicatorWarningRuleSpec) -> str:
    return json.dumps(spec.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
