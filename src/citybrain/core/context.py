"""Who is acting, from where, in which request. It rides on the session (``session.info``),
which is per request or per CLI command, so services and the audit ledger read it without it
being passed around; a context variable would not survive FastAPI's thread-pool hops."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

_KEY = "citybrain.actor"


@dataclass(frozen=True, slots=True)
class ActorContext:
    actor: str = "anonymous"
    role: str = ""
    region_code: str = ""
    source_ip: str = ""
    request_id: str = ""


def actor_of(session: Session) -> ActorContext:
    context = session.info.get(_KEY)
    return context if isinstance(context, ActorContext) else ActorContext()


def set_actor(session: Session, **changes: str) -> ActorContext:
    context = replace(actor_of(session), **changes)
    session.info[_KEY] = context
    return context
