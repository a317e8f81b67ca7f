"""The hub store as a FastAPI dependency, built from the app's settings (``app.state``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from citybrain.analytics.hub import HubStore, open_hub


def app_hub(request: Request) -> HubStore:
    """The hub of the app's settings; opened once per app and kept on ``app.state``."""
    state = request.app.state
    store: HubStore | None = getattr(state, "hub_store", None)
    if store is None:
        store = open_hub(state.settings)
        state.hub_store = store
    return store


HubDep = Annotated[HubStore, Depends(app_hub)]
