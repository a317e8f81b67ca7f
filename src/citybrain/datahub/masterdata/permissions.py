"""Permission codes of the base libraries (人口库、法人库)."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare(
    "masterdata",
    {"masterdata:read": "查看基础库 (人口库、法人库)"},
    granted_to={"masterdata:read": {"analyst", "commander", "pii_reviewer"}},
)
