"""Refusals that a service raises (a wrong old password, a password the policy rejects) are
recorded although the request fails: the record waits on the session and is written in a
transaction of its own once the caller's transaction has ended, as ``denials.py`` does for
401/403 answers. The service need not know how the request's transaction ends.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from citybrain.core.audit import service
from citybrain.core.context import ActorContext, actor_of, set_actor
from citybrain.core.db import make_session_factory

log = logging.getLogger(__name__)
_PENDING = "citybrain.audit.pending_refusals"
_LISTENING = "citybrain.audit.refusal_listener"


@dataclasses.dataclass(frozen=True, slots=True)
class _Refusal:
    actor: ActorContext
    fields: dict[str, Any]


def record_refusal(
    session: Session,
    *,
    action: str,
    object_type: str = "",
    object_id: str = "",
    region_code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append ``action`` with outcome ``failure`` after the session's transaction ends,
    whether it commits or rolls back, under the actor of this session. Call it right before
    raising the refusal. A failure to write is logged, never raised."""
    pending: list[_Refusal] = session.info.setdefault(_PENDING, [])
    fields = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "region_code": region_code,
        "detail": detail,
    }
    pending.append(_Refusal(actor_of(session), fields))
    if not session.info.get(_LISTENING):  # stays for the session's (short) life: a listener
        session.info[_LISTENING] = True  # cannot be removed while its event is dispatched
        event.listen(session, "after_transaction_end", _write_pending)


def _write_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint of the request, not its transaction
        return
    pending: list[_Refusal] = session.info.pop(_PENDING, [])
    factory = make_session_factory(session.bind)
    for refusal in pending:
        try:
            with factory() as own, own.begin():
                set_actor(own, **dataclasses.asdict(refusal.actor))
                service.record(own, outcome="failure", **refusal.fields)
        except Exception:  # the refusal the caller gets must not turn into a 500
            log.exception("could not record a refusal (%s)", refusal.fields["action"])
