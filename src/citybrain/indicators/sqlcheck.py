"""The portable SQL of a base indicator, checked without running it (pure: no session, no I/O).

An indicator is written once in DuckDB's dialect and parsed with sqlglot. It must be one
``SELECT`` (CTEs and unions allowed) answering ``region_code``, ``period``, ``value`` and
optionally ``numerator`` and ``denominator``, reading only tables of the given schema (hub
tables of catalog resources, or a registered source's tables) and calling only the functions of
:data:`ALLOWED_FUNCTIONS`. sqlglot passes a function it cannot translate straight through, so
the list holds only functions whose translation to PostgreSQL is exercised by
``tests/indicators/test_engines_agree.py`` (which fails when a listed function is not used by
one of its indicators). Syntax DuckDB has and PostgreSQL lacks is refused by name.

Every refusal is a :class:`SqlRefused` with a stable code and a Chinese message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, UnsupportedError
from sqlglot.optimizer.qualify import qualify

from citybrain.core.errors import BadInput

__all__ = ["ALLOWED_NAMES", "CheckedSql", "SqlRefused", "check", "exp", "parse"]

DIALECT: Final = "duckdb"
REQUIRED_COLUMNS: Final = ("region_code", "period", "value")
OPTIONAL_COLUMNS: Final = ("numerator", "denominator")
MAX_SQL_LENGTH: Final = 20_000

# sqlglot expression class → the name people write. Each is used by an indicator of the
# cross-engine test, which fails when one is not.
ALLOWED_FUNCTIONS: Final[Mapping[type[exp.Expr], str]] = {
    exp.Count: "count",
    exp.Sum: "sum",
    exp.Avg: "avg",
    exp.Min: "min",
    exp.Max: "max",
    exp.Coalesce: "coalesce",
    exp.Nullif: "nullif",
    exp.Abs: "abs",
    exp.Greatest: "greatest",
    exp.Least: "least",
    exp.Cast: "cast",
    exp.Case: "case",
    exp.If: "if",
    exp.TimestampTrunc: "date_trunc",
    exp.DateTrunc: "date_trunc",
    exp.Year: "year",
    exp.Month: "month",
    exp.Extract: "extract",
    exp.TimeToStr: "strftime",
    exp.Substring: "substring",
    exp.Length: "length",
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Floor: "floor",
    exp.Ceil: "ceil",
}
ALLOWED_NAMES: Final = tuple(sorted(set(ALLOWED_FUNCTIONS.values())))
# strftime formats whose PostgreSQL translation is tested.
ALLOWED_TIME_FORMATS: Final = frozenset({"%Y", "%m", "%Y-%m", "%Y-%m-%d"})
# Syntax DuckDB accepts that PostgreSQL does not, or that reaches outside the data.
_REFUSED_SYNTAX: Final[Mapping[type[exp.Expr], str]] = {
    exp.Qualify: "QUALIFY",
    exp.TableSample: "USING SAMPLE / TABLESAMPLE",
    exp.Pivot: "PIVOT",
    exp.Window: "窗口函数 (OVER)",
    exp.Lateral: "LATERAL",
    exp.Lambda: "lambda",
    exp.Placeholder: "参数占位符",
    exp.Parameter: "参数",
    exp.Into: "SELECT INTO",
}


class SqlRefused(BadInput):
    """The SQL of an indicator was refused before it ran."""


@dataclass(frozen=True, slots=True)
class CheckedSql:
    """A definition that passed every static check."""

    expression: exp.Query
    tables: tuple[str, ...]  # schema tables read (CTE names left out), sorted
    functions: tuple[str, ...]  # allowed names used, sorted
    columns: tuple[str, ...]  # output columns in order
    warnings: list[str] = field(default_factory=list)

    @property
    def has_ratio(self) -> bool:
        return "numerator" in self.columns


def parse(sql: str) -> exp.Query:
    """One ``SELECT`` in DuckDB's dialect, or SqlRefused (``sql_empty``, ``sql_too_long``,
    ``sql_parse_error`` with line and column, ``sql_not_select``)."""
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise SqlRefused("SQL 不能为空", code="sql_empty")
    if len(text) > MAX_SQL_LENGTH:
        raise SqlRefused(f"SQL 超过 {MAX_SQL_LENGTH} 个字符", code="sql_too_long")
    try:
        statements = sqlglot.parse(text, read=DIALECT, error_level=ErrorLevel.RAISE)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        detail = {"line": first.get("line"), "column": first.get("col")}
        raise SqlRefused(
            f"SQL 无法解析 (第 {detail['line']} 行第 {detail['column']} 列附近): "
            f"{first.get('description', str(exc))[:200]}",
            code="sql_parse_error",
            detail=detail,
        ) from exc
    if len(statements) != 1 or statements[0] is None:
        raise SqlRefused("只能写一条 SELECT 语句", code="sql_not_select")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        raise SqlRefused("只能写 SELECT 查询, 不能修改数据", code="sql_not_select")
    return statement


def check(sql: str, schema: Mapping[str, Mapping[str, str]]) -> CheckedSql:
    """Parse ``sql`` and check it against ``schema`` (table → column → SQL type). Raises
    SqlRefused: the codes of :func:`parse`, ``syntax_not_portable``, ``function_not_allowed``,
    ``time_format_not_allowed``, ``unknown_table``, ``unknown_column``, ``ambiguous_column``,
    ``wrong_output_columns``."""
    statement = parse(sql)
    _check_syntax(statement)
    functions = _check_functions(statement)
    tables = _check_tables(statement, schema)
    _check_columns(statement, schema)
    columns = _output_columns(statement)
    return CheckedSql(statement, tables, functions, columns)


def _check_syntax(statement: exp.Expr) -> None:
    for node in statement.walk():
        for kind, name in _REFUSED_SYNTAX.items():
            if isinstance(node, kind):
                raise SqlRefused(
                    f"不支持的语法: {name} (指标须能在各引擎上运行)",
                    code="syntax_not_portable",
                    detail=name,
                )
        if isinstance(node, exp.Group) and node.args.get("all"):
            raise SqlRefused(
                "不支持 GROUP BY ALL, 请写出分组列",
                code="syntax_not_portable",
                detail="GROUP BY ALL",
            )
        if isinstance(node, exp.Star) and any(node.args.get(k) for k in ("except", "replace")):
            raise SqlRefused(
                "不支持 SELECT * EXCLUDE / REPLACE", code="syntax_not_portable", detail="*"
            )


def _check_functions(statement: exp.Expr) -> tuple[str, ...]:
    used: set[str] = set()
    for node in statement.walk():
        if not isinstance(node, exp.Func):
            continue
        name = ALLOWED_FUNCTIONS.get(type(node))
        if name is None:
            shown = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            raise SqlRefused(
                f"函数 {shown.lower()} 不在允许列表中 (允许: {', '.join(ALLOWED_NAMES)})",
                code="function_not_allowed",
                detail={"function": shown.lower(), "allowed": list(ALLOWED_NAMES)},
            )
        if isinstance(node, exp.TimeToStr):
            fmt = node.args.get("format")
            text = fmt.name if isinstance(fmt, exp.Literal) else None
            if text not in ALLOWED_TIME_FORMATS:
                raise SqlRefused(
                    f"strftime 只允许这些格式: {', '.join(sorted(ALLOWED_TIME_FORMATS))}",
                    code="time_format_not_allowed",
                    detail={"format": text, "allowed": sorted(ALLOWED_TIME_FORMATS)},
                )
        used.add(name)
    return tuple(sorted(used))


def _cte_names(statement: exp.Expr) -> set[str]:
    return {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}


def _check_tables(statement: exp.Expr, schema: Mapping[str, Mapping[str, str]]) -> tuple[str, ...]:
    ctes = _cte_names(statement)
    known = {name.lower() for name in schema}
    read: set[str] = set()
    for table in statement.find_all(exp.Table):
        if (
            not isinstance(table.this, exp.Identifier)
            or table.args.get("db")
            or table.args.get("catalog")
        ):
            raise SqlRefused(
                f"只能读取中枢表, 不能读取 {table.sql(DIALECT)[:60]}",
                code="unknown_table",
                detail=table.sql(DIALECT)[:60],
            )
        name = table.name.lower()
        if name in ctes:
            continue
        if name not in known:
            raise SqlRefused(
                f"表 {table.name} 不存在于目录 (中枢表名为 hub_<资源代码>)",
                code="unknown_table",
                detail=table.name,
            )
        read.add(name)
    if not read:
        raise SqlRefused("SQL 没有读取任何表", code="unknown_table", detail=None)
    return tuple(sorted(read))


def _check_columns(statement: exp.Expr, schema: Mapping[str, Mapping[str, str]]) -> None:
    lowered: dict[str, object] = {
        t.lower(): {c.lower(): ty for c, ty in cols.items()} for t, cols in schema.items()
    }
    try:
        qualify(
            statement.copy(),
            schema=lowered,
            dialect=DIALECT,
            validate_qualify_columns=True,
            identify=False,
        )
    except OptimizeError as exc:
        text = str(exc)
        code = "ambiguous_column" if "mbiguous" in text else "unknown_column"
        column = text.split("'")[1] if text.count("'") >= 2 else ""
        label = "列名有歧义, 请加表名" if code == "ambiguous_column" else "列不存在于所读的表"
        raise SqlRefused(
            f"{label}: {column or text[:80]}", code=code, detail={"column": column}
        ) from exc


def _output_columns(statement: exp.Query) -> tuple[str, ...]:
    selects = statement.selects
    names: list[str] = []
    for projection in selects:
        if isinstance(projection, exp.Star) or (
            isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
        ):
            raise SqlRefused(
                "不能用 * , 请写出 region_code, period, value 列",
                code="wrong_output_columns",
                detail={"columns": ["*"]},
            )
        names.append(projection.alias_or_name.lower())
    required, allowed = set(REQUIRED_COLUMNS), set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    problems = []
    if missing := sorted(required - set(names)):
        problems.append(f"缺少 {', '.join(missing)}")
    if extra := sorted(set(names) - allowed):
        problems.append(f"多出 {', '.join(extra)}")
    if len(set(names)) != len(names):
        problems.append("列名重复")
    if ("numerator" in names) != ("denominator" in names):
        problems.append("numerator 与 denominator 须同时给出")
    if problems:
        raise SqlRefused(
            "输出列须为 region_code, period, value (可加 numerator, denominator): "
            + "; ".join(problems),
            code="wrong_output_columns",
            detail={"columns": names},
        )
    return tuple(names)


def to_dialect(expression: exp.Expr, dialect: str) -> str:
    """The SQL of ``expression`` for ``dialect`` (``duckdb``, ``postgres``, ``spark``); raises
    SqlRefused ``syntax_not_portable`` when sqlglot knows it cannot translate a part.

    Spark reads ``100.0`` as an exact DECIMAL and divides decimals exactly, where DuckDB turns a
    decimal division into DOUBLE; so for Spark a literal with a fraction becomes a DOUBLE, which
    gives DuckDB's values to the last bit (tests/indicators/test_engines_spark.py)."""
    if dialect == "spark":
        expression = expression.transform(_double_literal)
    try:
        return expression.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise SqlRefused(
            f"SQL 无法转换为 {dialect} 方言: {str(exc)[:200]}",
            code="syntax_not_portable",
            detail=dialect,
        ) from exc


def _double_literal(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Literal) and not node.is_string and "." in node.this:
        return exp.cast(node.copy(), exp.DataType.Type.DOUBLE)
    return node


def restricted(expression: exp.Query, *, lower: object | None, upper: object | None) -> exp.Select:
    """``SELECT * FROM (<expression>) AS q WHERE q.period >= lower AND q.period <= upper``:
    the run of a range of periods, with bounds already typed like the ``period`` column (a
    label, a date, or a year). The filter on the outer query lets the engines push it down."""
    query = exp.select(*(exp.column(c, table="q") for c in expression.named_selects)).from_(
        expression.subquery("q")
    )
    column = exp.column("period", table="q")
    if lower is not None:
        query = query.where(exp.GTE(this=column.copy(), expression=_literal(lower)))
    if upper is not None:
        query = query.where(exp.LTE(this=column.copy(), expression=_literal(upper)))
    return query


def _literal(value: object) -> exp.Expression:
    from datetime import date

    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, int):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))
