"""Permission codes of 事件 and the predicates behind them.

``events:report`` also suits a department system's API key (intake, classify, Open311).
"""

from __future__ import annotations

from citybrain.core.audit.titles import register_actions, register_object_types
from citybrain.core.permissions import declare
from citybrain.core.scope import Scope
from citybrain.events.workflow import RULES, Actor, EventAction

READ, REPORT = "events:read", "events:report"
DISPATCH, HANDLE, CHECK = "events:dispatch", "events:handle", "events:check"
CONFIGURE = "events:configure"

declare(
    "events",
    {
        READ: "查看事件",
        REPORT: "上报事件 (含 Open311 与智能分类)",
        DISPATCH: "派单、改派与结案",
        HANDLE: "签收、退回与办理",
        CHECK: "核查事件",
        CONFIGURE: "配置事件分类与训练分类模型",
    },
    granted_to={
        READ: {"analyst", "handler", "gridworker", "commander", "leader", "viewer"},
        REPORT: {"analyst", "handler", "gridworker", "commander"},
        DISPATCH: {"commander", "analyst"},
        HANDLE: {"handler"},
        CHECK: {"commander", "gridworker", "analyst"},
        # system configuration (三权分立: the system administrator), and training burns CPU
        CONFIGURE: {"sysadmin"},
    },
)

CODE_OF_ACTOR = {Actor.dispatcher: DISPATCH, Actor.handler: HANDLE, Actor.checker: CHECK}

register_actions(
    {
        "event.create": "受理事件",
        "event.transition": "事件流转",
        "event.category.create": "新增事件分类",
        "event.category.update": "修改事件分类",
        "event.classifier.train": "训练事件分类模型",
        "event.classifier.activate": "启用事件分类模型",
    }
)
register_object_types(
    {"event": "事件", "event_category": "事件分类", "event_classifier_model": "事件分类模型"}
)


def code_for(action: EventAction) -> str:
    """The permission an action needs."""
    return CODE_OF_ACTOR[RULES[action].actor]


def may_read(scope: Scope, *, region_code: str, department_code: str | None) -> bool:
    """Any events code in the event's region or above; a caller bound to a department sees
    only the events assigned to it (an unassigned event is the dispatchers')."""
    if not any(scope.has(c) for c in (READ, REPORT, DISPATCH, HANDLE, CHECK)):
        return False
    return scope.covers_region(region_code) and scope.covers_department(department_code)


def may_act(
    scope: Scope, *, action: EventAction, region_code: str, department_code: str | None
) -> bool:
    """Holds the action's code and covers the event; a handler acts only for the department
    the event is assigned to (``covers_department``)."""
    return scope.has(code_for(action)) and may_read(
        scope, region_code=region_code, department_code=department_code
    )
