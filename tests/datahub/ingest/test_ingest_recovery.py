"""Crash recovery: a batch whose process died in any phase is reconciled (nothing stays
``running``): settled ``loaded`` with its audit record when the hub merge had committed,
``failed`` with the hub unchanged otherwise; a settled batch is left alone.

A crash is a BaseException that no ``except Exception`` in the runner catches, raised at the
point where the process would die. Like ``test_pipeline_phases`` this uses its own SQLite
file with committed data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from test_pipeline_fixtures import (
    person,
    person_id,
    persons_database,
    write_csv,
)

from citybrain.analytics.hub import HubStore
from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import ActorContext, set_actor
from citybrain.core.db import make_session_factory
from citybrain.core.jobs import runs
from citybrain.core.scope import Scope
from citybrain.datahub.ingest import recovery, runner, service
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.ingest.schemas import BatchStatus
from citybrain.datahub.ingest.tasks import BATCH_JOB
from citybrain.datahub.ingest.transactions import Transactions
from hub_testing import fresh_store, hub_settings

CODE = "620722-GA-900002"
ACTOR = ActorContext(actor="cli:test", role="cli", source_ip="local")
LATER = dt.timedelta(hours=3)  # past recovery.STALE_AFTER


class Killed(BaseException):
    """The process dies here."""


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Iterator[Engine]:
    engine = persons_database(tmp_path_factory.mktemp("recovery"), settings, code=CODE)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(sqlite_file: Engine) -> sessionmaker[Session]:
    return make_session_factory(sqlite_file)


@pytest.fixture
def store(tmp_path: Path) -> HubStore:
    return fresh_store(tmp_path)


def _ingest(
    factory: sessionmaker[Session], store: HubStore, settings: Settings, path: Path
) -> None:
    service.ingest_file_phased(
        Transactions.separate(factory, actor=ACTOR),
        resource_code=CODE,
        path=path,
        settings=settings,
        store=store,
    )


def _people(path: Path, count: int, first: int = 0) -> Path:
    born = dt.date(1990, 5, 1)
    rows = [person(n, 出生日期=born.isoformat(), 公民身份号码=person_id(n, born=born)) for n in
            range(first, first + count)]  # fmt: skip
    return write_csv(path, rows)


def _running(factory: sessionmaker[Session]) -> list[IngestBatch]:
    with factory() as session:
        return list(
            session.execute(
                select(IngestBatch).where(
                    IngestBatch.resource_code == CODE, IngestBatch.status == "running"
                )
            ).scalars()
        )


def _recover_audit(factory: sessionmaker[Session], batch_id: int) -> AuditRecord | None:
    with factory() as session:
        return session.execute(
            select(AuditRecord).where(
                AuditRecord.action == "ingest.batch.recover", AuditRecord.object_id == str(batch_id)
            )
        ).scalar_one_or_none()


def _reconcile(factory: sessionmaker[Session], store: HubStore) -> list[recovery.Reconciled]:
    return recovery.reconcile_interrupted(
        factory, store=store, batch_job=BATCH_JOB, now=utcnow() + LATER
    )


def _crash(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def die(*args: object, **kwargs: object) -> None:
        raise Killed(name)

    monkeypatch.setattr(runner, name, die)


def test_died_after_prepare_is_failed_and_hub_unchanged(
    tmp_path: Path, factory: sessionmaker[Session], store: HubStore, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _crash(monkeypatch, "_load")  # phase A committed the running batch, then the process died
    with pytest.raises(Killed):
        _ingest(factory, store, settings, _people(tmp_path / "a.csv", 20))
    (batch,) = _running(factory)
    monkeypatch.undo()

    assert recovery.reconcile_interrupted(factory, store=store, batch_job=BATCH_JOB) == []
    (done,) = _reconcile(factory, store)  # only once it is certainly dead

    assert (done.batch_id, done.status, done.rows_written) == (batch.id, BatchStatus.failed, 0)
    assert _running(factory) == []
    with factory() as session:
        settled = session.get(IngestBatch, batch.id)
        assert settled is not None
        assert (settled.status, settled.error_code) == ("failed", "ingest_interrupted")
    assert store.count(CODE) == 0
    audit = _recover_audit(factory, batch.id)
    assert audit is not None
    assert audit.outcome == "failure"
    assert _reconcile(factory, store) == []  # once


def test_died_while_streaming_before_the_merge_is_rolled_back(
    tmp_path: Path, factory: sessionmaker[Session], store: HubStore, settings: Settings
) -> None:
    path = _people(tmp_path / "b.csv", 50, first=100)

    def die_midway(done: int, total: int | None) -> None:
        raise Killed("phase B")

    with pytest.raises(Killed):
        service.ingest_file_phased(
            Transactions.separate(factory, actor=ACTOR),
            resource_code=CODE,
            path=path,
            progress=die_midway,
            settings=settings,
            store=store,
        )
    (batch,) = _running(factory)

    (done,) = _reconcile(factory, store)

    assert (done.batch_id, done.status) == (batch.id, BatchStatus.failed)
    assert store.count(CODE) == 0  # nothing had been merged


def test_died_after_the_merge_is_settled_loaded_with_its_audit_record(
    tmp_path: Path, factory: sessionmaker[Session], store: HubStore, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _crash(monkeypatch, "_settle")  # the hub merge committed; phase C never ran
    with pytest.raises(Killed):
        _ingest(factory, store, settings, _people(tmp_path / "c.csv", 30, first=200))
    monkeypatch.undo()
    (batch,) = _running(factory)
    assert store.count(CODE) == 30

    (done,) = _reconcile(factory, store)

    assert (done.batch_id, done.status, done.rows_written) == (batch.id, BatchStatus.loaded, 30)
    with factory() as session:
        settled = session.get(IngestBatch, batch.id)
        assert settled is not None
        assert (settled.status, settled.inserted_rows) == ("loaded", 30)
        assert settled.finished_at is not None
    audit = _recover_audit(factory, batch.id)
    assert audit is not None
    assert audit.outcome == "success"
    assert '"merged": true' in audit.detail


def test_a_settled_batch_and_a_live_upload_are_left_alone(
    tmp_path: Path, factory: sessionmaker[Session], store: HubStore, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    _ingest(factory, store, settings, _people(tmp_path / "d.csv", 10, first=300))  # phase C done
    _crash(monkeypatch, "_load")
    with pytest.raises(Killed):
        _ingest(factory, store, settings, _people(tmp_path / "e.csv", 10, first=400))
    monkeypatch.undo()
    (batch,) = _running(factory)
    # as if an upload job were running this batch right now (started within the hour)
    run_id = runs.create(factory, job=BATCH_JOB, key=f"batch:{batch.id}")
    assert run_id is not None
    runs.claim(factory, run_id, worker="alive:1")

    assert recovery.reconcile_interrupted(factory, store=store, batch_job=BATCH_JOB) == []
    assert [b.id for b in _running(factory)] == [batch.id]

    runs.finish(factory, run_id, outcome=runs.Outcome.failed, error="进程中断")  # it died
    (done,) = recovery.reconcile_interrupted(factory, store=store, batch_job=BATCH_JOB)
    assert done.batch_id == batch.id
    with factory() as session:
        loaded = session.execute(
            select(IngestBatch.status).where(IngestBatch.resource_code == CODE)
        ).scalars()
        assert "running" not in set(loaded)


def test_a_batch_job_delivered_while_another_runs_it_leaves_it_alone(
    tmp_path: Path, factory: sessionmaker[Session], store: HubStore, settings: Settings
) -> None:
    from citybrain.datahub.ingest import tasks

    home = hub_settings(settings, tmp_path)
    upload = service.upload_folder(home) / "streamed.part"  # as the upload route leaves it
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(_people(tmp_path / "f.csv", 5, first=500).read_bytes())
    with factory() as session, session.begin():
        set_actor(session, actor="web:analyst", role="analyst")
        batch_id = service.queue_upload(
            session, resource_code=CODE, filename="f.csv", upload=upload,
            scope=Scope.system(), settings=home,
        ).id  # fmt: skip
        session.get_one(IngestBatch, batch_id).status = "running"  # another worker took it

    assert tasks.run_batch_job(factory, batch_id, settings=home, store=store) is None
    with factory() as session:
        assert session.get_one(IngestBatch, batch_id).status == "running"  # not failed
    with factory() as session, session.begin():  # leave the module's file tidy for the others
        session.get_one(IngestBatch, batch_id).status = "failed"
