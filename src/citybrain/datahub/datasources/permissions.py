"""Permission codes of 数据源管理: the system administrator registers department databases;
those who pull data pick one. Registering a source counts as system administration (三权分立)."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare(
    "datasource",
    {"datasource:read": "查看数据源", "datasource:manage": "管理数据源"},
    granted_to={
        "datasource:read": {"sysadmin", "analyst", "handler"},
        "datasource:manage": {"sysadmin"},
    },
)
