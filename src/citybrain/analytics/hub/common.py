"""What both hub stores share: table specs, names, the merge result and the spec checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from citybrain.core.clock import utcnow
from citybrain.core.errors import InvalidState

HUB_TYPES: Final = frozenset({"VARCHAR", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN"})
SYSTEM_COLUMNS: Final = ("_key", "_version", "_batch_id", "_source_row", "_loaded_at")
_UNSAFE = re.compile(r"[^0-9a-z_]+")


@dataclass(frozen=True, slots=True)
class HubColumn:
    name: str
    type: str  # one of HUB_TYPES


@dataclass(frozen=True, slots=True)
class HubTableSpec:
    """The shape of one resource's hub table (item columns in order, without system columns)."""

    resource_code: str
    columns: tuple[HubColumn, ...]
    version_type: str = "BIGINT"

    @property
    def table(self) -> str:
        return table_name(self.resource_code)


@dataclass(frozen=True, slots=True)
class MergeResult:
    staged: int
    inserted: int  # keys that were new
    updated: int  # keys whose stored record was older and got replaced
    skipped: int  # rows whose stored record had an equal or newer version
    load_seq: int


def table_name(resource_code: str) -> str:
    """``hub_`` + the resource code lower-cased with every run of other characters as ``_``."""
    safe = _UNSAFE.sub("_", resource_code.strip().lower()).strip("_")
    if not safe:
        raise InvalidState(f"资源代码无法用作表名: {resource_code!r}", code="bad_resource_code")
    return f"hub_{safe}"


def quote(identifier: str) -> str:
    """An SQL identifier in double quotes (embedded quotes doubled); DuckDB and PostgreSQL."""
    return '"' + identifier.replace('"', '""') + '"'


def now() -> Any:
    """The load time: UTC without a zone (TIMESTAMP columns hold UTC)."""
    return utcnow().replace(tzinfo=None)


def check_spec(spec: HubTableSpec) -> None:
    names = [c.name for c in spec.columns]
    for column in spec.columns:
        if column.type not in HUB_TYPES:
            raise InvalidState(f"不支持的列类型 {column.type}", code="hub_bad_type")
        if column.name.startswith("_") or not column.name:
            raise InvalidState(f"列名不能以下划线开头: {column.name}", code="hub_bad_column")
    if len(set(names)) != len(names) or spec.version_type not in HUB_TYPES:
        raise InvalidState("资源的数据项列名重复或版本类型无效", code="hub_bad_column")


def wanted_columns(spec: HubTableSpec) -> dict[str, str]:
    """Every column of the spec's hub table (items, then system columns) and its hub type."""
    wanted = {c.name: c.type for c in spec.columns}
    wanted.update(
        _key="VARCHAR",
        _version=spec.version_type,
        _batch_id="BIGINT",
        _source_row="BIGINT",
        _loaded_at="TIMESTAMP",
    )
    return wanted


def table_conflict(spec: HubTableSpec, owner: str) -> InvalidState:
    return InvalidState(
        f"资源 {spec.resource_code} 与 {owner} 映射到同一张中枢表 {spec.table}",
        code="hub_table_conflict",
        detail={"table": spec.table, "owner": owner},
    )


def schema_conflict(table: str, column: str, stored: str, wanted: str) -> InvalidState:
    return InvalidState(
        f"中枢表 {table} 的列 {column} 类型为 {stored}，目录要求 {wanted}",
        code="hub_schema_conflict",
        detail={"table": table, "column": column, "stored": stored, "wanted": wanted},
    )
