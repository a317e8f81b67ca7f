"""The OpenAPI document other systems read: who may call each operation, and with what.

FastAPI describes parameters and bodies; it does not know our guards. This module walks the
routes once, finds each operation's ``require(code)`` / ``require_any(...)`` / ``authenticated``
dependencies, and adds to the document:

- the two security schemes (a person's bearer session token, a department system's
  ``X-API-Key``) and, on every guarded operation, ``security`` naming both;
- ``x-permissions`` with the codes and, in the description, their Chinese titles, so a
  department's integrator reads what their key must carry;
- the ``Error`` body every refusal has (``core.errors``), in place of FastAPI's own 422 shape
  that this app never sends.

The route walk in the tests uses :func:`api_routes` and :func:`guards_of` as well, so what the
document says and what the walk checks are the same facts.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from citybrain.core.permissions import title_of
from citybrain.core.security import authenticated

AUTHENTICATED = "authenticated"
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "登录后取得的会话令牌 (Authorization: Bearer …), 代表一个人",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "部门系统的 API 密钥, 只带其授权范围内的权限",
    },
}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "拒绝时的应答: code 为稳定的英文标识, message 为中文说明, detail 视情形而定",
    "required": ["code", "message", "detail"],
    "properties": {
        "code": {"type": "string", "title": "Code"},
        "message": {"type": "string", "title": "Message"},
        "detail": {"title": "Detail"},
    },
}
_FASTAPI_422 = ("HTTPValidationError", "ValidationError")


def api_routes(app: FastAPI) -> Iterator[tuple[str, set[str], Dependant]]:
    """``(path, methods, dependant)`` of every API route, with routers' prefixes and router-level
    dependencies applied (FastAPI ≥ 0.16x includes routers lazily)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: app.routes holds the flattened APIRoutes
        for route in app.routes:
            if isinstance(route, APIRoute):
                yield route.path, set(route.methods or ()), route.dependant
        return
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.path is not None:
            yield context.path, set(context.methods or ()), context.dependant


def guards_of(dependant: Dependant) -> list[str]:
    """The permission codes (and ``authenticated``) anywhere in a dependency tree."""
    found: list[str] = []
    for sub in dependant.dependencies:
        if sub.call is authenticated:
            found.append(AUTHENTICATED)
        code = getattr(sub.call, "permission_code", None)
        if isinstance(code, str):
            found.append(code)
        found.extend(getattr(sub.call, "permission_codes", ()))
        found.extend(guards_of(sub))
    return found


def _any_of(dependant: Dependant) -> list[str]:
    """The codes of ``require_any`` dependencies: holding one of them is enough."""
    found: list[str] = []
    for sub in dependant.dependencies:
        found.extend(getattr(sub.call, "permission_codes", ()))
        found.extend(_any_of(sub))
    return found


def _named(codes: list[str]) -> str:
    return "、".join(f"{title_of(c)} (`{c}`)" for c in codes)


def _annotate(operation: dict[str, Any], dependant: Dependant) -> None:
    operation["security"] = [{"bearer": []}, {"apiKey": []}]
    any_of = set(_any_of(dependant))
    every = sorted({c for c in guards_of(dependant) if c != AUTHENTICATED} - any_of)
    notes: list[str] = []
    if every:
        notes.append("所需权限: " + _named(every))
    if any_of:
        notes.append("所需权限 (其一即可): " + _named(sorted(any_of)))
    if every or any_of:
        operation["x-permissions"] = every + sorted(any_of)
    description = operation.get("description", "")
    note = "; ".join(notes) or "所需权限: 已登录即可"
    operation["description"] = f"{description}\n\n{note}".strip()


def _document_errors(document: dict[str, Any]) -> None:
    """Every 422 answer is our ``Error`` body (``core.errors`` handles RequestValidationError),
    so clients generated from the document and schema checks see what is really sent."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = copy.deepcopy(ERROR_SCHEMA)
    for item in document.get("paths", {}).values():
        for operation in item.values():
            response = operation.get("responses", {}).get("422")
            if response is not None:
                response["description"] = "请求参数不合法"
                response["content"] = {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                }
    for name in _FASTAPI_422:  # FastAPI's own, unless something else still names them
        if f'"#/components/schemas/{name}"' not in json.dumps(document):
            schemas.pop(name, None)


def openapi_builder(app: FastAPI, public_paths: Callable[[], frozenset[str]]) -> Callable[[], Any]:
    """``app.openapi``: FastAPI's document plus security schemes and each operation's codes."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
        _document_errors(document)
        public = public_paths()
        for path, methods, dependant in api_routes(app):
            if path in public:
                continue
            for method in methods:
                operation = document.get("paths", {}).get(path, {}).get(method.lower())
                if operation is not None:
                    _annotate(operation, dependant)
        app.openapi_schema = document
        return document

    return build
