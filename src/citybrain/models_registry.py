"""Imports every module's models so that Alembic and the tests see the whole schema.

Any module named ``models`` (or ending in ``_models``) below ``citybrain``, plus the few model
modules with other names listed here, is imported; a new domain needs no registration.
"""

from __future__ import annotations

import importlib
import pkgutil

import citybrain
from citybrain.core.db import Base

EXTRA_MODEL_MODULES = ("citybrain.iam.departments",)


def _import_all_models() -> None:
    for info in pkgutil.walk_packages(citybrain.__path__, prefix="citybrain."):
        last = info.name.rsplit(".", 1)[-1]
        if last == "models" or last.endswith("_models"):
            importlib.import_module(info.name)
    for name in EXTRA_MODEL_MODULES:
        importlib.import_module(name)


_import_all_models()
metadata = Base.metadata
