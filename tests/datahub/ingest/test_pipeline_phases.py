"""A phased batch leaves the operational database free while it streams (SQLite, WAL, every
transaction ``BEGIN IMMEDIATE``), and still commits its record when the source is refused.

These tests use their own SQLite file with committed data, whatever database the suite runs
on: the point is SQLite's single write lock, which a rolled-back test transaction would hide.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from test_pipeline_fixtures import (
    person,
    person_id,
    persons_database,
    write_csv,
)

from citybrain.core.config import Settings
from citybrain.core.context import ActorContext
from citybrain.core.db import make_session_factory
from citybrain.datahub.ingest import service
from citybrain.datahub.ingest.errors import BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestQuarantineRow
from citybrain.datahub.ingest.schemas import BatchResult, BatchStatus
from citybrain.datahub.ingest.transactions import Transactions
from hub_testing import fresh_store

CODE = "620722-GA-900001"
ROWS = 5000
ACTOR = ActorContext(actor="cli:test", role="cli", source_ip="local")


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[Engine]:
    """A migrated SQLite file with the regions, 民乐县公安局 and one persons resource."""
    engine = persons_database(tmp_path_factory.mktemp("phases"), settings, code=CODE)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(sqlite_file: Engine) -> sessionmaker[Session]:
    return make_session_factory(sqlite_file)


def _people(path: Path, count: int) -> Path:
    """``count`` persons with distinct ID numbers (1,000 per birth date), one of them faulty."""
    rows = []
    for n in range(count):
        born = dt.date(1985, 3, 7) + dt.timedelta(days=n // 1000)
        rows.append(person(n, 出生日期=born.isoformat(), 公民身份号码=person_id(n, born=born)))
    rows[7] = {**rows[7], "行政区划代码": "999999"}  # an unknown region: quarantined
    return write_csv(path, rows)


def _batch(factory: sessionmaker[Session], batch_id: int) -> IngestBatch:
    with factory() as session:
        batch = session.get(IngestBatch, batch_id)
        assert batch is not None
        return batch


def test_while_a_batch_streams_another_session_writes_without_waiting(
    tmp_path: Path, factory: sessionmaker[Session], sqlite_file: Engine, settings: Settings
) -> None:
    path = _people(tmp_path / "people.csv", ROWS)
    streaming, resume = threading.Event(), threading.Event()
    outcome: dict[str, BatchResult | BaseException] = {}

    def pause_in_phase_b(done: int, total: int | None) -> None:
        if done >= 1000 and not streaming.is_set():
            streaming.set()
            resume.wait(30)

    def ingest() -> None:
        try:
            outcome["result"] = service.ingest_file_phased(
                Transactions.separate(factory, actor=ACTOR),
                resource_code=CODE,
                path=path,
                progress=pause_in_phase_b,
                settings=settings,
                store=fresh_store(tmp_path),
            )
        except BaseException as exc:
            outcome["result"] = exc

    worker = threading.Thread(target=ingest)
    worker.start()
    try:
        assert streaming.wait(30), "the batch never reached phase B"
        with sqlite_file.connect() as probe:
            started = time.perf_counter()
            probe.exec_driver_sql("PRAGMA busy_timeout=2000")  # fail fast instead of 10 s
            probe.commit()
            first = time.perf_counter() - started
            started = time.perf_counter()
            with probe.begin():  # BEGIN IMMEDIATE: the write lock (core/db.py)
                probe.execute(text("UPDATE ingest_batch SET source_kind = source_kind"))
            waited = max(first, time.perf_counter() - started)
            running = probe.execute(
                select(IngestBatch.status).where(IngestBatch.resource_code == CODE)
            ).scalar_one()
    finally:
        resume.set()
        worker.join(60)

    assert waited < 1.0, f"a write waited {waited:.2f} s for the streaming batch"
    assert running == BatchStatus.running  # phase A committed the batch row
    result = outcome["result"]
    assert isinstance(result, BatchResult), result
    assert (result.status, result.row_count) == (BatchStatus.loaded, ROWS)
    assert (result.inserted_rows, result.quarantined_rows) == (ROWS - 1, 1)
    batch = _batch(factory, result.batch_id)
    assert (batch.status, batch.created_by, batch.quarantined_rows) == ("loaded", "cli:test", 1)


def test_a_ragged_row_found_while_streaming_is_recorded_after_the_stream(
    tmp_path: Path, factory: sessionmaker[Session], settings: Settings
) -> None:
    path = _people(tmp_path / "ragged.csv", 3000)
    lines = path.read_text("utf-8").splitlines()
    lines[2500] = ",".join(lines[2500].split(",")[:5])  # line 2501 loses three fields
    path.write_text("\n".join(lines) + "\n", "utf-8")
    store = fresh_store(tmp_path)

    with pytest.raises(BatchRejected) as rejected:
        service.ingest_file_phased(
            Transactions.separate(factory, actor=ACTOR),
            resource_code=CODE,
            path=path,
            settings=settings,
            store=store,
        )

    assert rejected.value.code == "ragged_row"
    assert rejected.value.detail["row"] == 2501
    batch = _batch(factory, rejected.value.batch_id)  # committed, seen from a new session
    assert (batch.status, batch.error_code, batch.error_row) == ("rejected", "ragged_row", 2501)
    with factory() as session:
        quarantined = session.execute(
            select(IngestQuarantineRow).where(IngestQuarantineRow.batch_id == batch.id)
        ).first()
    assert quarantined is None
    assert store.count(CODE) == 0


def test_the_same_file_again_is_a_committed_duplicate(
    tmp_path: Path, factory: sessionmaker[Session], settings: Settings
) -> None:
    path = _people(tmp_path / "twice.csv", 10)
    store = fresh_store(tmp_path)

    def load() -> BatchResult:
        return service.ingest_file_phased(
            Transactions.separate(factory, actor=ACTOR),
            resource_code=CODE,
            path=path,
            settings=settings,
            store=store,
        )

    first, second = load(), load()

    assert first.status is BatchStatus.loaded
    assert (second.status, second.duplicate_of) == (BatchStatus.duplicate, first.batch_id)
    assert _batch(factory, second.batch_id).status == "duplicate"
