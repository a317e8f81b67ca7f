from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.domain_events import DomainEvent


def test_events_are_delivered_after_commit_only(engine: Engine) -> None:
    seen: list[DomainEvent] = []
    domain_events.subscribe("test.committed", seen.append)
    with Session(engine) as session:
        with session.begin():
            domain_events.publish(session, "test.committed", n=1)
            assert seen == []  # not before commit
        assert seen == [DomainEvent("test.committed", {"n": 1})]
        with session.begin():
            domain_events.publish(session, "test.committed", n=2)
            session.rollback()
    assert [event.payload["n"] for event in seen] == [1]


def test_a_failing_subscriber_does_not_break_the_commit(engine: Engine) -> None:
    def explode(_: DomainEvent) -> None:
        raise RuntimeError("boom")

    seen: list[DomainEvent] = []
    domain_events.subscribe("test.failing", explode)
    domain_events.subscribe("test.failing", seen.append)
    with Session(engine) as session, session.begin():
        domain_events.publish(session, "test.failing")
    assert len(seen) == 1
