"""Dependencies of the message routes: the inbox owner (a signed-in person, never an API key)
and the session whose deliveries go to the serving app's job system."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from citybrain.core.errors import PermissionDenied
from citybrain.core.security import CurrentPrincipal, Principal, require
from citybrain.core.web import DbSession, after_transaction
from citybrain.messages import tasks
from citybrain.messages.config import MessagesSettings, get_messages_settings
from citybrain.messages.permissions import ADMIN, SEND


def inbox_owner(principal: CurrentPrincipal) -> Principal:
    """The signed-in person whose inbox this is. A department system's API key has no inbox
    (403 ``inbox_users_only``)."""
    if principal.kind != "user":
        raise PermissionDenied("消息收件箱只对用户账号开放", code="inbox_users_only")
    return principal


InboxOwner = Annotated[Principal, Depends(inbox_owner)]
Sender = Annotated[Principal, Depends(require(SEND))]
Administrator = Annotated[Principal, Depends(require(ADMIN))]


def bound_session(request: Request, session: DbSession) -> Session:
    """The request's session, its deliveries queued on the app's job system after commit."""
    jobs = getattr(request.app.state, "jobs", None)
    if jobs is not None:
        tasks.bind(session, jobs)
    return session


MessagesSession = Annotated[Session, Depends(bound_session)]


def request_done(session: DbSession) -> threading.Event:
    """Set once the request's own transaction has ended (its commit, the session touch). A
    streaming route starts producing before that (FastAPI runs the generator at once): it waits
    for this before its first database call, so the two never overlap."""
    done = threading.Event()
    after_transaction(session, done.set)
    return done


RequestDone = Annotated[threading.Event, Depends(request_done)]


def messages_settings() -> MessagesSettings:
    return get_messages_settings()


Config = Annotated[MessagesSettings, Depends(messages_settings)]
