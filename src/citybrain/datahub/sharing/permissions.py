"""Permission codes of data sharing: request, approve, manage deliveries."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare(
    "sharing",
    {
        "sharing:request": "申请共享数据",
        "sharing:approve": "审核共享申请",
        "sharing:manage": "管理共享交付",
    },
    granted_to={
        "sharing:request": {"analyst", "handler"},
        "sharing:approve": {"analyst", "handler"},
        "sharing:manage": {"analyst"},
    },
)
