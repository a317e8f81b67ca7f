"""Source connectors: department data (CSV, XLSX, JSON files, JSON over HTTP, SQL databases)
read as a stream of `SourceRecord`s of text values, with errors that name the row and field."""

from __future__ import annotations

from typing import Any, Final

from citybrain.core.outbound import unsafe_address_reason

from .base import UNSUPPORTED_FORMAT, Connector, ConnectorError, RowErrorPolicy, SourceRecord
from .csv_source import CsvConnector
from .http_source import HttpJsonConnector
from .json_source import JsonConnector
from .sql_source import SqlConnector
from .xlsx_source import XlsxConnector

_KINDS: Final[dict[str, Any]] = {
    "csv": CsvConnector,
    "xlsx": XlsxConnector,
    "json": JsonConnector,
    "http": HttpJsonConnector,
}
# No "sql" kind: a database is opened only as a registered source
# (``datahub.datasources.service.open_source_engine``), never from a connection string.
KINDS: Final = tuple(_KINDS)


def open_source(kind: str, **options: Any) -> Connector:
    """The connector for `kind` (csv, xlsx, json, http), built with that class's options.

    Files take `path`, http takes `url`. Nothing is read
    until `columns()` or `iter_records()`. Raises ConnectorError(unsupported_format) for an
    unknown kind; a wrong option name raises TypeError (a programming error, not bad input).
    """
    try:
        factory = _KINDS[kind]
    except KeyError:
        raise ConnectorError(
            UNSUPPORTED_FORMAT, f"不支持的数据源类型“{kind}”，支持：{'、'.join(KINDS)}"
        ) from None
    connector: Connector = factory(**options)
    return connector


__all__ = [
    "KINDS",
    "Connector",
    "ConnectorError",
    "CsvConnector",
    "HttpJsonConnector",
    "JsonConnector",
    "RowErrorPolicy",
    "SourceRecord",
    "SqlConnector",
    "XlsxConnector",
    "open_source",
    "unsafe_address_reason",
]
