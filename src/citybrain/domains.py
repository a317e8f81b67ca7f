"""The domain modules of this installation, assembled once for the app, the CLI and the tests.

Each domain declares its permission codes in its own ``permissions.py``
(``core.permissions.declare``); importing them here, at the top of the layering, lets ``iam``
read one catalogue without importing any module above it. A new domain adds one line.
"""

from __future__ import annotations

import importlib
from functools import cache

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
    "citybrain.messages.permissions",
)


@cache
def load() -> None:
    """Import every domain's declarations (idempotent)."""
    for name in PERMISSION_MODULES:
        importlib.import_module(name)
