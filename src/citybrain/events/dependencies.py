"""Route dependencies of 事件: who may call what, and the events settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from citybrain.core.security import Principal, require, require_any
from citybrain.events.config import EventsSettings, get_events_settings
from citybrain.events.permissions import CHECK, CONFIGURE, DISPATCH, HANDLE, READ, REPORT

Reader = Annotated[Principal, Depends(require_any(READ, REPORT, DISPATCH, HANDLE, CHECK))]
Reporter = Annotated[Principal, Depends(require(REPORT))]
Actor = Annotated[Principal, Depends(require_any(DISPATCH, HANDLE, CHECK))]
Configurer = Annotated[Principal, Depends(require(CONFIGURE))]
Settings = Annotated[EventsSettings, Depends(get_events_settings)]
