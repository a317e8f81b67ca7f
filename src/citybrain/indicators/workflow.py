"""Review of indicator definitions (审核管理), as pure rules: no session, no I/O.

Every saved change of a definition is a *revision* (with its diff). A revision goes
draft → submitted → approved → published; a submitted or approved revision may be rejected,
and the author then saves a new revision (a draft again). The approver is never an author of
the revision under review nor the one who submitted it. Publishing makes the revision the live
definition that runs and the API use; the previously live revision is superseded.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Final

from citybrain.core.errors import InvalidState, PermissionDenied


class RevisionStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    published = "published"
    rejected = "rejected"
    superseded = "superseded"
    retired = "retired"  # of an indicator only (停用, retirement.py), never of a revision


class Action(StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    publish = "publish"


STATUS_NAMES_ZH: Final = {
    RevisionStatus.draft: "草稿",
    RevisionStatus.submitted: "待审核",
    RevisionStatus.approved: "已审核",
    RevisionStatus.published: "已发布",
    RevisionStatus.rejected: "已退回",
    RevisionStatus.superseded: "已被替代",
    RevisionStatus.retired: "已停用",
}
ACTION_NAMES_ZH: Final = {
    Action.submit: "提交审核",
    Action.approve: "审核通过",
    Action.reject: "退回",
    Action.publish: "发布",
}
TRANSITIONS: Final = {
    (RevisionStatus.draft, Action.submit): RevisionStatus.submitted,
    (RevisionStatus.submitted, Action.approve): RevisionStatus.approved,
    (RevisionStatus.submitted, Action.reject): RevisionStatus.rejected,
    (RevisionStatus.approved, Action.reject): RevisionStatus.rejected,
    (RevisionStatus.approved, Action.publish): RevisionStatus.published,
}
EDITABLE: Final = frozenset({RevisionStatus.draft, RevisionStatus.rejected})
"""A new revision may be saved on top of these (a pending submission must be decided first)."""


def next_status(current: RevisionStatus, action: Action) -> RevisionStatus:
    """The status after ``action``, or InvalidState ``bad_review_transition``."""
    target = TRANSITIONS.get((current, action))
    if target is None:
        raise InvalidState(
            f"{STATUS_NAMES_ZH[current]}状态的修订不能{ACTION_NAMES_ZH[action]}",
            code="bad_review_transition",
            detail={"status": current.value, "action": action.value},
        )
    return target


def check_reviewer(action: Action, *, actor: str, authors: Iterable[str], submitter: str) -> None:
    """Approving or publishing is refused (PermissionDenied ``reviewer_is_author``) to anyone
    who wrote or submitted the revision."""
    if action not in (Action.approve, Action.publish):
        return
    if actor in set(authors) or actor == submitter:
        raise PermissionDenied(
            "审核人不能是该指标修订的编写人或提交人", code="reviewer_is_author", detail=actor
        )


def can_edit(head: RevisionStatus | None) -> bool:
    """A new revision may be saved when there is none yet, the head is a draft or rejected,
    or the head is live (published): editing a published indicator starts a new draft."""
    return head is None or head in EDITABLE or head is RevisionStatus.published
