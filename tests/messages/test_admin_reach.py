"""What a county's set-up reaches below it: a township administrator sees and uses the county's
channels and templates but cannot change them; push tags are kept like channels; and each
change is audited under its Chinese title."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from messages_cast import COUNTY, TOWN, Cast
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.audit.titles import action_title

API = "/api/v1/messages"


def test_a_township_uses_but_cannot_change_what_the_county_set_up(
    client: TestClient, cast: Cast, login: Callable[..., dict[str, str]]
) -> None:
    channel = client.post(
        f"{API}/channels",
        json={"name": "县群", "kind": "webhook", "url": "http://127.0.0.1:9/hook"},
        headers=cast.admin.headers,
    ).json()["id"]
    town_admin = login("sysadmin", TOWN)
    town_sender = login("leader", TOWN)
    assert client.get(f"{API}/channels/{channel}", headers=town_admin).status_code == 200
    changed = client.patch(f"{API}/channels/{channel}", json={"name": "改"}, headers=town_admin)
    assert (changed.status_code, changed.json()["code"]) == (403, "region_out_of_scope")
    options = client.get(f"{API}/channels/options", headers=town_sender).json()
    assert channel in [o["id"] for o in options]
    own = client.post(
        f"{API}/channels",
        json={
            "name": "镇群",
            "kind": "webhook",
            "url": "http://127.0.0.1:9/town",
            "region_code": COUNTY,
        },
        headers=town_admin,
    )
    assert (own.status_code, own.json()["code"]) == (403, "region_out_of_scope")
    made = client.post(
        f"{API}/channels",
        json={"name": "镇群", "kind": "webhook", "url": "http://127.0.0.1:9/town"},
        headers=town_admin,
    )
    assert made.json()["region_code"] == TOWN
    county_view = [
        c["id"] for c in client.get(f"{API}/channels", headers=cast.admin.headers).json()["items"]
    ]
    assert made.json()["id"] in county_view  # the county manages its townships' set-up too


def test_push_tags_are_kept_and_audited(client: TestClient, cast: Cast, session: Session) -> None:
    created = client.post(
        f"{API}/tags",
        json={
            "name": "防汛值班组",
            "description": "汛期值班",
            "user_ids": [cast.leader.id, cast.town_worker.id],
        },
        headers=cast.admin.headers,
    )
    assert created.status_code == 201, created.text
    tag = created.json()
    assert tag["member_count"] == 2
    outside = client.put(
        f"{API}/tags/{tag['id']}/members",
        json={"user_ids": [cast.outsider.id]},
        headers=cast.admin.headers,
    )
    assert (outside.status_code, outside.json()["code"]) == (403, "audience_out_of_scope")
    replaced = client.put(
        f"{API}/tags/{tag['id']}/members",
        json={"user_ids": [cast.other_town.id]},
        headers=cast.admin.headers,
    )
    assert replaced.json()["member_count"] == 1
    members = client.get(f"{API}/tags/{tag['id']}/members", headers=cast.admin.headers).json()
    assert [m["id"] for m in members] == [cast.other_town.id]
    listed = client.get(f"{API}/tags", headers=cast.sender.headers).json()
    assert [t["name"] for t in listed] == ["防汛值班组"]
    sent = client.post(
        API,
        json={"title": "值班提醒", "body": "", "audience": {"tags": [tag["id"]]}},
        headers=cast.sender.headers,
    )
    assert sent.json()["recipient_count"] == 1
    assert client.delete(f"{API}/tags/{tag['id']}", headers=cast.admin.headers).status_code == 204
    actions = list(
        session.execute(
            select(AuditRecord.action)
            .where(
                AuditRecord.object_type == "message_tag", AuditRecord.object_id == str(tag["id"])
            )
            .order_by(AuditRecord.seq)
        ).scalars()
    )
    assert actions == ["messages.tag.create", "messages.tag.members", "messages.tag.delete"]
    assert [action_title(a) for a in actions] == [
        "新建推送标签",
        "设置推送标签成员",
        "删除推送标签",
    ]


def test_every_message_action_has_a_chinese_title() -> None:
    from citybrain.core.audit.titles import known_actions

    ours = {code: title for code, title in known_actions().items() if code.startswith("messages.")}
    assert len(ours) >= 12
    assert all(
        title != code and any("\u4e00" <= ch <= "\u9fff" for ch in title)
        for code, title in ours.items()
    )
