"""Permission codes of the boards: viewing them (every everyday role, and a screen's key) and
managing the screens (the bureau's operators and the command centre)."""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare

VIEW = "boards:view"
MANAGE = "boards:manage"

declare(
    "boards",
    {VIEW: "查看指挥中心大屏与板块导航", MANAGE: "管理屏端: 登记、轮巡设置与吊销屏端密钥"},
    granted_to={
        VIEW: {"analyst", "handler", "commander", "leader", "viewer"},
        MANAGE: {"analyst", "commander"},
    },
)
register_object_types({"board_screen": "屏端"})
register_actions(
    {
        "boards.screen.create": "登记屏端",
        "boards.screen.revoke": "吊销屏端密钥",
        "boards.screen.use": "屏端访问大屏",
    }
)
