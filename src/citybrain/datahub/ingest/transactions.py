"""Where the short transactions of a batch run.

A batch touches the operational database in two short transactions (before and after the
long, session-free load; see ``runner``). On SQLite every transaction takes the write lock
(``BEGIN IMMEDIATE``), so holding one open across the load would block every web request.

- :meth:`Transactions.separate` opens each phase in its own session and transaction from a
  session factory, committed when the phase ends (the web job, the CLI, the scheduler). The
  actor set while preparing the batch is carried into the later phase, so the audit records
  name the same actor.
- :meth:`Transactions.joined` runs every phase in one session the caller owns (tests, the
  demo, a request that resubmits a few rows): nothing is committed here, and the write lock
  is held for the whole batch, as the caller asked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.context import ActorContext, actor_of, set_actor


class Transactions:
    """Opens the session of one phase; see the module doc."""

    def __init__(
        self,
        opener: Callable[[], AbstractContextManager[Session]],
        *,
        actor: ActorContext | None = None,
    ) -> None:
        self._opener = opener
        self.actor = actor

    @classmethod
    def joined(cls, session: Session) -> Transactions:
        """Every phase in ``session``; the caller commits or rolls back."""
        return cls(lambda: nullcontext(session))

    @classmethod
    def separate(
        cls, factory: sessionmaker[Session], *, actor: ActorContext | None = None
    ) -> Transactions:
        """Each phase in its own transaction from ``factory``, committed when the phase ends
        and rolled back if it raises."""

        @contextmanager
        def opener() -> Iterator[Session]:
            with factory() as session, session.begin():
                yield session

        return cls(opener, actor=actor)

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        """One phase: a session acting as :attr:`actor` (when set); whatever actor the phase
        sets is remembered for the next one."""
        with self._opener() as session:
            if self.actor is not None:
                set_actor(session, **dataclasses.asdict(self.actor))
            yield session
            self.actor = actor_of(session)
