"""Checking a definition when it is saved: the static checks, then a dry run on the engine,
answered as a :class:`ValidationResult` (the rows and the time it took, or the refusal with its
code and Chinese message)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.config import Settings
from citybrain.core.errors import DomainError
from citybrain.indicators import compute
from citybrain.indicators.compute import Definition, Prepared
from citybrain.indicators.config import get_indicators_settings
from citybrain.indicators.engines import EngineFailure
from citybrain.indicators.schemas import IndicatorDefinition, ValidationResult
from citybrain.regions.scope import Level

WARN_ONLY = frozenset({"hub_table_missing"})
"""Engine failures that do not refuse a save: a resource registered but not loaded yet."""


def definition_of(spec: IndicatorDefinition, *, code: str, region_code: str) -> Definition:
    return Definition(
        code=code,
        region_code=region_code,
        kind=spec.kind,
        sql_text=spec.sql_text,
        formula=spec.formula,
        engine=spec.engine,
        datasource_id=spec.datasource_id,
        region_level=Level(spec.region_level),
        granularity=spec.granularity,
        rollup=spec.rollup,
        ratio_scale=spec.ratio_scale,
        timeout_seconds=spec.timeout_seconds,
    )


def _cell(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)


def validate(
    session: Session,
    spec: IndicatorDefinition,
    *,
    code: str,
    region_code: str,
    hub: HubStore,
    settings: Settings,
) -> tuple[ValidationResult, Prepared | None]:
    """Check and dry-run ``spec``; never raises for a bad definition (the result says why)."""
    config = get_indicators_settings()
    definition = definition_of(spec, code=code, region_code=region_code)
    graph = {k: v for k, v in compute.inputs_graph(session).items() if k != code}
    prepared: Prepared | None = None
    try:
        prepared = compute.prepare(session, definition, hub=hub, settings=settings, graph=graph)
        timeout = min(spec.timeout_seconds, config.dry_run_timeout_seconds)
        outcome = compute.compute(session, prepared, first=None, last=None, timeout_seconds=timeout)
    except EngineFailure as exc:
        result = _refused(exc.code, exc.message, exc.internal, prepared)
        if exc.code in WARN_ONLY:
            result.ok, result.warnings = True, [exc.message]
        return result, prepared
    except DomainError as exc:
        return _refused(exc.code, exc.message, exc.detail, prepared), prepared
    finally:
        if prepared is not None and prepared.engine is not None:
            prepared.engine.close()
    shown: list[list[Any]]
    if outcome.raw_rows is not None:
        columns = list(outcome.columns)
        shown = [[_cell(v) for v in row] for row in outcome.raw_rows[: config.dry_run_rows]]
        count = len(outcome.raw_rows)
    else:
        columns = ["region_code", "period", "value"]
        rows = outcome.values
        shown = [[v.region_code, v.period, v.value] for v in rows[: config.dry_run_rows]]
        count = len(rows)
    result = ValidationResult(
        ok=True,
        tables=list(prepared.checked.tables) if prepared.checked else [],
        resources=list(prepared.resources),
        functions=list(prepared.checked.functions) if prepared.checked else [],
        inputs=list(prepared.formula.inputs) if prepared.formula else [],
        columns=columns,
        rows=shown,
        row_count=count,
        elapsed_ms=outcome.elapsed_ms,
        engine=outcome.engine,
        engine_sql=outcome.sql,
        period_type=outcome.period_type,
    )
    if count == 0:
        result.warnings.append("试运行没有返回任何行")
    return result, prepared


def _refused(code: str, message: str, detail: Any, prepared: Prepared | None) -> ValidationResult:
    return ValidationResult(
        ok=False,
        code=code,
        message=message,
        detail=detail,
        tables=list(prepared.checked.tables) if prepared and prepared.checked else [],
        functions=list(prepared.checked.functions) if prepared and prepared.checked else [],
        inputs=list(prepared.formula.inputs) if prepared and prepared.formula else [],
    )
