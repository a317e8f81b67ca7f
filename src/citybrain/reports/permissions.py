"""Permission codes of 专报: reading published reports, writing drafts, publishing them."""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare

READ, WRITE, PUBLISH = "reports:read", "reports:write", "reports:publish"

declare(
    "reports",
    {READ: "查看专报", WRITE: "撰写专报", PUBLISH: "发布专报"},
    granted_to={
        READ: {"analyst", "handler", "gridworker", "commander", "leader", "viewer"},
        WRITE: {"analyst", "handler"},
        PUBLISH: {"analyst", "leader"},
    },
)

register_actions(
    {
        "report.create": "新建专报",
        "report.update": "修改专报",
        "report.delete": "删除专报草稿",
        "report.publish": "发布专报",
        "report.withdraw": "撤回专报",
        "report.attachment.add": "上传专报附件",
        "report.attachment.remove": "删除专报附件",
    }
)
register_object_types({"report": "专报", "report_attachment": "专报附件"})
