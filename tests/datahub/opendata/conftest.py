"""Open-data fixtures: the demo catalog, an app serving the open routes, and a live HTTP
server (uvicorn in a thread, on the test's own database connection) for real CKAN clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.datahub.catalog.models import CatalogResource
from citybrain.datahub.demo.catalog import seed_demo_catalog


@pytest.fixture
def demo_catalog(session: Session) -> list[CatalogResource]:
    return seed_demo_catalog(session)


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def answer_after_commit(app: ASGIApp) -> ASGIApp:
    """Hold each HTTP response until the app call has returned. ``DbSession`` commits when the
    request's dependencies exit, which FastAPI does after sending the response; a client that
    fires its next request at once would otherwise race that commit on the shared connection."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await app(scope, receive, hold)
        for message in held:
            await send(message)

    return wrapped


@pytest.fixture
def live_url(connection: Connection, settings: Settings) -> Iterator[str]:
    """Base URL of the app served by uvicorn on a free port. Requests use the test's connection
    (so they see what the test flushed, and everything is rolled back with the test); the
    client waits for each answer, so they run one at a time."""
    from citybrain.app import create_app

    app = create_app(settings, session_factory=make_session_factory(connection))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(answer_after_commit(app), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
