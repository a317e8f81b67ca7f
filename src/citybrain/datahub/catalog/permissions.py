"""Permission codes of the resource catalogue (GB/T 21063)."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare(
    "catalog",
    {"catalog:read": "查看资源目录", "catalog:manage": "维护资源目录"},
    granted_to={
        "catalog:read": {"analyst", "handler", "commander", "leader", "viewer"},
        "catalog:manage": {"analyst"},
    },
)
