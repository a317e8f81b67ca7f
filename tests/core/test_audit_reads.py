"""The audit of a read, appended beside the read (core/audit/reads.py): committed before the
read answers, grouped with the reads that arrive meanwhile, chained like every record, and a
failed append fails every read of its group. Threads are coordinated with events, never
with sleeps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from citybrain.core.audit import reads, service
from citybrain.core.audit.models import AuditRecord
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory, offer_writer

ACTION = "test.read"


def _records(session: Session) -> list[AuditRecord]:
    session.expire_all()
    return list(
        session.execute(
            select(AuditRecord).where(AuditRecord.action == ACTION).order_by(AuditRecord.seq)
        ).scalars()
    )


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert time.monotonic() < deadline, "the threads never got there"
        time.sleep(0.005)


class _GatedAppend:
    """Wraps ``service.append_rows``: the first call waits for ``gate``; ``fail_call`` raises."""

    def __init__(self, fail_call: int | None = None) -> None:
        self.sizes: list[int] = []
        self.gate = threading.Event()
        self.fail_call = fail_call
        self.original = service.append_rows

    def __call__(self, session: Session, drafts: Sequence[service.Draft]) -> int:
        self.sizes.append(len(drafts))
        if len(self.sizes) == 1:
            self.gate.wait(20)
        if len(self.sizes) == self.fail_call:
            raise OperationalError("INSERT", None, Exception("database is locked"))
        return self.original(session, drafts)


def _read_in_threads(
    connection: Connection, session: Session, gated: _GatedAppend, n: int
) -> list[BaseException | None]:
    """One read appends and is held inside its transaction; ``n - 1`` more arrive meanwhile."""
    factory = make_session_factory(connection)
    group = reads._group(factory)
    outcomes: list[BaseException | None] = [None] * n

    def read(i: int) -> None:
        try:
            reads.append_committed(factory, service.draft(session, action=ACTION, object_id=str(i)))
        except BaseException as exc:  # the test inspects it
            outcomes[i] = exc

    first = threading.Thread(target=read, args=(0,))
    first.start()
    _until(lambda: gated.sizes == [1])
    others = [threading.Thread(target=read, args=(i,)) for i in range(1, n)]
    for thread in others:
        thread.start()
    _until(lambda: len(group.pending) == n - 1)
    gated.gate.set()
    for thread in (first, *others):
        thread.join(20)
    return outcomes


def test_reads_arriving_during_an_append_are_appended_together(
    connection: Connection, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated = _GatedAppend()
    monkeypatch.setattr(service, "append_rows", gated)
    outcomes = _read_in_threads(connection, session, gated, 5)
    assert outcomes == [None] * 5
    assert gated.sizes == [1, 4]  # two transactions for five reads
    records = _records(session)
    assert records[0].object_id == "0"
    assert sorted(r.object_id for r in records[1:]) == ["1", "2", "3", "4"]
    assert [r.seq for r in records] == list(range(records[0].seq, records[0].seq + 5))
    verdict = service.verify(session)
    assert verdict.ok, verdict.message


def test_a_failed_append_fails_every_read_of_its_group(
    connection: Connection, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    gated = _GatedAppend(fail_call=2)
    monkeypatch.setattr(service, "append_rows", gated)
    outcomes = _read_in_threads(connection, session, gated, 4)
    assert outcomes[0] is None
    assert all(isinstance(o, OperationalError) for o in outcomes[1:])
    assert [r.object_id for r in _records(session)] == ["0"]
    assert service.verify(session).ok


def test_a_read_appends_beside_its_session_and_names_its_actor(
    connection: Connection, session: Session
) -> None:
    reader = make_session_factory(connection)()
    offer_writer(reader, make_session_factory(connection))
    set_actor(reader, actor="阅读者", role="analyst", region_code="620722", request_id="r-1")
    reads.record_read(reader, action=ACTION, object_type="thing", object_id="7")
    assert not reader.new  # nothing waits in the reader's own transaction
    (record,) = _records(session)
    assert (record.actor, record.role, record.request_id, record.object_id) == (
        "阅读者",
        "analyst",
        "r-1",
        "7",
    )
    reader.close()


def test_without_a_writer_the_read_is_appended_in_the_callers_transaction(
    session: Session,
) -> None:
    nested = session.begin_nested()
    reads.record_read(session, action=ACTION, object_type="thing", object_id="8")
    assert [r.object_id for r in _records(session)] == ["8"]
    nested.rollback()  # the caller's transaction fails: its read leaves no record
    assert _records(session) == []


def test_rows_appended_beside_and_records_appended_inside_make_one_chain(
    connection: Connection, session: Session
) -> None:
    set_actor(session, actor="甲", role="analyst", region_code="620722", request_id="r-2")
    inside = service.record(session, action=ACTION, object_id="in", detail={"n": 1})
    service.append_rows(session, [service.draft(session, action=ACTION, object_id="beside")])
    service.record(session, action=ACTION, object_id="in-again")
    records = _records(session)
    assert [r.object_id for r in records] == ["in", "beside", "in-again"]
    assert [r.seq for r in records] == [inside.seq, inside.seq + 1, inside.seq + 2]
    beside = records[1]
    assert (beside.actor, beside.role, beside.region_code, beside.request_id) == (
        "甲",
        "analyst",
        "620722",
        "r-2",
    )
    assert beside.prev_mac == inside.mac
    verdict = service.verify(session)
    assert verdict.ok, verdict.message
