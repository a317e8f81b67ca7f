"""Sending through the API and reading one's own inbox: targeted push, read receipts, the
sender's view of who read what, and that nobody reaches another person's inbox."""

from __future__ import annotations

from fastapi.testclient import TestClient
from messages_cast import COUNTY, OUTSIDE, TOWN, Cast
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.audit.titles import action_title
from citybrain.iam import apikeys

API = "/api/v1/messages"


def _send(client: TestClient, cast: Cast, **body: object) -> dict[str, object]:
    payload = {"title": "防汛通知", "body": "今晚有大雨, 请做好准备。", **body}
    answer = client.post(API, json=payload, headers=cast.sender.headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _inbox(client: TestClient, headers: dict[str, str], **query: object) -> dict[str, object]:
    answer = client.get(f"{API}/inbox", params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_a_message_to_a_town_lands_in_its_peoples_inboxes_only(
    client: TestClient, cast: Cast
) -> None:
    sent = _send(client, cast, audience={"regions": [TOWN]}, link="/events/12")
    assert sent["recipient_count"] == 2
    for person in (cast.town_worker, cast.grid_worker):
        inbox = _inbox(client, person.headers)
        assert inbox["unread"] == 1
        (item,) = inbox["items"]  # type: ignore[misc]
        assert item["title"] == "防汛通知"
        assert item["sender_name"] == cast.sender.username
        assert item["kind_title"] == "通知公告"
        assert item["link"] == "/events/12"
        assert item["read_at"] is None
    for person in (cast.other_town, cast.outsider, cast.sender, cast.leader):
        assert _inbox(client, person.headers)["total"] == 0


def test_reading_leaves_a_receipt_the_sender_sees(client: TestClient, cast: Cast) -> None:
    sent = _send(client, cast, audience={"regions": [TOWN]})
    message_id = sent["id"]
    worker = cast.town_worker.headers
    detail = client.get(f"{API}/inbox/{message_id}", headers=worker).json()
    assert detail["body"] == "今晚有大雨, 请做好准备。"
    assert detail["read_at"] is None  # looking is not reading: the page marks it
    first = client.post(f"{API}/inbox/{message_id}/read", headers=worker).json()
    assert first == {"changed": 1, "unread": 0}
    read_at = client.get(f"{API}/inbox/{message_id}", headers=worker).json()["read_at"]
    again = client.post(f"{API}/inbox/{message_id}/read", headers=worker).json()
    assert again == {"changed": 0, "unread": 0}
    assert client.get(f"{API}/inbox/{message_id}", headers=worker).json()["read_at"] == read_at

    receipts = client.get(f"{API}/sent/{message_id}/receipts", headers=cast.sender.headers).json()
    by_user = {r["user_id"]: r["read_at"] for r in receipts["items"]}
    assert by_user == {cast.town_worker.id: read_at, cast.grid_worker.id: None}
    unread_only = client.get(
        f"{API}/sent/{message_id}/receipts", params={"read": False}, headers=cast.sender.headers
    ).json()
    assert [r["user_id"] for r in unread_only["items"]] == [cast.grid_worker.id]
    mine = client.get(f"{API}/sent", headers=cast.sender.headers).json()
    assert mine["items"][0]["read_count"] == 1
    assert mine["items"][0]["recipient_count"] == 2


def test_only_the_sender_sees_the_receipts(client: TestClient, cast: Cast, login) -> None:
    message_id = _send(client, cast, audience={"regions": [TOWN]})["id"]
    colleague = login("analyst", COUNTY)
    for path in (f"{API}/sent/{message_id}", f"{API}/sent/{message_id}/receipts"):
        answer = client.get(path, headers=colleague)
        assert answer.status_code == 404
        assert answer.json()["code"] == "message_not_found"
    assert client.get(f"{API}/sent/{message_id}", headers=cast.sender.headers).status_code == 200
    assert client.get(f"{API}/sent", headers=colleague).json()["total"] == 0


def test_nobody_reaches_another_persons_inbox(client: TestClient, cast: Cast) -> None:
    message_id = _send(client, cast, audience={"users": [cast.town_worker.id]})["id"]
    for person in (cast.grid_worker, cast.sender, cast.admin, cast.outsider):
        for method, path in (
            ("GET", f"{API}/inbox/{message_id}"),
            ("POST", f"{API}/inbox/{message_id}/read"),
        ):
            answer = client.request(method, path, headers=person.headers)
            assert answer.status_code == 404, (person.username, path)
            assert "防汛通知" not in answer.text
    # read-all by others leaves the owner's row unread
    client.post(f"{API}/inbox/read-all", headers=cast.grid_worker.headers)
    assert _inbox(client, cast.town_worker.headers)["unread"] == 1
    assert client.post(f"{API}/inbox/read-all", headers=cast.town_worker.headers).json() == {
        "changed": 1,
        "unread": 0,
    }


def test_inbox_filters_and_unread_count(client: TestClient, cast: Cast) -> None:
    first = _send(client, cast, audience={"users": [cast.leader.id]}, title="一号通知")["id"]
    _send(client, cast, audience={"users": [cast.leader.id]}, title="二号预警", kind="warning")
    headers = cast.leader.headers
    client.post(f"{API}/inbox/{first}/read", headers=headers)
    assert client.get(f"{API}/inbox/unread-count", headers=headers).json() == {"unread": 1}
    titles = lambda page: [i["title"] for i in page["items"]]  # noqa: E731
    assert titles(_inbox(client, headers)) == ["二号预警", "一号通知"]  # newest first
    assert titles(_inbox(client, headers, unread=True)) == ["二号预警"]
    assert titles(_inbox(client, headers, unread=False)) == ["一号通知"]
    assert titles(_inbox(client, headers, kind="warning")) == ["二号预警"]
    assert titles(_inbox(client, headers, q="一号")) == ["一号通知"]


def test_a_send_is_audited_with_a_chinese_title(
    client: TestClient, cast: Cast, session: Session
) -> None:
    message_id = _send(client, cast, audience={"regions": [TOWN], "roles": ["gridworker"]})["id"]
    record = session.execute(
        select(AuditRecord).where(
            AuditRecord.action == "messages.send", AuditRecord.object_id == str(message_id)
        )
    ).scalar_one()
    assert record.actor == cast.sender.username
    assert action_title(record.action) == "发送消息"
    assert '"recipient_count": 2' in record.detail
    assert '"roles": ["gridworker"]' in record.detail


def test_refusals_name_their_reason(client: TestClient, cast: Cast) -> None:
    cases = [
        ({"audience": {"regions": [OUTSIDE]}}, 403, "audience_out_of_scope"),
        ({"audience": {"users": [cast.outsider.id]}}, 403, "audience_out_of_scope"),
        ({"audience": {}}, 422, "audience_empty"),
        (
            {"audience": {"regions": [TOWN]}, "link": "https://evil.example/x"},
            422,
            "bad_message_link",
        ),
        ({"audience": {"regions": [TOWN]}, "link": "//evil.example/x"}, 422, "bad_message_link"),
        ({"audience": {"regions": [TOWN]}, "title": "  "}, 422, "bad_message"),
        ({"audience": {"regions": [TOWN]}, "channel_ids": [2**31 - 1]}, 404, "channel_not_found"),
        ({"audience": {"regions": [TOWN], "roles": ["leader"]}}, 422, "audience_no_recipients"),
    ]
    for body, status, code in cases:
        payload = {"title": "通知", "body": "正文", **body}
        answer = client.post(API, json=payload, headers=cast.sender.headers)
        assert (answer.status_code, answer.json()["code"]) == (status, code), body


def test_sending_needs_its_permission_and_the_inbox_needs_a_person(
    client: TestClient, cast: Cast, session: Session
) -> None:
    answer = client.post(
        API,
        json={"title": "x", "body": "", "audience": {"regions": [TOWN]}},
        headers=cast.other_town.headers,
    )
    assert answer.status_code == 403
    _, plain = apikeys.create_api_key(
        session, name="部门系统", region_code=COUNTY, scopes=["catalog:read"]
    )
    key = {"X-API-Key": plain}
    answer = client.get(f"{API}/inbox", headers=key)
    assert answer.status_code == 403
    assert answer.json()["code"] == "inbox_users_only"
    assert client.get(f"{API}/inbox").status_code == 401


def test_a_templated_send_renders_in_the_sandbox(client: TestClient, cast: Cast) -> None:
    template = client.post(
        f"{API}/templates",
        json={
            "code": "warning.rain",
            "name": "降雨预警",
            "kind": "warning",
            "title_template": "{{ level }}色预警: {{ indicator.name }}",
            "body_template": "{{ region }} 当前值 {{ value|round(1) }}, 阈值 {{ threshold }}。",
        },
        headers=cast.admin.headers,
    )
    assert template.status_code == 201, template.text
    template_id = template.json()["id"]
    variables = {
        "level": "红", "indicator": {"name": "日降雨量"}, "region": "南古镇",
        "value": 58.26, "threshold": 50,
    }  # fmt: skip
    sent = _send(
        client, cast, audience={"regions": [TOWN]}, template_id=template_id, variables=variables
    )
    item = client.get(f"{API}/inbox/{sent['id']}", headers=cast.town_worker.headers).json()
    assert item["title"] == "红色预警: 日降雨量"
    assert item["body"] == "南古镇 当前值 58.3, 阈值 50。"
    assert item["kind"] == "warning"
    missing = client.post(
        API,
        json={"audience": {"regions": [TOWN]}, "template_id": template_id, "variables": {}},
        headers=cast.sender.headers,
    )
    assert missing.status_code == 422
    assert missing.json()["code"] == "template_variable_missing"


def test_the_audience_preview_counts_without_sending(client: TestClient, cast: Cast) -> None:
    answer = client.post(
        f"{API}/audience/preview", json={"regions": [TOWN]}, headers=cast.sender.headers
    ).json()
    assert answer["count"] == 2
    assert len(answer["sample"]) == 2
    assert _inbox(client, cast.town_worker.headers)["total"] == 0


def test_the_contact_address_is_the_owners_and_stored_encrypted(
    client: TestClient, cast: Cast, session: Session
) -> None:
    from citybrain.messages.models import MessageContact

    headers = cast.leader.headers
    assert client.get(f"{API}/me/contact", headers=headers).json() == {"email": None}
    put = client.put(f"{API}/me/contact", json={"email": "leader@minle.gov.cn"}, headers=headers)
    assert put.json() == {"email": "leader@minle.gov.cn"}
    row = session.get(MessageContact, cast.leader.id)
    assert row is not None
    assert "minle" not in row.email_token
    bad = client.put(f"{API}/me/contact", json={"email": "not an address"}, headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_email")
    assert client.get(f"{API}/me/contact", headers=cast.sender.headers).json() == {"email": None}
