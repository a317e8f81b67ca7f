"""Which source column feeds which catalog item. Pure.

A column maps to an item by, in order: the explicit mapping (``{column: item name}``), the
item's title (the Chinese header departments use), the item's name, the same two compared
without blanks, full-width forms or case, and finally the last part of a merged XLSX header
(``联系方式_手机`` → 手机). Columns that map nowhere are reported, not loaded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from citybrain.core.errors import BadInput
from citybrain.datahub.quality.rules import ResourceSpec


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    source_of: dict[str, str]  # item name → source column
    unknown_columns: list[str]  # source columns not loaded
    unmapped_items: list[str]  # items the source does not carry


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace() and ch not in "_-（）()")


def map_columns(
    resource: ResourceSpec,
    columns: Sequence[str],
    *,
    explicit: Mapping[str, str] | None = None,
    required: Collection[str] = (),
    ignore: Collection[str] = (),
) -> ColumnMapping:
    """Map ``columns`` onto ``resource``'s items.

    Raises BadInput ``unknown_item`` (the explicit mapping names no item of the resource),
    ``mapping_column_not_found`` (it names a column the source lacks), ``ambiguous_column``
    (two columns would feed one item) and ``missing_column`` (a required item has no column;
    the message names the item's title and name).
    """
    item_names = {item.name for item in resource.items}
    source_of: dict[str, str] = {}
    taken: set[str] = set()
    for column, wanted in (explicit or {}).items():
        if wanted not in item_names:
            raise BadInput(
                f"映射中的信息项“{wanted}”不属于资源 {resource.code}",
                code="unknown_item",
                detail={"column": column, "item": wanted},
            )
        if column not in columns:
            raise BadInput(
                f"映射中的列“{column}”不在数据源中",
                code="mapping_column_not_found",
                detail={"column": column, "item": wanted},
            )
        _claim(source_of, taken, wanted, column)
    free = [c for c in columns if c not in taken and c not in ignore]
    for matcher in (_exact, _folded, _last_part):
        for item in resource.items:
            if item.name in source_of:
                continue
            hits = [c for c in free if c not in taken and matcher(c, item.title, item.name)]
            if len(hits) > 1:
                raise BadInput(
                    f"数据源中有多列都对应信息项“{item.title}”：{'、'.join(hits)}，请指定映射",
                    code="ambiguous_column",
                    detail={"item": item.name, "columns": hits},
                )
            if hits:
                _claim(source_of, taken, item.name, hits[0])
    missing = [i for i in resource.items if i.name in required and i.name not in source_of]
    if missing:
        first = missing[0]
        raise BadInput(
            f"数据源缺少必需的列“{first.title}”（{first.name}）",
            code="missing_column",
            detail={
                "column": first.title,
                "item": first.name,
                "missing": [m.name for m in missing],
            },
        )
    return ColumnMapping(
        source_of=source_of,
        unknown_columns=[c for c in columns if c not in taken and c not in ignore],
        unmapped_items=[i.name for i in resource.items if i.name not in source_of],
    )


def _claim(source_of: dict[str, str], taken: set[str], item: str, column: str) -> None:
    if item in source_of:
        raise BadInput(
            f"信息项“{item}”被映射了两次（{source_of[item]}、{column}）",
            code="ambiguous_column",
            detail={"item": item, "columns": [source_of[item], column]},
        )
    source_of[item] = column
    taken.add(column)


def _exact(column: str, title: str, name: str) -> bool:
    stripped = column.strip()
    return stripped in (title, name)


def _folded(column: str, title: str, name: str) -> bool:
    folded = _fold(column)
    return folded in (_fold(title), _fold(name))


def _last_part(column: str, title: str, name: str) -> bool:
    if "_" not in column:
        return False
    return _fold(column.rsplit("_", 1)[1]) == _fold(title)


def parse_mapping_options(pairs: Sequence[str]) -> dict[str, str]:
    """``["列名=item", …]`` (the CLI's ``--mapping``) as a dict. BadInput ``bad_mapping``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, item = pair.partition("=")
        if not sep or not column.strip() or not item.strip():
            raise BadInput(f"映射应写成 列名=信息项: {pair}", code="bad_mapping", detail=pair)
        mapping[column.strip()] = item.strip()
    return mapping
