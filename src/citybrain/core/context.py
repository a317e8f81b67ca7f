"""Who is acting, from where, in which request. It rides on the session (``session.info``),
which is per request or per CLI command, so services and the audit ledger read it without it
being passed around; a context variable would not survive FastAPI's thread-pool hops."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from citybrain.core.config import Settings, get_settings

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


_SETTINGS_KEY = "citybrain.settings"


def set_settings(session: Session, settings: Settings) -> None:
    """The settings of the app serving this session (``create_app(settings)``), so that what
    runs on it — the audit ledger's checkpoints above all — uses that installation's home,
    even when a process serves an app whose settings are not the process's own."""
    session.info[_SETTINGS_KEY] = settings


def settings_of(session: Session) -> Settings:
    """The settings set on ``session``, else the process's."""
    value = session.info.get(_SETTINGS_KEY)
    return value if isinstance(value, Settings) else get_settings()
