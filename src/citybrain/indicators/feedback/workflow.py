"""Pure rules of problem feedback: its statuses and which action may move which status."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from citybrain.core.errors import InvalidState


class IndicatorFeedbackStatus(StrEnum):
    open = "open"  # filed, waiting at the owner department
    assigned = "assigned"  # taken on by someone of the department
    resolved = "resolved"  # answered, the data corrected or explained
    rejected = "rejected"  # not a problem of the data


FeedbackStatus = IndicatorFeedbackStatus  # the long name is the OpenAPI schema's


class FeedbackAction(StrEnum):
    assign = "assign"
    resolve = "resolve"
    reject = "reject"


TRANSITIONS: Final = {
    (FeedbackStatus.open, FeedbackAction.assign): FeedbackStatus.assigned,
    (FeedbackStatus.assigned, FeedbackAction.assign): FeedbackStatus.assigned,  # hand over
    (FeedbackStatus.open, FeedbackAction.resolve): FeedbackStatus.resolved,
    (FeedbackStatus.assigned, FeedbackAction.resolve): FeedbackStatus.resolved,
    (FeedbackStatus.open, FeedbackAction.reject): FeedbackStatus.rejected,
    (FeedbackStatus.assigned, FeedbackAction.reject): FeedbackStatus.rejected,
}
STATUS_NAMES_ZH: Final = {
    FeedbackStatus.open: "待受理",
    FeedbackStatus.assigned: "处理中",
    FeedbackStatus.resolved: "已办结",
    FeedbackStatus.rejected: "已退回",
}


def next_status(current: FeedbackStatus, action: FeedbackAction) -> FeedbackStatus:
    """The status after ``action``, or InvalidState ``feedback_transition_not_allowed``."""
    found = TRANSITIONS.get((current, action))
    if found is None:
        raise InvalidState(
            f"{STATUS_NAMES_ZH[current]}的反馈不能执行该操作",
            code="feedback_transition_not_allowed",
            detail={"status": current.value, "action": action.value},
        )
    return found


def is_final(status: FeedbackStatus) -> bool:
    return status in (FeedbackStatus.resolved, FeedbackStatus.rejected)
