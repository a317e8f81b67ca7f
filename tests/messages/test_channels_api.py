"""Channels are set up by a system administrator: secrets (the robot address with its token,
the signing secret, the SMTP password) are stored encrypted and never answered or audited, and
the target passes the platform's outbound rule — loopback and private addresses are refused
unless the administrator opened them, metadata addresses always."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from messages_cast import Cast
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.messages import secrets
from citybrain.messages.models import MessageChannel

API = "/api/v1/messages/channels"
TOKEN = "tok-9f8e7d6c5b4a"
SIGNING = "SECsigning-5566"


def _dingtalk(
    name: str = "县防汛群", url: str = f"http://127.0.0.1:9/robot/send?access_token={TOKEN}"
) -> dict[str, object]:
    return {"name": name, "kind": "dingtalk", "url": url, "secret": SIGNING, "format": "markdown"}


@pytest.fixture
def closed_client(connection: Connection, settings: Settings) -> Iterator[TestClient]:
    """The app as installed by default: no private range opened."""
    from citybrain.app import create_app

    app = create_app(settings, session_factory=make_session_factory(connection))
    with TestClient(app) as test_client:
        yield test_client


def test_a_channel_keeps_its_secrets_encrypted_and_never_answers_them(
    client: TestClient, cast: Cast, session: Session, open_settings: Settings
) -> None:
    answer = client.post(API, json=_dingtalk(), headers=cast.admin.headers)
    assert answer.status_code == 201, answer.text
    read = answer.json()
    assert read["target"] == "127.0.0.1"
    assert read["secret_set"] is True
    assert TOKEN not in answer.text
    assert SIGNING not in answer.text
    row = session.get(MessageChannel, read["id"])
    assert row is not None
    assert TOKEN not in row.secret_token + row.settings
    assert SIGNING not in row.secret_token + row.settings
    assert secrets.unseal(open_settings, row.secret_token) == {
        "url": f"http://127.0.0.1:9/robot/send?access_token={TOKEN}",
        "secret": SIGNING,
    }
    listed = client.get(API, headers=cast.admin.headers)
    assert TOKEN not in listed.text
    assert SIGNING not in listed.text
    audited = session.execute(
        select(AuditRecord.detail).where(AuditRecord.object_type == "message_channel")
    ).scalars()
    for detail in audited:
        assert TOKEN not in detail
        assert SIGNING not in detail


def test_loopback_is_refused_unless_the_administrator_opened_it(
    closed_client: TestClient, cast: Cast
) -> None:
    answer = closed_client.post(API, json=_dingtalk(), headers=cast.admin.headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "outbound_refused"
    assert "本机回环地址" in answer.json()["message"]


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("http://169.254.169.254/latest/meta-data", 403, "outbound_refused"),
        ("http://10.1.2.3/robot", 403, "outbound_refused"),
        ("http://93.184.216.34/robot/send?access_token=x", 422, "bad_webhook_url"),
        ("ftp://127.0.0.1/robot", 422, "bad_webhook_url"),
        ("http://user:pw@127.0.0.1/robot", 422, "bad_webhook_url"),
    ],
    ids=["metadata even when opened", "private range not opened", "public plain http",
         "not http", "credentials in the address"],
)  # fmt: skip
def test_webhook_addresses_pass_the_outbound_rule(
    client: TestClient, cast: Cast, url: str, status: int, code: str
) -> None:
    answer = client.post(API, json=_dingtalk(url=url), headers=cast.admin.headers)
    assert (answer.status_code, answer.json()["code"]) == (status, code)


def test_a_public_https_address_is_accepted_without_being_contacted(
    client: TestClient, cast: Cast
) -> None:
    body = {
        "name": "企业微信群",
        "kind": "wecom",
        "url": "https://93.184.216.34/cgi-bin/webhook/send?key=k",
    }
    answer = client.post(API, json=body, headers=cast.admin.headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["secret_set"] is False
    with_secret = client.post(
        API, json={**body, "name": "b", "secret": "s"}, headers=cast.admin.headers
    )
    assert with_secret.json()["code"] == "bad_channel"  # 企业微信 robots have no signing secret


def test_update_replaces_or_keeps_secrets_and_audits_only_that_they_changed(
    client: TestClient, cast: Cast, session: Session, open_settings: Settings
) -> None:
    channel_id = client.post(API, json=_dingtalk(), headers=cast.admin.headers).json()["id"]
    renamed = client.patch(
        f"{API}/{channel_id}", json={"name": "防汛群"}, headers=cast.admin.headers
    )
    assert renamed.status_code == 200
    row = session.get(MessageChannel, channel_id)
    assert row is not None
    assert secrets.unseal(open_settings, row.secret_token)["secret"] == SIGNING
    client.patch(f"{API}/{channel_id}", json={"secret": "SECnew"}, headers=cast.admin.headers)
    session.refresh(row)
    assert secrets.unseal(open_settings, row.secret_token)["secret"] == "SECnew"
    cleared = client.patch(f"{API}/{channel_id}", json={"secret": ""}, headers=cast.admin.headers)
    assert cleared.json()["secret_set"] is False
    last = session.execute(
        select(AuditRecord.detail)
        .where(AuditRecord.action == "messages.channel.update")
        .order_by(AuditRecord.seq.desc())
        .limit(1)
    ).scalar_one()
    assert '"secret_changed": true' in last
    assert "SECnew" not in last


def test_names_are_unique_and_only_administrators_manage(client: TestClient, cast: Cast) -> None:
    assert client.post(API, json=_dingtalk(), headers=cast.admin.headers).status_code == 201
    again = client.post(API, json=_dingtalk(), headers=cast.admin.headers)
    assert (again.status_code, again.json()["code"]) == (409, "channel_name_taken")
    assert client.post(API, json=_dingtalk("x"), headers=cast.sender.headers).status_code == 403
    assert client.get(API, headers=cast.sender.headers).status_code == 403


def test_senders_choose_among_enabled_channels_without_seeing_their_addresses(
    client: TestClient, cast: Cast
) -> None:
    on = client.post(API, json=_dingtalk("在用"), headers=cast.admin.headers).json()["id"]
    off = client.post(API, json={**_dingtalk("停用"), "enabled": False}, headers=cast.admin.headers)
    options = client.get(f"{API}/options", headers=cast.sender.headers)
    assert [o["id"] for o in options.json()] == [on]
    assert TOKEN not in options.text
    refused = client.post(
        "/api/v1/messages",
        json={
            "title": "t",
            "body": "",
            "audience": {"users": [cast.leader.id]},
            "channel_ids": [off.json()["id"]],
        },
        headers=cast.sender.headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "channel_disabled")


def test_an_email_channel_needs_a_server_and_a_sender_address(
    client: TestClient, cast: Cast, session: Session, open_settings: Settings
) -> None:
    body = {
        "name": "县政务邮箱", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": 2525,
        "smtp_security": "none", "smtp_username": "notify", "secret": "smtp-pass",
        "from_address": "notify@minle.gov.cn",
    }  # fmt: skip
    answer = client.post(API, json=body, headers=cast.admin.headers)
    assert answer.status_code == 201, answer.text
    read = answer.json()
    assert (read["smtp_port"], read["smtp_security"], read["from_address"]) == (
        2525,
        "none",
        "notify@minle.gov.cn",
    )
    assert "smtp-pass" not in answer.text
    row = session.get(MessageChannel, read["id"])
    assert row is not None
    assert secrets.unseal(open_settings, row.secret_token) == {"secret": "smtp-pass"}
    no_sender = client.post(
        API, json={**body, "name": "b", "from_address": ""}, headers=cast.admin.headers
    )
    assert no_sender.json()["code"] == "bad_email"
    public_plain = {**body, "name": "c", "smtp_host": "93.184.216.34"}
    refused = client.post(API, json=public_plain, headers=cast.admin.headers)
    assert refused.json()["code"] == "smtp_tls_required"
