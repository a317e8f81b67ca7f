"""Local receivers for the delivery tests (no tests here): an HTTP server (stdlib http.server in a
thread) that records every request and answers from a script, and an SMTP server (aiosmtpd)
that records every mail and checks a login. Both listen on 127.0.0.1 only."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HttpReceiver:
    """``answers``: (status, JSON body) to give, in order; then ``default``."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answers: deque[tuple[int, Any]] = field(default_factory=deque)
    default: tuple[int, Any] = (200, {"errcode": 0, "errmsg": "ok"})

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def serve_http() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            receiver.requests.append(
                Received(parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, answer = receiver.answers.popleft() if receiver.answers else receiver.default
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpReceiver:
    host: str
    port: int
    username: str
    password: str
    mails: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, receiver: SmtpReceiver) -> None:
        self.receiver = receiver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.receiver.mails.append(mail)
        self.receiver.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def serve_smtp(
    username: str = "notify@example.gov.cn",
    password: str = "smtp-Secret-2026!",  # noqa: S107 - the test server's own login
) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver("127.0.0.1", 0, username, password)

    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode() == username and data.password.decode() == password
        )
        if ok:
            receiver.logins.append(username)
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 235 or 535 itself

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        receiver.port = probe.getsockname()[1]
    controller = Controller(
        _Handler(receiver),
        hostname="127.0.0.1",
        port=receiver.port,
        authenticator=authenticate,
        auth_require_tls=False,  # a test server without TLS, reached inside the opened range
    )
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
