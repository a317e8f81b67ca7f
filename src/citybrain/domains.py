"""The domain modules of this installation, assembled once for the app, the CLI and the tests.

Each domain declares its permission codes in its own ``permissions.py``
(``core.permissions.declare``); importing them here, at the top of the layering, lets ``iam``
read one catalogue without importing any module above it. A new domain adds one line.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any

PERMISSION_MODULES = (
    "citybrain.iam.permissions",
    "citybrain.core.audit.permissions",
    "citybrain.core.jobs.permissions",
    "citybrain.regions.permissions",
    "citybrain.datahub.catalog.permissions",
    "citybrain.datahub.ingest.permissions",
    "citybrain.datahub.quality.permissions",
    "citybrain.datahub.rectification.permissions",
    "citybrain.datahub.masterdata.permissions",
    "citybrain.datahub.sharing.permissions",
    "citybrain.datahub.datasources.permissions",
    "citybrain.search.permissions",
    "citybrain.reports.permissions",
    "citybrain.indicators.permissions",
    "citybrain.messages.permissions",
    "citybrain.boards.permissions",
)

# Modules that react to other modules' domain events, or fill a lower module's port (the
# rectification order for ingest's failed rows, the pull schedules that use a data source);
# each has ``install()`` (idempotent).
SUBSCRIBER_MODULES = (
    "citybrain.search.indexer",
    "citybrain.reports.files",
    "citybrain.datahub.rectification.orders",
    "citybrain.datahub.ingest.source_usage",
)

# Who can list every current document of a searchable kind, for ``citybrain search reindex``
# (see citybrain/search/contract.py): kind → "module:function(session)".
SEARCH_PROVIDERS = {
    "catalog_resource": "citybrain.datahub.catalog.service:searchable_documents",
    "report": "citybrain.reports.service:searchable_documents",
    "indicator": "citybrain.indicators.searchable:searchable_documents",
}


@cache
def load() -> None:
    """Import every domain's declarations and subscribe the subscribers (idempotent)."""
    for name in PERMISSION_MODULES:
        importlib.import_module(name)
    for name in SUBSCRIBER_MODULES:
        importlib.import_module(name).install()


def search_providers() -> dict[str, Any]:
    """The reindex providers by kind (``citybrain.search.service.Provider``)."""
    found: dict[str, Any] = {}
    for kind, target in SEARCH_PROVIDERS.items():
        module, _, function = target.partition(":")
        found[kind] = getattr(importlib.import_module(module), function)
    return found
