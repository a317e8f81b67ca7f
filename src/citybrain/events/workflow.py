"""The life cycle of an event as pure rules: states, actions, who may take each, and the state
each leads to. No session, no I/O; ``tests/events/test_workflow.py`` walks every pair.

::

    received ──dispatch──▶ dispatched ──accept──▶ accepted ──handle──▶ handled ──check──▶ checked
       ▲                     │  ▲  ▲                 │                    │                 │
       │                return  │  └──reassign───────┤               check_fail (→ accepted)  close
       │                     ▼  │                    │                                      ▼
       └───────────────── returned ◀────return───────┘                                   closed

``reassign`` (改派) sends a dispatched, accepted or returned event to another department; it
lands in ``dispatched`` again. ``close`` is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventStatus(StrEnum):
    received = "received"  # 已受理: in, not yet given to a department
    dispatched = "dispatched"  # 已派单: given to a department, not yet accepted
    accepted = "accepted"  # 已签收: the department took it on
    handled = "handled"  # 已办理: the department says it is done
    checked = "checked"  # 已核查: someone else confirmed it on site
    closed = "closed"  # 已结案
    returned = "returned"  # 已退回: the department says it is not theirs


class EventAction(StrEnum):
    dispatch = "dispatch"  # 派单
    accept = "accept"  # 签收
    return_ = "return"  # 退回
    reassign = "reassign"  # 改派
    handle = "handle"  # 办理
    check = "check"  # 核查通过
    check_fail = "check_fail"  # 核查不通过
    close = "close"  # 结案


class Actor(StrEnum):
    """Which permission an action needs (``permissions.py`` maps them to codes)."""

    dispatcher = "dispatcher"  # the command centre: events:dispatch
    handler = "handler"  # the assigned department: events:handle
    checker = "checker"  # events:check


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[EventStatus]
    target: EventStatus
    actor: Actor
    needs_department: bool = False  # the action names the department (dispatch, reassign)
    needs_reason: bool = False  # a comment is required (return, check_fail)


S = EventStatus
RULES: dict[EventAction, Rule] = {
    EventAction.dispatch: Rule(
        frozenset({S.received, S.returned}), S.dispatched, Actor.dispatcher, needs_department=True
    ),
    EventAction.accept: Rule(frozenset({S.dispatched}), S.accepted, Actor.handler),
    EventAction.return_: Rule(
        frozenset({S.dispatched, S.accepted}), S.returned, Actor.handler, needs_reason=True
    ),
    EventAction.reassign: Rule(
        frozenset({S.dispatched, S.accepted, S.returned}),
        S.dispatched,
        Actor.dispatcher,
        needs_department=True,
    ),
    EventAction.handle: Rule(frozenset({S.accepted}), S.handled, Actor.handler),
    EventAction.check: Rule(frozenset({S.handled}), S.checked, Actor.checker),
    EventAction.check_fail: Rule(
        frozenset({S.handled}), S.accepted, Actor.checker, needs_reason=True
    ),
    EventAction.close: Rule(frozenset({S.checked}), S.closed, Actor.dispatcher),
}

ACTION_NAMES_ZH: dict[EventAction, str] = {
    EventAction.dispatch: "派单",
    EventAction.accept: "签收",
    EventAction.return_: "退回",
    EventAction.reassign: "改派",
    EventAction.handle: "办理",
    EventAction.check: "核查通过",
    EventAction.check_fail: "核查不通过",
    EventAction.close: "结案",
}
STATUS_NAMES_ZH: dict[EventStatus, str] = {
    S.received: "已受理",
    S.dispatched: "已派单",
    S.accepted: "已签收",
    S.handled: "已办理",
    S.checked: "已核查",
    S.closed: "已结案",
    S.returned: "已退回",
}
OPEN311_OPEN = frozenset(set(EventStatus) - {S.closed})


class TransitionRefused(Exception):
    """Why an action cannot be taken; ``code`` is stable English, ``message`` Chinese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def allowed_actions(status: EventStatus) -> list[EventAction]:
    """The actions that may start from ``status``, in declaration order."""
    return [action for action, rule in RULES.items() if status in rule.sources]


def next_status(
    status: EventStatus,
    action: EventAction,
    *,
    department_code: str | None,
    reason: str,
    current_department: str | None = None,
    handler_checks_own: bool = False,
) -> EventStatus:
    """The state ``action`` leads to from ``status``, or TransitionRefused:
    ``action_not_allowed`` (not from this state), ``department_required`` (dispatch or reassign
    without a department), ``same_department`` (reassign to the department it already has),
    ``reason_required`` (return or check_fail without a comment), ``checker_is_handler`` (the
    handling department checking its own work)."""
    rule = RULES[action]
    if status not in rule.sources:
        raise TransitionRefused(
            "action_not_allowed",
            f"事件{STATUS_NAMES_ZH[status]}, 不能{ACTION_NAMES_ZH[action]}",
        )
    if rule.needs_department and not (department_code or "").strip():
        raise TransitionRefused("department_required", f"{ACTION_NAMES_ZH[action]}须指定部门")
    if (
        action is EventAction.reassign
        and department_code is not None
        and department_code == current_department
    ):
        raise TransitionRefused("same_department", "改派须指定另一个部门")
    if rule.needs_reason and not reason.strip():
        raise TransitionRefused("reason_required", f"{ACTION_NAMES_ZH[action]}须说明原因")
    if rule.actor is Actor.checker and handler_checks_own:
        raise TransitionRefused("checker_is_handler", "核查须由办理部门以外的人员进行")
    return rule.target


def public_status(status: EventStatus) -> str:
    """Open311's two states: ``closed`` once closed, else ``open``."""
    return "closed" if status is EventStatus.closed else "open"
