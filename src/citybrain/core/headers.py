"""Security headers on every answer, API and front end alike (等保 2.0 web hardening; security
review: no CSP, X-Frame-Options or nosniff).

The policy fits the built front end (``web/dist``): scripts only from our own origin (Vite
emits module scripts, no inline script, no ``eval``); styles from our origin plus inline
``style`` attributes, which Element Plus and ECharts set at run time; images and fonts also as
``data:``/``blob:`` URLs (icons, chart exports). Framing is refused (``DENY``) unless
``CITYBRAIN_FRAME_ANCESTORS`` names the origins that may embed our pages (the big-screen
boards on a wall controller): then ``frame-ancestors`` lists them and ``X-Frame-Options``, which
cannot name several origins, is left out. HSTS is sent only on answers served over TLS: the
request's scheme, which uvicorn takes from ``X-Forwarded-Proto`` only when the proxy is trusted
(``--forwarded-allow-ips``); a client cannot switch it on by sending the header itself.

A plain ASGI middleware, not ``BaseHTTPMiddleware``, so streamed answers stay streamed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS: Final = "max-age=31536000; includeSubDomains"


def content_security_policy(frame_ancestors: Iterable[str] = ()) -> str:
    ancestors = " ".join(frame_ancestors) or "'none'"
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(frame_ancestors: Iterable[str] = ()) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries (HSTS apart, which depends on the request)."""
    origins = list(frame_ancestors)
    headers = [
        (b"content-security-policy", content_security_policy(origins).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]
    if not origins:
        headers.append((b"x-frame-options", b"DENY"))
    return headers


class SecurityHeaders:
    """Adds :func:`security_headers` (and HSTS over TLS) to every HTTP answer, keeping any
    header of the same name that a route set itself."""

    def __init__(self, app: ASGIApp, *, frame_ancestors: Iterable[str] = ()) -> None:
        self.app = app
        self.headers = security_headers(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in extra if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
