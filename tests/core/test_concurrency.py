"""Many clients at once against a real server (uvicorn in a thread on a free port, a real SQLite
file or PostgreSQL schema, not the savepoint harness): nobody waits out a lock timeout, a read
takes no write lock, the session touch stays out of the request's transaction, and a full house
answers a clean 503 while ``/api/health`` keeps answering."""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.audit.config import get_audit_settings
from citybrain.core.clock import frozen
from citybrain.core.config import Settings
from citybrain.core.db import make_engine, make_session_factory, pool_options
from citybrain.core.security import CurrentPrincipal
from citybrain.core.web import DbSession
from citybrain.iam import service as iam_service
from citybrain.iam import sessions
from citybrain.iam.models import LoginSession
from citybrain.regions.models import Region

CLIENTS = 60  # more than anyio's 40 worker threads: the number that used to lock up
COUNTY = "620722"
PG_URL = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")


@dataclass
class Live:
    base: str
    token: str
    engine: Engine
    factory: sessionmaker[Session]
    app: FastAPI

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, timeout: float = 60) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=self.headers, timeout=timeout)


@pytest.fixture(autouse=True)
def _own_checkpoint_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each live server has a database of its own, so its audit checkpoints must not land in
    the suite's shared file (the ledger anchors with the process settings)."""
    monkeypatch.setenv("CITYBRAIN_AUDIT_CHECKPOINT_FILE", str(tmp_path / "checkpoints.jsonl"))
    get_audit_settings.cache_clear()
    yield
    monkeypatch.delenv("CITYBRAIN_AUDIT_CHECKPOINT_FILE")
    get_audit_settings.cache_clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(factory: sessionmaker[Session]) -> str:
    """The county with two towns, a viewer of the county, and a live session token for it."""
    with factory() as session, session.begin():
        session.add(Region(code=COUNTY, name="民乐县", level="county"))
        session.flush()
        for n in (1, 2):
            town = Region(code=f"{COUNTY}10{n}", name=f"镇{n}", level="town", parent_code=COUNTY)
            session.add(town)
        user = iam_service.create_user(
            session,
            username=f"live{uuid.uuid4().hex[:8]}",
            password="Cb-test-2024!pass",
            region_code=COUNTY,
            roles=["viewer"],
            must_change_password=False,
        )
        session.flush()
        _, token = sessions.start(session, user_id=user.id)
    return token


@contextmanager
def _database(backend: str, home: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """A migrated, empty database of its own: (url, extra engine arguments)."""
    if backend == "sqlite":
        yield f"sqlite:///{home / 'live.db'}", {}
        return
    schema = f"cblive_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        options = f"-csearch_path={schema} -capplication_name={schema}"
        yield PG_URL, {"connect_args": {"options": options}}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def _serve(app: FastAPI) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, name="live-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "server died on start"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


@contextmanager
def live_server(
    backend: str,
    home: Path,
    *,
    extend: Callable[[FastAPI], None] | None = None,
    pool_timeout: float = 5.0,
    **settings: object,
) -> Iterator[Live]:
    from citybrain.app import create_app
    from citybrain.core.migrate import upgrade

    with _database(backend, home) as (url, extra):
        config = Settings(home=home, database_url=url, **settings)  # type: ignore[arg-type]
        pool = pool_options(url, size=config.db_slots, timeout=pool_timeout)
        engine = make_engine(url, **extra, **pool)
        upgrade(engine)
        factory = make_session_factory(engine)
        token = _seed(factory)
        app = create_app(config, engine=engine)
        if extend is not None:
            extend(app)
        try:
            with _serve(app) as base:
                yield Live(base=base, token=token, engine=engine, factory=factory, app=app)
        finally:
            engine.dispose()


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="needs PostgreSQL"),
    ),
]


def _first_route(app: FastAPI, path: str, handler: Callable[..., object], method: str) -> None:
    """Add a route ahead of the front end's catch-all."""
    app.add_api_route(path, handler, methods=[method])
    app.router.routes.insert(0, app.router.routes.pop())


@pytest.mark.parametrize("backend", BACKENDS)
def test_sixty_concurrent_reads_with_a_token_all_answer_200(backend: str, tmp_path: Path) -> None:
    with live_server(backend, tmp_path) as live:
        start = threading.Barrier(CLIENTS)

        def one(_: int) -> tuple[int, str]:
            start.wait()
            answer = live.get(f"/api/v1/regions/{COUNTY}/children")
            return answer.status_code, answer.text[:200]

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(one, range(CLIENTS)))
        left_open = _idle_in_transaction(live) if backend == "postgresql" else 0
    assert left_open == 0, "connections left idle in transaction"
    failures = [r for r in results if r[0] != 200]
    assert not failures, f"{len(failures)} of {CLIENTS} failed, e.g. {failures[:3]}"
    assert all(f"{COUNTY}101" in body for _, body in results)


def _idle_in_transaction(live: Live) -> int:
    """This server's PostgreSQL connections still inside a transaction after its answers."""
    with live.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"
                    " AND application_name = current_setting('application_name')"
                    " AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )


def _writer_can_begin(engine: Engine) -> bool:
    """Whether another connection gets SQLite's write lock at once (no waiting)."""
    raw = engine.raw_connection()
    try:
        raw.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]
        try:
            raw.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return False
        raw.execute("ROLLBACK")  # type: ignore[attr-defined]
        return True
    finally:
        raw.execute("PRAGMA busy_timeout=10000")  # type: ignore[attr-defined]
        raw.close()


def test_a_read_request_holds_no_write_lock_while_a_write_request_does(tmp_path: Path) -> None:
    """A route parks mid-transaction (after the session check and a query) until the test has
    tried to take the write lock from a second connection."""
    inside = threading.Event()
    release = threading.Event()

    def park(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
        count = session.execute(text("SELECT count(*) FROM region")).scalar_one()
        inside.set()
        release.wait(20)
        return {"regions": int(count)}

    def extend(app: FastAPI) -> None:
        _first_route(app, "/api/test/park", park, "GET")
        _first_route(app, "/api/test/park", park, "POST")

    with live_server("sqlite", tmp_path, extend=extend) as live, ThreadPoolExecutor(1) as pool:
        verdicts = {}
        for method in ("GET", "POST"):
            inside.clear()
            release.clear()
            answer = pool.submit(
                httpx.request, method, f"{live.base}/api/test/park", headers=live.headers
            )
            assert inside.wait(20), answer.result().text
            verdicts[method] = _writer_can_begin(live.engine)
            release.set()
            assert answer.result().status_code == 200
    assert verdicts == {"GET": True, "POST": False}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("append", ["in_the_read", "beside_the_read"])
def test_concurrent_reads_that_append_to_the_audit_ledger_all_commit(
    backend: str, append: str, tmp_path: Path
) -> None:
    """A GET that writes (the audit of a read of personal data) upgrades to a writer without
    SQLITE_BUSY_SNAPSHOT and without a deadlock; appended beside the read instead (grouped
    in short transactions of their own, core/audit/reads.py) every record lands too; either
    way the chain stays whole."""
    from citybrain.core.audit import reads
    from citybrain.core.audit import service as audit

    record = audit.record if append == "in_the_read" else reads.record_read

    def audited_read(session: DbSession, principal: CurrentPrincipal) -> dict[str, int]:
        count = session.execute(text("SELECT count(*) FROM region")).scalar_one()
        record(session, action="test.read", object_type="region", object_id=COUNTY)
        return {"regions": int(count)}

    def extend(app: FastAPI) -> None:
        _first_route(app, "/api/test/audited-read", audited_read, "GET")

    with live_server(backend, tmp_path, extend=extend) as live:
        start = threading.Barrier(CLIENTS)

        def one(_: int) -> int:
            start.wait()
            return live.get("/api/test/audited-read").status_code

        with ThreadPoolExecutor(CLIENTS) as pool:
            codes = list(pool.map(one, range(CLIENTS)))
        with live.factory() as session:
            appended = session.execute(
                text("SELECT count(*) FROM audit_record WHERE action = 'test.read'")
            ).scalar_one()
            verdict = audit.verify(session)
    assert codes == [200] * CLIENTS
    assert appended == CLIENTS
    assert verdict.ok, verdict.message


def _last_seen(live: Live) -> datetime:
    with live.factory() as session:
        row = session.execute(select(LoginSession)).scalar_one()
        return row.last_seen_at


def test_last_seen_at_is_written_at_most_once_a_minute_and_never_waits(tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    with frozen(start) as clock, live_server("sqlite", tmp_path) as live:
        seen = [_last_seen(live)]
        for seconds in (30, 29, 2, 30):  # at +30, +59, +61, +91
            clock.advance(seconds=seconds)
            assert live.get("/api/v1/iam/me").status_code == 200
            seen.append(_last_seen(live))
        assert seen == [start, start, start, start + timedelta(seconds=61), seen[3]]

        # Another writer holds SQLite's write lock: the touch is skipped, the answer is not held.
        clock.advance(seconds=60)
        blocker = live.engine.raw_connection()
        try:
            blocker.execute("BEGIN IMMEDIATE")  # type: ignore[attr-defined]
            # a touch that waited out the 10 s busy timeout would time this request out
            answer = live.get("/api/v1/iam/me", timeout=8)
            blocker.execute("ROLLBACK")  # type: ignore[attr-defined]
        finally:
            blocker.close()
        assert answer.status_code == 200
        assert _last_seen(live) == start + timedelta(seconds=61)
        assert live.get("/api/v1/iam/me").status_code == 200
        assert _last_seen(live) == start + timedelta(seconds=151)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_full_house_answers_503_and_health_keeps_answering(backend: str, tmp_path: Path) -> None:
    """Two database slots, a 0.3 s wait, and thirty clients on a route that holds its slot for
    half a second: the ones that find no slot get a clean 503, none a 500 or a hang; health
    answers during and after; and afterwards everything answers normally at once."""
    release = threading.Event()

    def slow(session: DbSession, principal: CurrentPrincipal) -> dict[str, bool]:
        session.execute(text("SELECT count(*) FROM region")).scalar_one()
        return {"released": release.wait(0.5)}

    def extend(app: FastAPI) -> None:
        _first_route(app, "/api/test/slow", slow, "GET")

    with live_server(backend, tmp_path, extend=extend, db_slots=2, db_wait_seconds=0.3) as live:
        with ThreadPoolExecutor(30) as pool:
            burst = [pool.submit(live.get, "/api/test/slow") for _ in range(30)]
            time.sleep(0.2)
            during = httpx.get(f"{live.base}/api/health", timeout=5)
            answers = [f.result() for f in burst]
        after = httpx.get(f"{live.base}/api/health", timeout=5)
        normal = live.get(f"/api/v1/regions/{COUNTY}/children", timeout=5)
    codes = sorted({a.status_code for a in answers})
    assert codes == [200, 503]
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.json()["code"] == "server_busy"
    assert busy.headers["Retry-After"] == "1"
    assert during.status_code == 200
    assert after.status_code == 200
    assert normal.status_code == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_exhausted_pool_answers_503_at_once_and_recovers(backend: str, tmp_path: Path) -> None:
    """Every pooled connection taken (as a leak would): a request gets a clean 503 after the
    short pool timeout instead of hanging, and once they are back everything answers again."""
    with live_server(backend, tmp_path, db_slots=2, pool_timeout=0.5) as live:
        taken = [live.engine.connect() for _ in range(2 + 8)]  # slots + overflow
        try:
            # without the short pool timeout this would hang for 30 s and time out
            starved = live.get(f"/api/v1/regions/{COUNTY}/children", timeout=10)
        finally:
            for conn in taken:
                conn.close()
        health = httpx.get(f"{live.base}/api/health", timeout=5)
        normal = live.get(f"/api/v1/regions/{COUNTY}/children", timeout=5)
    assert starved.status_code == 503
    assert starved.json()["code"] == "database_busy"
    assert health.status_code == 200
    assert normal.status_code == 200
