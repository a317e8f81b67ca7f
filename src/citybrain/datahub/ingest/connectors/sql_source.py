"""A table or a SELECT query in a database, read through an engine the caller opened.

The connector never builds a connection itself: in the platform the engine comes from
``datahub.datasources.service.open_source_engine`` (a registered source, checked, pinned,
time-limited, read-only), so no connection string from a request can reach it.

Rows stream in batches (`yield_per`, a server-side cursor where the driver has one). For
incremental pulls, `watermark_column` names a column that only grows (更新时间, an id);
`iter_records(since=...)` takes only rows whose watermark is greater, and `max_watermark` holds
the largest value seen, as text, to pass as `since` next time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .base import (
    BAD_OPTION,
    BAD_WATERMARK,
    DB_ERROR,
    DUPLICATE_HEADER,
    SOURCE_NOT_FOUND,
    UNSUPPORTED_QUERY,
    ConnectorError,
    SourceRecord,
    to_text,
)

_LEADING_COMMENTS = re.compile(r"^(\s*(--[^\n]*(\n|$)|/\*.*?\*/))*\s*", re.DOTALL)
_READ_STATEMENT = re.compile(r"(select|with)\b", re.IGNORECASE)
_ALIAS = "cb_src"


class SqlConnector:
    def __init__(
        self,
        engine: sa.Engine,
        *,
        table: str | None = None,
        query: str | None = None,
        schema: str | None = None,
        watermark_column: str | None = None,
        batch_size: int = 1000,
    ) -> None:
        """Exactly one of `table` (reflected, so its name is never spliced into SQL) or `query`
        (one SELECT or WITH statement). The caller owns `engine` (and disposes it).
        Raises ConnectorError(bad_option | unsupported_query)."""
        if (table is None) == (query is None):
            raise ConnectorError(BAD_OPTION, "数据库数据源需要指定表名或查询语句之一")
        self._engine = engine
        self.table = table
        self.query = _check_query(query) if query is not None else None
        self.schema = schema
        self.watermark_column = watermark_column
        self.batch_size = batch_size
        self._max: object = None

    @property
    def max_watermark(self) -> str | None:
        """Largest watermark of the rows yielded so far by the last `iter_records`; None if none."""
        return to_text(self._max)

    def columns(self) -> list[str]:
        with self._connect() as conn:
            if self.query is None:
                return [column.name for column in self._reflect(conn).columns]
            empty = (
                sa.select(sa.text("*"))
                .select_from(_text_source(self.query, None))
                .where(sa.false())
            )
            return list(_run(conn, empty).keys())

    def iter_records(self, since: str | None = None) -> Iterator[SourceRecord]:
        """Rows in the order the database returns them, numbered from 1.

        Raises ConnectorError(bad_option) for `since` without a watermark column,
        ConnectorError(bad_watermark) if `since` does not parse as the column's type, and
        ConnectorError(db_error | source_not_found) for database failures.
        """
        if since is not None and self.watermark_column is None:
            raise ConnectorError(BAD_OPTION, "增量抽取需要指定水位列（watermark_column）")
        self._max = None
        with self._connect() as conn:
            selected, mark = self._statement(conn)
            statement: sa.Executable = selected
            if since is not None and mark is not None:  # mark is set whenever a column is named
                sample = _run(conn, sa.select(mark).where(mark.is_not(None)).limit(1)).scalar()
                if sample is None:
                    return
                statement = selected.where(mark > _coerce(since, sample, mark.name))
            elif self.query is not None:
                statement = sa.text(self.query)  # as written: no wrapper renames its columns
            result = _run(conn.execution_options(yield_per=self.batch_size), statement)
            names = list(result.keys())
            if len(set(names)) != len(names):
                duplicate = next(n for n in names if names.count(n) > 1)
                raise ConnectorError(
                    DUPLICATE_HEADER,
                    f"查询结果中列名“{duplicate}”重复，请使用别名",
                    field=duplicate,
                )
            position = names.index(mark.name) if mark is not None and mark.name in names else None
            try:
                for number, row in enumerate(result, start=1):
                    mark_value = row[position] if position is not None else None
                    if mark_value is not None and (self._max is None or mark_value > self._max):
                        self._max = mark_value
                    yield SourceRecord(
                        number, {n: to_text(v) for n, v in zip(names, row, strict=True)}
                    )
            except sa.exc.SQLAlchemyError as exc:
                raise _db_error(exc) from exc

    def _connect(self) -> sa.Connection:
        try:
            conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(
                DB_ERROR, f"无法连接数据库 {self._safe_url()}：{_first_line(exc)}"
            ) from exc
        # Belt and braces: the account should be read-only; where the database can, say so too.
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")  # first statement of the transaction
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA query_only = ON")
        return conn

    def _reflect(self, conn: sa.Connection) -> sa.Table:
        name = str(self.table)  # not None: the constructor requires a table when there is no query
        try:
            return sa.Table(name, sa.MetaData(), schema=self.schema, autoload_with=conn)
        except sa.exc.NoSuchTableError as exc:
            raise ConnectorError(
                SOURCE_NOT_FOUND, f"数据库中没有表“{self.table}”", field=self.table
            ) from exc
        except sa.exc.SQLAlchemyError as exc:
            raise _db_error(exc) from exc

    def _statement(
        self, conn: sa.Connection
    ) -> tuple[sa.Select[Any], sa.ColumnElement[Any] | None]:
        wanted = self.watermark_column
        if self.query is not None:
            source = _text_source(self.query, wanted)
            mark = source.c[wanted] if wanted is not None else None
            return sa.select(sa.text("*")).select_from(source), mark
        table = self._reflect(conn)
        if wanted is not None and wanted not in table.c:
            raise ConnectorError(
                SOURCE_NOT_FOUND, f"表“{self.table}”中没有水位列“{wanted}”", field=wanted
            )
        return sa.select(table), table.c[wanted] if wanted is not None else None

    def _safe_url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)


def _check_query(query: str) -> str:
    body = _LEADING_COMMENTS.sub("", query, count=1).rstrip().rstrip(";").rstrip()
    if not _READ_STATEMENT.match(body) or ";" in body:
        raise ConnectorError(UNSUPPORTED_QUERY, "只支持一条 SELECT（或 WITH … SELECT）查询语句")
    return body


def _text_source(query: str, watermark: str | None) -> sa.Subquery:
    columns: list[sa.ColumnClause[Any]] = [sa.column(watermark)] if watermark is not None else []
    return sa.text(query).columns(*columns).subquery(_ALIAS)


def _coerce(since: str, sample: object, column: str) -> object:
    """`since` as a value of the watermark column's Python type, so the database compares it
    as a date, number or string and not as text."""
    parse: Any = str
    if isinstance(sample, dt.datetime):
        parse = dt.datetime.fromisoformat
    elif isinstance(sample, dt.date):
        parse = dt.date.fromisoformat
    elif isinstance(sample, int) and not isinstance(sample, bool):
        parse = int
    elif isinstance(sample, Decimal):
        parse = Decimal
    elif isinstance(sample, float):
        parse = float
    try:
        return parse(since.strip())
    except (ValueError, ArithmeticError) as exc:
        raise ConnectorError(
            BAD_WATERMARK, f"水位值“{since}”不能与列“{column}”的值（如 {sample}）比较", field=column
        ) from exc


def _run(conn: sa.Connection, statement: sa.Executable) -> sa.CursorResult[Any]:
    try:
        return conn.execute(statement)
    except sa.exc.SQLAlchemyError as exc:
        raise _db_error(exc) from exc


def _db_error(exc: sa.exc.SQLAlchemyError) -> ConnectorError:
    return ConnectorError(DB_ERROR, f"数据库查询失败：{_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    return (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
