"""Computing an indicator's values for a range of periods: the same code serves the dry run of
the editor and the runs of the schedule, so what was tried is what runs.

A base indicator: the checked SQL, restricted to the periods (a filter on the outer query, in
the type the ``period`` column has), transpiled to the engine's dialect, run within the time
limit, turned into values (``rules.to_values``) and rolled up (``rules.roll_up``). A derived
indicator: its formula evaluated on the current values of its inputs at every region.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlglot import exp

from citybrain.analytics.hub import HubStore, table_name
from citybrain.core.config import Settings
from citybrain.core.errors import BadInput, NotFound
from citybrain.core.scope import Scope
from citybrain.datahub.catalog import queries as catalog_queries
from citybrain.datahub.datasources.service import Purpose, open_source_engine
from citybrain.datahub.ingest.pipeline import hub_spec_for
from citybrain.datahub.quality.rules import ItemSpec, ResourceSpec
from citybrain.indicators import formula as formulas
from citybrain.indicators import sqlcheck
from citybrain.indicators.config import get_indicators_settings
from citybrain.indicators.engines import EngineFailure, IndicatorEngine, SqlEngine, hub_engine
from citybrain.indicators.models import Indicator, IndicatorValue
from citybrain.indicators.periods import Granularity, shift, start_of
from citybrain.indicators.rules import (
    EngineKind,
    Kind,
    Rollup,
    RunRefused,
    Value,
    check_rollup,
    roll_up,
    to_values,
)
from citybrain.regions.scope import Level


@dataclass(frozen=True, slots=True)
class Definition:
    """What computing needs of an indicator (from a saved row or an editor's draft)."""

    code: str
    region_code: str
    kind: Kind
    sql_text: str
    formula: str
    engine: EngineKind
    datasource_id: int | None
    region_level: Level
    granularity: Granularity
    rollup: Rollup
    ratio_scale: float
    timeout_seconds: int
    period_type: str = ""

    @classmethod
    def of(cls, row: Indicator) -> Definition:
        return cls(
            code=row.code,
            region_code=row.region_code,
            kind=Kind(row.kind),
            sql_text=row.sql_text,
            formula=row.formula,
            engine=EngineKind(row.engine),
            datasource_id=row.datasource_id,
            region_level=Level(row.region_level),
            granularity=Granularity(row.granularity),
            rollup=Rollup(row.rollup),
            ratio_scale=row.ratio_scale,
            timeout_seconds=row.timeout_seconds,
            period_type=row.period_type,
        )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A definition that passed the static checks, with its engine."""

    definition: Definition
    checked: sqlcheck.CheckedSql | None = None
    formula: formulas.Formula | None = None
    resources: tuple[str, ...] = ()  # catalog resources read (hub engine)
    engine: IndicatorEngine | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    values: list[Value]  # rolled up, inside the range
    sql: str  # what ran (the engine's dialect), or the formula
    engine: str
    elapsed_ms: int
    columns: tuple[str, ...] = ()
    raw_rows: list[tuple[Any, ...]] | None = None
    period_type: str = ""


# --- schemas the SQL is checked against -----------------------------------------------------


def hub_schema(
    session: Session, *, region_code: str
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """(table → column → type, table → resource code) of the hub tables of every catalog
    resource visible from ``region_code``. Sensitive items are stored encrypted: only their
    blind index (``<item>__bidx``) may be read, e.g. to count distinct persons."""
    scope = Scope(region_code=region_code, all_departments=True, actor="indicators")
    schema: dict[str, dict[str, str]] = {}
    owners: dict[str, str] = {}
    for resource in catalog_queries.all_resources(session, scope=scope, managed_only=False):
        spec = ResourceSpec(
            resource.code,
            resource.name,
            resource.provider_code,
            resource.region_code,
            tuple(
                ItemSpec(i.name, i.title, i.type, i.length, i.mask or "none")
                for i in resource.items
            ),
        )
        sensitive = {i.name for i in spec.items if i.sensitive}
        try:
            table = hub_spec_for(spec)
        except BadInput:
            continue  # a resource the hub could not hold either
        schema[table.table] = {c.name: c.type for c in table.columns if c.name not in sensitive}
        owners[table.table] = resource.code
    return schema, owners


def source_schema(engine: Any, tables: Sequence[str]) -> dict[str, dict[str, str]]:
    """Columns of ``tables`` on a registered source (absent tables are left out)."""
    import sqlalchemy as sa

    inspector = sa.inspect(engine)
    schema: dict[str, dict[str, str]] = {}
    for name in tables:
        try:
            columns = inspector.get_columns(name)
        except sa.exc.NoSuchTableError:
            continue
        schema[name] = {str(c["name"]): str(c["type"]) for c in columns}
    return schema


def tables_read(sql: str) -> list[str]:
    statement = sqlcheck.parse(sql)
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    return sorted({t.name for t in statement.find_all(exp.Table)} - ctes)


# --- preparing ----------------------------------------------------------------------------


def prepare(
    session: Session,
    definition: Definition,
    *,
    hub: HubStore,
    settings: Settings,
    graph: Mapping[str, Sequence[str]] | None = None,
) -> Prepared:
    """Check ``definition`` without running it. Raises BadInput with the codes of
    ``sqlcheck.check``, ``formula.parse_formula``, ``rules.check_rollup``, and
    ``derived_cycle`` (``graph``: code → inputs of the other indicators)."""
    if definition.kind is Kind.derived:
        formula = formulas.parse_formula(definition.formula)
        if definition.code in formula.inputs:
            raise formulas.FormulaRefused(
                "派生指标不能引用自己", code="derived_cycle", detail={"cycle": [definition.code]}
            )
        full = dict(graph or {})
        full[definition.code] = list(formula.inputs)
        formulas.order(full)
        return Prepared(definition, formula=formula)
    if definition.engine is EngineKind.datasource:
        if definition.datasource_id is None:
            raise BadInput("请选择数据源", code="datasource_required")
        source = open_source_engine(
            session,
            source_id=definition.datasource_id,
            region_code=definition.region_code,
            purpose=Purpose.indicator,
            settings=settings,
        )
        engine: IndicatorEngine = SqlEngine(source)
        try:
            schema = source_schema(source, tables_read(definition.sql_text))
        except EngineFailure:
            raise
        except Exception as exc:  # the source did not answer
            raise BadInput(
                "无法读取数据源的表结构", code="datasource_unreachable", detail=str(exc)[:300]
            ) from exc
        checked = sqlcheck.check(definition.sql_text, schema)
        check_rollup(definition.rollup, has_ratio=checked.has_ratio)
        return Prepared(definition, checked=checked, engine=engine)
    schema, owners = hub_schema(session, region_code=definition.region_code)
    checked = sqlcheck.check(definition.sql_text, schema)
    check_rollup(definition.rollup, has_ratio=checked.has_ratio)
    resources = tuple(sorted({owners[t] for t in checked.tables if t in owners}))
    engine = _hub_engine(hub, checked.tables, settings)
    return Prepared(definition, checked=checked, resources=resources, engine=engine)


def _hub_engine(hub: HubStore, tables: Sequence[str], settings: Settings) -> IndicatorEngine:
    """The hub's own engine, or Spark SQL over the tables exported as Parquet when
    ``CITYBRAIN_INDICATORS_SPARK_MASTER`` is set."""
    options = get_indicators_settings()
    if not options.spark_master:
        return hub_engine(hub)
    from citybrain.indicators import spark  # pyspark loads only when Spark is configured

    directory = Path(options.spark_exchange_dir or settings.home / "spark")
    views = spark.export_hub_tables(hub, tables, directory)
    return spark.SparkEngine(spark.spark_session(options.spark_master), views=views)


# --- computing ----------------------------------------------------------------------------


def _bounds(definition: Definition, first: str, last: str) -> tuple[object, object] | None:
    granularity = definition.granularity
    if definition.period_type == "date":
        return start_of(first, granularity), start_of(
            shift(last, granularity, 1), granularity
        ) - timedelta(days=1)
    if definition.period_type == "text":
        return first, last
    if definition.period_type == "integer" and granularity is Granularity.year:
        return int(first), int(last)
    return None


period_bounds = _bounds  # the range filter's bounds, typed like the period column (fused.py)


def period_type_of(rows: Sequence[Sequence[Any]], index: int) -> str:
    from datetime import date

    for row in rows:
        value = row[index]
        if value is None:
            continue
        if isinstance(value, date):
            return "date"
        if isinstance(value, str):
            return "text"
        return "integer"
    return ""


def compute(
    session: Session,
    prepared: Prepared,
    *,
    first: str | None,
    last: str | None,
    timeout_seconds: float,
) -> Outcome:
    """Values of ``prepared`` for the periods ``first``..``last`` (None: every period the SQL
    answers). Raises EngineFailure (timeout, division_by_zero, …) or RunRefused."""
    definition = prepared.definition
    if prepared.formula is not None:
        values = derived_values(session, definition, prepared.formula, first=first, last=last)
        return Outcome(values, prepared.formula.text, "formula", 0)
    assert prepared.checked is not None  # noqa: S101 - prepare() sets both for a base indicator
    assert prepared.engine is not None  # noqa: S101
    expression: exp.Query = prepared.checked.expression
    bounds = _bounds(definition, first, last) if first and last else None
    if bounds is not None:
        expression = sqlcheck.restricted(expression, lower=bounds[0], upper=bounds[1])
    sql = sqlcheck.to_dialect(expression, prepared.engine.dialect)
    result = prepared.engine.execute(sql, timeout_seconds=timeout_seconds)
    base = to_values(
        result.columns,
        result.rows,
        granularity=definition.granularity,
        region_level=definition.region_level,
        root_region=definition.region_code,
    )
    if first and last:
        base = [v for v in base if first <= v.period <= last]
    values = roll_up(
        base,
        rollup=definition.rollup,
        root_region=definition.region_code,
        ratio_scale=definition.ratio_scale,
    )
    index = result.columns.index("period") if "period" in result.columns else 0
    return Outcome(
        values,
        sql,
        prepared.engine.name,
        result.elapsed_ms,
        columns=result.columns,
        raw_rows=result.rows,
        period_type=period_type_of(result.rows, index),
    )


def derived_values(
    session: Session,
    definition: Definition,
    formula: formulas.Formula,
    *,
    first: str | None,
    last: str | None,
) -> list[Value]:
    """The formula at every region and period where an input has a current value. Raises
    RunRefused ``derived_input_missing`` (an input that does not exist) or
    ``division_by_zero`` (naming the region and period)."""
    ids = dict(
        session.execute(
            select(Indicator.code, Indicator.id).where(Indicator.code.in_(formula.inputs))
        ).all()
    )
    missing = sorted(set(formula.inputs) - set(ids))
    if missing:
        raise RunRefused(
            f"公式引用的指标不存在: {', '.join(missing)}",
            code="derived_input_missing",
            detail=missing,
        )
    codes = {v: k for k, v in ids.items()}
    query = select(
        IndicatorValue.indicator_id,
        IndicatorValue.region_code,
        IndicatorValue.period,
        IndicatorValue.value,
    ).where(IndicatorValue.indicator_id.in_(list(ids.values())), IndicatorValue.current.is_(True))
    if first and last:
        query = query.where(IndicatorValue.period >= first, IndicatorValue.period <= last)
    inputs: dict[tuple[str, str], dict[str, float | None]] = defaultdict(dict)
    for indicator_id, region, period, value in session.execute(query):
        if region.startswith(definition.region_code):
            inputs[(region, period)][codes[indicator_id]] = value
    values = []
    for (region, period), known in sorted(inputs.items()):
        try:
            result = formula.evaluate(known)
        except formulas.DivisionByZero as exc:
            raise RunRefused(
                f"公式在 {region} {period} 除以零",
                code="division_by_zero",
                detail={"region_code": region, "period": period},
            ) from exc
        values.append(Value(region, period, result))
    return values


def inputs_graph(session: Session) -> dict[str, list[str]]:
    """code → inputs of every derived indicator (for cycle checks and run order)."""
    rows = session.execute(
        select(Indicator.code, Indicator.inputs).where(Indicator.kind == Kind.derived.value)
    )
    return {code: list(json.loads(inputs or "[]")) for code, inputs in rows}


def indicator_by_code(session: Session, code: str) -> Indicator:
    row = session.execute(select(Indicator).where(Indicator.code == code)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"指标 {code} 不存在", code="indicator_not_found", detail=code)
    return row


__all__ = ["EngineFailure", "Outcome", "Prepared", "compute", "prepare", "table_name"]
