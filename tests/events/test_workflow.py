"""The life cycle, exhaustively: every (state, action) pair is either the rule's target or a
refusal ``action_not_allowed``; the extra conditions refuse with their own codes."""

from __future__ import annotations

import itertools

import pytest

from citybrain.events.workflow import (
    RULES,
    EventAction,
    EventStatus,
    TransitionRefused,
    allowed_actions,
    next_status,
    public_status,
)

A, S = EventAction, EventStatus
EXPECTED = {
    (S.received, A.dispatch): S.dispatched,
    (S.returned, A.dispatch): S.dispatched,
    (S.dispatched, A.accept): S.accepted,
    (S.dispatched, A.return_): S.returned,
    (S.accepted, A.return_): S.returned,
    (S.dispatched, A.reassign): S.dispatched,
    (S.accepted, A.reassign): S.dispatched,
    (S.returned, A.reassign): S.dispatched,
    (S.accepted, A.handle): S.handled,
    (S.handled, A.check): S.checked,
    (S.handled, A.check_fail): S.accepted,
    (S.checked, A.close): S.closed,
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(S, A)))
def test_every_pair(status: EventStatus, action: EventAction) -> None:
    kwargs = {"department_code": "D2", "reason": "原因", "current_department": "D1"}
    if (status, action) in EXPECTED:
        assert next_status(status, action, **kwargs) is EXPECTED[(status, action)]
        assert action in allowed_actions(status)
    else:
        with pytest.raises(TransitionRefused) as refused:
            next_status(status, action, **kwargs)
        assert refused.value.code == "action_not_allowed"
        assert action not in allowed_actions(status)


def test_closed_is_final_and_nothing_skips_checking() -> None:
    assert allowed_actions(S.closed) == []
    with pytest.raises(TransitionRefused):
        next_status(S.handled, A.close, department_code=None, reason="")
    with pytest.raises(TransitionRefused):
        next_status(S.received, A.close, department_code=None, reason="")


@pytest.mark.parametrize("action", [A.dispatch, A.reassign])
def test_dispatch_and_reassign_name_a_department(action: EventAction) -> None:
    source = next(iter(RULES[action].sources))
    for blank in (None, "", "  "):
        with pytest.raises(TransitionRefused) as refused:
            next_status(source, action, department_code=blank, reason="")
        assert refused.value.code == "department_required"


def test_reassign_needs_another_department() -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(S.accepted, A.reassign, department_code="D1", reason="",
                    current_department="D1")  # fmt: skip
    assert refused.value.code == "same_department"


@pytest.mark.parametrize(("status", "action"), [(S.accepted, A.return_), (S.handled, A.check_fail)])
def test_return_and_failed_check_need_a_reason(status: EventStatus, action: EventAction) -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(status, action, department_code=None, reason=" ")
    assert refused.value.code == "reason_required"


@pytest.mark.parametrize("action", [A.check, A.check_fail])
def test_the_handler_does_not_check_its_own_work(action: EventAction) -> None:
    with pytest.raises(TransitionRefused) as refused:
        next_status(S.handled, action, department_code=None, reason="x", handler_checks_own=True)
    assert refused.value.code == "checker_is_handler"


def test_open311_knows_two_states() -> None:
    assert {public_status(s) for s in S} == {"open", "closed"}
    assert public_status(S.closed) == "closed"
    assert public_status(S.returned) == "open"
