"""Every operation of the OpenAPI document carries a Chinese summary and a Chinese description:
integrators of department systems (and the generated client's readers) read these, not the code.
The permission note that ``core/openapi.py`` appends ("所需权限: …") does not count."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

from citybrain.app import create_app

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_PERMISSION_NOTE = "所需权限"


def _own_description(operation: dict[str, Any]) -> str:
    """The description as written on the route, without the appended permission note."""
    return str(operation.get("description", "")).split(_PERMISSION_NOTE, 1)[0]


def _offenders(app: FastAPI) -> list[str]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    operations = [(m, p, op) for p, ops in paths.items() for m, op in ops.items()]
    assert len(operations) > 50, "the document holds too few operations: is the app assembled?"
    found = []
    for method, path, operation in operations:
        missing = [
            part
            for part, text in (
                ("summary", str(operation.get("summary", ""))),
                ("description", _own_description(operation)),
            )
            if not _CJK.search(text)
        ]
        if missing:
            found.append(f"{method.upper()} {path}: no Chinese {' or '.join(missing)}")
    return sorted(found)


def test_every_operation_has_a_chinese_summary_and_description(settings):
    offenders = _offenders(create_app(settings))
    assert not offenders, "operations without Chinese text:\n  " + "\n  ".join(offenders)


def test_the_check_catches_a_route_without_chinese_text(settings):
    app = create_app(settings)

    @app.get("/api/v1/unexplained")
    def unexplained() -> dict[str, str]:
        """Developer notes only."""
        return {}

    @app.get("/api/v1/half-explained", summary="只有摘要")
    def half_explained() -> dict[str, str]:
        return {}

    assert _offenders(app) == [
        "GET /api/v1/half-explained: no Chinese description",
        "GET /api/v1/unexplained: no Chinese summary or description",
    ]


def test_the_permission_note_alone_is_not_a_description(settings):
    operation = {"description": "\n\n所需权限: 已登录即可"}
    assert not _CJK.search(_own_description(operation))
    assert _CJK.search(_own_description({"description": "列出资源\n\n所需权限: catalog:read"}))
