"""Permission codes of the indicator platform and the Chinese titles of its audit records.

Reading published indicators and their values is open to every everyday role (and to a
department system's API key holding ``indicators:read``); defining them is the bureau's and the
owning department's work; approving is a separate code, and the approver may never be an
author of the revision (``workflow``); running and re-running is the operators'.
"""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare

READ = "indicators:read"
EDIT = "indicators:edit"
APPROVE = "indicators:approve"
RUN = "indicators:run"
WARN = "indicators:warn"
FEEDBACK = "indicators:feedback"
RESPOND = "indicators:respond"

declare(
    "indicators",
    {
        READ: "查看指标与指标值",
        EDIT: "编写指标定义、板块、指标集与应用登记",
        APPROVE: "审核与发布指标定义",
        RUN: "运行与补算指标, 查看运行详情",
        WARN: "设置五色预警规则, 签收与关闭预警",
        FEEDBACK: "对指标数值或板块提交问题反馈",
        RESPOND: "受理、办结或退回问题反馈",
    },
    granted_to={
        READ: {"analyst", "handler", "commander", "leader", "viewer"},
        EDIT: {"analyst", "handler"},
        APPROVE: {"analyst", "leader"},
        RUN: {"analyst"},
        WARN: {"analyst", "handler", "leader"},
        FEEDBACK: {"analyst", "handler", "commander", "leader", "viewer"},
        RESPOND: {"analyst", "handler"},
    },
)

register_actions(
    {
        "indicator.board.create": "新建指标板块",
        "indicator.board.update": "修改指标板块",
        "indicator.set.create": "新建指标集",
        "indicator.set.update": "修改指标集",
        "indicator.create": "新建指标",
        "indicator.revise": "修改指标定义",
        "indicator.submit": "提交指标审核",
        "indicator.approve": "指标审核通过",
        "indicator.reject": "退回指标修订",
        "indicator.publish": "发布指标",
        "indicator.run.request": "请求运行指标",
        "indicator.run.finish": "指标运行完成并发布数值",
        "indicator.run.fail": "指标运行失败",
        "indicator.app.create": "登记指标应用",
        "indicator.app.update": "修改指标应用",
        "indicator.app.delete": "删除指标应用",
        "indicator.warning.rule.save": "保存五色预警规则",
        "indicator.warning.rule.delete": "删除五色预警规则",
        "indicator.warning.evaluate": "评估五色预警",
        "indicator.warning.escalate": "连续红色预警上报",
        "indicator.warning.acknowledge": "签收预警",
        "indicator.warning.close": "关闭预警",
        "indicator.feedback.file": "提交问题反馈",
        "indicator.feedback.assign": "受理问题反馈",
        "indicator.feedback.resolve": "办结问题反馈",
        "indicator.feedback.reject": "退回问题反馈",
    }
)
register_object_types(
    {
        "indicator": "指标",
        "indicator_board": "指标板块",
        "indicator_set": "指标集",
        "indicator_run": "指标运行",
        "indicator_app": "指标应用",
        "indicator_warning": "指标预警",
        "indicator_warning_rule": "预警规则",
        "indicator_feedback": "问题反馈",
    }
)
