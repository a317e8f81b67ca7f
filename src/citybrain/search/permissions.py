"""Permission code of global search. Holding it lets a caller search at all; which hits it gets
depends on the permission code each document carries (``catalog:read``, ``reports:read`` …)."""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare

declare(
    "search",
    {"search:read": "全局检索"},
    granted_to={
        "search:read": {"analyst", "handler", "gridworker", "commander", "leader", "viewer"}
    },
)

register_actions({"search.reindex": "重建检索索引"})
register_object_types({"search_index": "检索索引"})
