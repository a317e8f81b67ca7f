"""The kinds of searchable things and their Chinese names (a kind not listed shows its code)."""

from __future__ import annotations

from collections.abc import Mapping

_titles: dict[str, str] = {
    "catalog_resource": "数据目录",
    "report": "专报",
    "indicator": "指标",
    "event": "事件",
    "news": "新闻",
}


def register_kind(kind: str, title: str) -> None:
    """Name a new kind (a module above ``search`` that publishes one may call it)."""
    _titles[kind] = title


def kind_title(kind: str) -> str:
    return _titles.get(kind, kind)


def known_kinds() -> Mapping[str, str]:
    return dict(_titles)
