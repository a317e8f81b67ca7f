"""Per-request plumbing: the unit-of-work session and the request's actor context."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from citybrain.core.config import Settings, get_settings
from citybrain.core.context import set_actor


def request_session(request: Request) -> Iterator[Session]:
    """One request, one transaction: committed when the handler returns, rolled back on error."""
    factory = request.app.state.session_factory
    with factory() as session, session.begin():
        set_actor(
            session,
            source_ip=request.client.host if request.client else "",
            request_id=request.headers.get("X-Request-ID") or uuid.uuid4().hex,
        )
        yield session


# scope="function": commit before the response is sent, so a client never sees 200 for a change
# that then fails to commit, and its next request always sees the change.
DbSession = Annotated[Session, Depends(request_session, scope="function")]


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (``create_app(settings)``), so that a test or a
    second app in one process works in its own home and hub; the process settings otherwise."""
    value = getattr(request.app.state, "settings", None)
    return value if isinstance(value, Settings) else get_settings()


AppSettings = Annotated[Settings, Depends(app_settings)]
