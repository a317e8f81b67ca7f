"""The audit record of a read, appended beside the read instead of inside it.

A read of personal data (a person's profile) must leave its record before the data leaves the
server (等保: reads of personal information are audited), but inside the request's own
transaction it made every such GET a writer: on SQLite the read upgraded to the write lock,
on PostgreSQL it locked the ledger's head row, and either held it for the rest of the request,
across its remaining hops to the worker-thread pool, so concurrent profile reads queued behind
one another. Here the record is appended in a short transaction of its own, committed before
:func:`record_read` returns, so the answer still leaves only once its record is in the ledger;
reads that arrive while one such transaction is writing are appended together in the next one
(group commit: one head lock and one commit for the lot). The chain is the same as ever:
:func:`citybrain.core.audit.service.append_rows` links each record to the one before, in
order.

If the append fails, every read of its group fails with the error (the data is not served);
if a read fails after its record was appended, the ledger holds a read that was not answered —
the safe side.
"""

from __future__ import annotations

import threading
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.audit import service
from citybrain.core.context import set_settings, settings_of
from citybrain.core.db import writer_of


class _Ticket:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = False
        self.error: BaseException | None = None


class _Group:
    """Reads waiting for their records, and whether a transaction is writing some now."""

    def __init__(self) -> None:
        self.ready = threading.Condition()
        self.pending: list[tuple[service.Draft, _Ticket]] = []
        self.writing = False


_groups: WeakKeyDictionary[sessionmaker[Session], _Group] = WeakKeyDictionary()
_groups_lock = threading.Lock()


def _group(factory: sessionmaker[Session]) -> _Group:
    with _groups_lock:
        group = _groups.get(factory)
        if group is None:
            group = _groups[factory] = _Group()
        return group


def record_read(session: Session, **fields: Any) -> None:
    """Append the record of a read (the arguments of :func:`service.record`) and return once
    it is committed. On a session that offers no writer (a CLI command, a job, a writing
    request) it is appended in the session's own transaction, as :func:`service.record`."""
    factory = writer_of(session)
    if factory is None:
        service.record(session, **fields)
        return
    append_committed(factory, service.draft(session, **fields), settings=settings_of(session))


def append_committed(factory: sessionmaker[Session], draft: service.Draft, **context: Any) -> None:
    """Append ``draft`` through ``factory``, grouped with the drafts of other threads that
    arrive meanwhile; return when its transaction has committed, raise if it failed."""
    group, ticket = _group(factory), _Ticket()
    with group.ready:
        group.pending.append((draft, ticket))
        while not ticket.done and group.writing:
            group.ready.wait()
        if ticket.done:
            batch: list[tuple[service.Draft, _Ticket]] = []
        else:  # nobody writing: this thread writes what has gathered, its own draft included
            batch, group.pending, group.writing = group.pending, [], True
    if batch:
        error: BaseException | None = None
        try:
            with factory() as writer, writer.begin():
                if "settings" in context:
                    set_settings(writer, context["settings"])  # where checkpoints go
                service.append_rows(writer, [d for d, _ in batch])
        except BaseException as exc:  # handed to every read of the group below
            error = exc
        with group.ready:
            for _, waiting in batch:
                waiting.done, waiting.error = True, error
            group.writing = False
            group.ready.notify_all()
    if ticket.error is not None:
        raise ticket.error
