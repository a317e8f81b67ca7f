"""Permission codes of 数据源管理: the system administrator registers department databases;
those who pull data pick one. Registering a source counts as system administration (三权分立)."""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare

declare(
    "datasource",
    {"datasource:read": "查看数据源", "datasource:manage": "管理数据源"},
    granted_to={
        "datasource:read": {"sysadmin", "analyst", "handler"},
        "datasource:manage": {"sysadmin"},
    },
)

# What the audit log calls this domain's records (declared here, with the codes, so that
# ``citybrain.domains`` loads both).
register_actions(
    {
        "datasource.create": "登记数据源",
        "datasource.update": "修改数据源",
        "datasource.delete": "删除数据源",
        "datasource.use": "使用数据源",
    }
)
register_object_types({"datasource": "数据源"})
