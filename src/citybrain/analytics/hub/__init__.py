"""The hub store: one table per catalog resource where ingested department data lands, read by
indicators, master data, sharing, open-data downloads and boards.

Two implementations behind one :class:`~citybrain.analytics.hub.store.HubStore` protocol:
:class:`~citybrain.analytics.hub.duck.DuckHubStore` (a DuckDB file under ``CITYBRAIN_HOME``,
the default) and :class:`~citybrain.analytics.hub.pg.PgHubStore` (a PostgreSQL schema, when
``CITYBRAIN_HUB_URL`` is a ``postgresql+psycopg://`` URL). :func:`open_hub` builds the one the
settings name; nothing is process-wide: routes get it through ``HubDep``
(:mod:`citybrain.analytics.hub.deps`, built from the app's settings), jobs and commands call
``open_hub(settings)``.
"""

from __future__ import annotations

from pathlib import Path

from citybrain.analytics.hub.common import (
    HUB_TYPES,
    SYSTEM_COLUMNS,
    HubColumn,
    HubTableSpec,
    MergeResult,
    quote,
    table_name,
)
from citybrain.analytics.hub.duck import HUB_FILE_NAME, DuckHubStore
from citybrain.analytics.hub.store import Backend, HubStore, Staging
from citybrain.core.config import Settings

__all__ = [
    "HUB_FILE_NAME",
    "HUB_TYPES",
    "SYSTEM_COLUMNS",
    "Backend",
    "DuckHubStore",
    "HubColumn",
    "HubStore",
    "HubTableSpec",
    "MergeResult",
    "Staging",
    "hub_path",
    "open_hub",
    "quote",
    "table_name",
]


def hub_path(settings: Settings) -> Path:
    """Where the DuckDB hub file lives: ``<home>/hub.duckdb`` (used when ``hub_url`` is empty)."""
    return settings.home / HUB_FILE_NAME


def open_hub(settings: Settings) -> HubStore:
    """The hub store ``settings`` name (cheap: nothing is opened until the first operation)."""
    if settings.hub_url:
        from citybrain.analytics.hub.pg import PgHubStore  # psycopg only when asked for

        return PgHubStore(settings.hub_url, schema=settings.hub_schema)
    return DuckHubStore(hub_path(settings))
