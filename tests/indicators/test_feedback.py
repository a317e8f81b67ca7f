"""Problem feedback: filed on a value or a board, routed to the owner department, moved through
its states by that department only, the filer told on resolution; the workflow's table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from indicator_fixtures import COUNTY, World, create, publish, run
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.errors import InvalidState
from citybrain.iam.departments import ensure_department
from citybrain.indicators.feedback.workflow import (
    TRANSITIONS,
    FeedbackAction,
    FeedbackStatus,
    next_status,
)
from citybrain.messages.models import Message, MessageReceipt

API = "/api/v1/indicators/feedback"


@pytest.mark.parametrize("status", list(FeedbackStatus))
@pytest.mark.parametrize("action", list(FeedbackAction))
def test_every_status_and_action(status: FeedbackStatus, action: FeedbackAction) -> None:
    if (status, action) in TRANSITIONS:
        assert next_status(status, action) is TRANSITIONS[(status, action)]
    else:
        with pytest.raises(InvalidState) as caught:
            next_status(status, action)
        assert caught.value.code == "feedback_transition_not_allowed"
        assert status in (FeedbackStatus.resolved, FeedbackStatus.rejected)


def test_feedback_goes_to_the_owner_department_and_back_to_the_filer(
    session: Session,
    world: World,
    client: TestClient,
    make_user: Callable[..., Any],
    sign_in: Callable[[Any], dict[str, str]],
    login: Callable[..., dict[str, str]],
) -> None:
    create(session, world, "f_count")
    publish(session, "f_count")
    run(session, world, ["f_count"], "2024-01", "2024-03")
    ensure_department(session, code=f"{COUNTY}-OT", name="其他局", short_name="其他",
                      region_code=COUNTY)  # fmt: skip
    session.flush()
    filer = make_user("viewer", COUNTY)
    filer_headers = sign_in(filer)
    town = world.towns[1]
    body = {"indicator_code": "f_count", "region_code": town, "period": "2024-02",
            "content": "二月数值比台账少了两件"}  # fmt: skip
    filed = client.post(API, json=body, headers=filer_headers)
    assert filed.status_code == 201, filed.text
    item = filed.json()
    assert item["department_code"] == world.department
    assert item["status"] == "open"
    bad_period = client.post(API, json={**body, "period": "2024Q1"}, headers=filer_headers)
    assert bad_period.json()["code"] == "bad_period"
    outside = client.post(API, json={**body, "region_code": "510903"}, headers=filer_headers)
    assert outside.status_code == 403

    owner = login("handler", department_code=world.department)
    other = login("handler", department_code=f"{COUNTY}-OT")
    path = f"{API}/{item['id']}"
    assert client.get(path, headers=other).status_code == 404
    assert item["id"] not in {i["id"] for i in client.get(API, headers=other).json()["items"]}
    assert item["id"] in {i["id"] for i in client.get(API, headers=owner).json()["items"]}
    mine = client.get(API, params={"mine": True}, headers=filer_headers).json()
    assert [i["id"] for i in mine["items"]] == [item["id"]]
    assert (
        client.post(f"{path}/resolve", json={"note": "x"}, headers=filer_headers).status_code == 403
    )
    refused = client.post(f"{path}/assign", json={"assignee": "李四"}, headers=other)
    assert refused.status_code == 404
    assigned = client.post(f"{path}/assign", json={"assignee": "李四"}, headers=owner)
    assert assigned.json()["status"] == "assigned"
    assert assigned.json()["assignee"] == "李四"
    resolved = client.post(f"{path}/resolve", json={"note": "已补录两件"}, headers=owner)
    assert resolved.json()["status"] == "resolved"
    again = client.post(f"{path}/reject", json={"note": "x"}, headers=owner)
    assert again.json()["code"] == "feedback_transition_not_allowed"
    told = session.execute(
        select(Message.title, Message.body)
        .join(MessageReceipt, MessageReceipt.message_id == Message.id)
        .where(MessageReceipt.user_id == filer.user.id)
    ).all()
    assert len(told) == 1
    assert "已办结" in told[0][0]
    assert "已补录两件" in told[0][1]
    actions = set(
        session.execute(
            select(AuditRecord.action).where(AuditRecord.object_type == "indicator_feedback")
        ).scalars()
    )
    assert actions >= {
        "indicator.feedback.file", "indicator.feedback.assign", "indicator.feedback.resolve",
    }  # fmt: skip


def test_board_feedback_is_the_bureaus(
    session: Session, world: World, client: TestClient, login: Callable[..., dict[str, str]]
) -> None:
    viewer = login("viewer")
    filed = client.post(API, json={"board_code": world.board, "content": "板块缺少就业指标"},
                        headers=viewer)  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert filed.json()["department_code"] is None
    both = client.post(API, json={"board_code": world.board, "indicator_code": "x",
                                  "content": "x"}, headers=viewer)  # fmt: skip
    assert both.status_code == 422
    handler = login("handler", department_code=world.department)
    path = f"{API}/{filed.json()['id']}"
    assert client.post(f"{path}/reject", json={"note": "x"}, headers=handler).status_code == 404
    analyst = login("analyst")
    rejected = client.post(f"{path}/reject", json={"note": "已有同类指标"}, headers=analyst)
    assert rejected.json()["status"] == "rejected"
