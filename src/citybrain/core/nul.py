"""Requests carrying a NUL character (U+0000) in their path, query or JSON body are refused.

PostgreSQL text columns cannot hold NUL, so such a value reaching a query is a server error
there, while SQLite would store it: the same request would behave differently on the two
databases. NUL means nothing in any name, code or text this platform keeps, so it is refused
where it enters (422 ``nul_character``) rather than stripped: stripping would silently turn
``"620722\\x00"`` into another caller's ``"620722"``. Multipart bodies are left alone (uploaded
files legitimately hold NUL bytes); their few text fields are parsed and checked by their route.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citybrain.core.errors import error_body

NUL_CODE = "nul_character"
NUL_MESSAGE = "请求中含有不允许的空字符 (NUL)"


def contains_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds NUL in any string, key or nested item."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False


def _json_body_has_nul(body: bytes) -> bool:
    # Fast path: a NUL can only be written as the escape \u0000 (a raw one is invalid JSON and
    # refused by the parser later); decode only then, since "\\u0000" is an innocent backslash.
    if b"\\u0000" not in body:
        return False
    try:
        return contains_nul(json.loads(body))
    except ValueError:
        return False  # malformed JSON: the route's own parsing answers 422 json_invalid


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = bytes(value).split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class RefuseNul:
    """Pure ASGI middleware: cheap checks of path and query, the JSON body only when present."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
            await self._refuse(scope, receive, send)
            return
        if not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if _json_body_has_nul(bytes(body)):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(error_body(NUL_CODE, NUL_MESSAGE), 422)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body over once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install_nul_guard(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)
