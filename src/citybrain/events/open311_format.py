"""Open311 GeoReport v2 documents in JSON and XML: the root and item names of the spec's
examples (``services/service``, ``service_definition``, ``service_requests/request``,
``errors/error``), UTF-8, ``text/xml`` or ``application/json``. Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
FORMATS = ("json", "xml")


def w3(moment: datetime | None) -> str | None:
    """The spec's w3 form with an offset (``2010-01-01T00:00:00+00:00``)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat()


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if value is None:
        return
    if isinstance(value, bool):
        node.text = "true" if value else "false"
    elif isinstance(value, list):
        item_name = "attribute" if name == "attributes" else "value"
        for item in value:
            _xml_item(node, item_name, item)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _xml_value(node, key, inner)
    else:
        node.text = str(value)


def _xml_item(parent: ET.Element, name: str, item: Any) -> None:
    if isinstance(item, Mapping):
        node = ET.SubElement(parent, name)
        for key, value in item.items():
            _xml_value(node, key, value)
    else:
        _xml_value(parent, name, item)


def render(
    fmt: str, payload: Sequence[Mapping[str, Any]] | Mapping[str, Any], *, root: str, item: str,
    status_code: int = 200,
) -> Response:  # fmt: skip
    """``payload`` (a list of items, or one object for ``service_definition``) as ``fmt``."""
    if fmt == "xml":
        if isinstance(payload, Mapping):
            top = ET.Element(root)
            for key, value in payload.items():
                _xml_value(top, key, value)
        else:
            top = ET.Element(root)
            for entry in payload:
                _xml_item(top, item, entry)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8")
        # ET.tostring with encoding="utf-8" writes its own declaration: keep a single one.
        body = body.replace(b"<?xml version='1.0' encoding='utf-8'?>\n", b"")
        return Response(body, status_code=status_code, media_type=XML_TYPE)
    return Response(
        json.dumps(payload, ensure_ascii=False).encode(), status_code=status_code,
        media_type=JSON_TYPE,
    )  # fmt: skip


def error(fmt: str, status_code: int, description: str) -> Response:
    """The spec's error list: ``[{"code": <HTTP status>, "description": ...}]``."""
    return render(
        fmt, [{"code": status_code, "description": description}], root="errors", item="error",
        status_code=status_code,
    )  # fmt: skip
