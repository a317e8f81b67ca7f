"""The live inbox stream against a real server (uvicorn in a thread, a database of its own: a
SQLite file, or a PostgreSQL schema): the badge count arrives at once, follows new messages and
reads, holds no database slot while open, and ends when its login session does."""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.audit.config import get_audit_settings
from citybrain.core.config import Settings
from citybrain.core.db import make_engine, make_session_factory, pool_options
from citybrain.iam import service as iam_service
from citybrain.iam import sessions
from citybrain.messages.config import MessagesSettings
from citybrain.messages.dependencies import messages_settings
from citybrain.regions.models import Region

PG_URL = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs PostgreSQL"),
    ),
]
FAST = MessagesSettings(
    stream_poll_seconds=0.2,
    stream_refresh_seconds=1,
    stream_recheck_seconds=0.3,
    stream_max_seconds=60,
)
WAIT = 10.0  # seconds an expected event may take at most (it takes well under one)


@pytest.fixture(autouse=True)
def _own_checkpoint_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The live server has a database of its own: its audit checkpoints go to a file of its own."""
    monkeypatch.setenv("CITYBRAIN_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    get_audit_settings.cache_clear()
    yield
    monkeypatch.delenv("CITYBRAIN_AUDIT_CHECKPOINT_FILE")
    get_audit_settings.cache_clear()


@dataclass
class Live:
    base: str
    sender: dict[str, str]
    receiver: dict[str, str]

    def post(self, path: str, headers: dict[str, str], body: Any = None) -> httpx.Response:
        return httpx.post(self.base + path, json=body, headers=headers, timeout=30)

    def get(self, path: str, headers: dict[str, str]) -> httpx.Response:
        return httpx.get(self.base + path, headers=headers, timeout=30)


def _seed(factory: sessionmaker[Session]) -> tuple[str, str]:
    with factory() as session, session.begin():
        session.add(Region(code="620722", name="民乐县", level="county"))
        session.flush()
        session.add(Region(code="620722104", name="南古镇", level="town", parent_code="620722"))
        tokens = []
        for role, region in (("analyst", "620722"), ("viewer", "620722104")):
            user = iam_service.create_user(
                session, username=f"{role}{uuid.uuid4().hex[:8]}", password="Cb-test-2024!pass",
                region_code=region, roles=[role], must_change_password=False,
            )  # fmt: skip
            session.flush()
            tokens.append(sessions.start(session, user_id=user.id)[1])
    return tokens[0], tokens[1]


@contextmanager
def _database(backend: str, home: Path) -> Iterator[tuple[str, dict[str, object]]]:
    if backend == "sqlite":
        yield f"sqlite:///{home / 'live.db'}", {}
        return
    schema = f"cbmsg_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield PG_URL, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def live_server(backend: str, home: Path) -> Iterator[Live]:
    from citybrain.app import create_app
    from citybrain.core.migrate import upgrade

    with _database(backend, home) as (url, extra):
        # One database slot, a short wait: a stream that held its slot would starve the rest.
        config = Settings(home=home, database_url=url, db_slots=1, db_wait_seconds=2)  # type: ignore[call-arg]
        engine = make_engine(url, **extra, **pool_options(url, size=4))
        upgrade(engine)
        sender, receiver = _seed(make_session_factory(engine))
        app = create_app(config, engine=engine)
        app.dependency_overrides[messages_settings] = lambda: FAST
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive(), "server died on start"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        try:
            yield Live(
                f"http://127.0.0.1:{port}",
                {"Authorization": f"Bearer {sender}"},
                {"Authorization": f"Bearer {receiver}"},
            )
        finally:
            server.should_exit = True
            thread.join(20)
            engine.dispose()


class EventReader:
    """Reads a server-sent-event stream in a thread; ``next()`` waits for the next event."""

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.status = 0
        self._client = httpx.Client(timeout=httpx.Timeout(30, read=None))
        self._thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self._thread.start()

    def _read(self, url: str, headers: dict[str, str]) -> None:
        try:
            with self._client.stream("GET", url, headers=headers) as answer:
                self.status = answer.status_code
                event, data = "message", []
                for line in answer.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif not line and data:
                        self.events.put((event, json.loads("\n".join(data))))
                        event, data = "message", []
        except httpx.HTTPError:
            pass
        self.events.put(("closed", None))

    def next(self, timeout: float = WAIT) -> tuple[str, Any]:
        return self.events.get(timeout=timeout)

    def close(self) -> None:
        self._client.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_badge_follows_the_inbox_live_and_ends_with_the_session(
    backend: str, tmp_path: Path
) -> None:
    with live_server(backend, tmp_path) as live:
        reader = EventReader(live.base + "/api/v1/messages/stream", live.receiver)
        try:
            assert reader.next() == ("unread", {"unread": 0, "newest": None})
            assert reader.status == 200

            # the open stream holds no database slot: with one slot, other requests still pass
            for _ in range(3):
                assert live.get("/api/v1/messages/inbox", live.receiver).status_code == 200

            body = {
                "title": "降雨预警",
                "body": "请巡查",
                "kind": "warning",
                "audience": {"regions": ["620722104"]},
            }
            assert live.post("/api/v1/messages", live.sender, body).status_code == 201
            event, data = reader.next()
            assert event == "unread"
            assert data["unread"] == 1
            assert data["newest"]["title"] == "降雨预警"
            assert data["newest"]["kind"] == "warning"

            assert (
                live.post("/api/v1/messages/inbox/read-all", live.receiver).json()["changed"] == 1
            )
            assert reader.next() == ("unread", {"unread": 0, "newest": None})

            assert live.post("/api/v1/iam/logout", live.receiver).status_code in (200, 204)
            event, data = reader.next()
            assert event == "end"
            assert data["code"] == "session_revoked"
            assert reader.next()[0] == "closed"
        finally:
            reader.close()


def test_a_stream_needs_a_signed_in_person(tmp_path: Path) -> None:
    with live_server("sqlite", tmp_path) as live:
        answer = httpx.get(live.base + "/api/v1/messages/stream", timeout=10)
        assert answer.status_code == 401
        assert answer.json()["code"] == "unauthenticated"
