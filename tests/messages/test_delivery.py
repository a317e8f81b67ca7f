"""Deliveries to real local receivers: an HTTP server on 127.0.0.1 playing the 钉钉, 飞书 and
企业微信 robots and a JSON webhook (signatures verified on arrival), and an SMTP server
(aiosmtpd) with a login. The outbox row moves queued → sending → sent|failed, a run again for a
sent row sends nothing, a failure is retried with back-off, and a row left ``sending`` is never
resent."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from messages_cast import TOWN, Cast
from messages_receivers import HttpReceiver, SmtpReceiver
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.clock import frozen, utcnow
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.jobs.models import JobRun
from citybrain.messages import delivery, tasks
from citybrain.messages.config import MessagesSettings
from citybrain.messages.models import MessageOutbox

API = "/api/v1/messages"
SECRET = "SECdelivery-0042"
CONFIG = MessagesSettings(delivery_attempts=3, retry_delay_seconds=30, backoff=2)


@pytest.fixture
def factory(connection: Connection) -> sessionmaker[Session]:
    return make_session_factory(connection)


def _channel(client: TestClient, cast: Cast, **body: object) -> int:
    answer = client.post(
        f"{API}/channels",
        json={"name": "群", "format": "markdown", **body},
        headers=cast.admin.headers,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _send(client: TestClient, cast: Cast, channel_id: int, **body: object) -> int:
    payload = {
        "title": "红色预警: 日降雨量",
        "body": "南古镇 58.3 mm",
        "kind": "warning",
        "link": "/events/12",
        "audience": {"regions": [TOWN]},
        "channel_ids": [channel_id],
        **body,
    }
    answer = client.post(API, json=payload, headers=cast.sender.headers)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _rows(session: Session, message_id: int) -> list[MessageOutbox]:
    session.expire_all()
    return list(
        session.execute(
            select(MessageOutbox)
            .where(MessageOutbox.message_id == message_id)
            .order_by(MessageOutbox.id)
        ).scalars()
    )


def test_dingtalk_gets_one_signed_message_and_a_rerun_sends_nothing(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
    open_settings: Settings,
) -> None:
    url = http_receiver.url("/robot/send?access_token=tok-dt")
    channel = _channel(client, cast, kind="dingtalk", url=url, secret=SECRET)
    message_id = _send(client, cast, channel)

    (request,) = http_receiver.requests  # sent after the send committed, by the job
    assert request.path == "/robot/send"
    assert request.query["access_token"] == "tok-dt"
    timestamp = request.query["timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert request.query["sign"] == base64.b64encode(expected).decode()  # parse_qs decoded it
    assert abs(int(timestamp) - int(utcnow().timestamp() * 1000)) < 60_000
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "红色预警: 日降雨量"
    assert "南古镇 58.3 mm" in body["markdown"]["text"]

    (row,) = _rows(session, message_id)
    assert (row.state, row.attempts, row.user_id) == ("sent", 1, None)
    assert row.sent_at is not None

    again = delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG)
    assert again.outcome is delivery.Outcome.skipped
    queued = tasks.queue_delivery(client.app.state.jobs, row.id, row.generation)  # type: ignore[attr-defined]
    runs = (
        session.execute(select(JobRun).where(JobRun.run_key == f"outbox:{row.id}:0"))
        .scalars()
        .all()
    )
    assert [r.id for r in runs] == [queued]
    assert runs[0].outcome == "ok"
    assert len(http_receiver.requests) == 1


def test_feishu_wecom_and_a_json_webhook_get_their_own_formats(
    client: TestClient, cast: Cast, http_receiver: HttpReceiver, session: Session
) -> None:
    http_receiver.default = (200, {"code": 0, "msg": "success", "errcode": 0})
    feishu = _channel(
        client,
        cast,
        name="飞书",
        kind="feishu",
        url=http_receiver.url("/open-apis/bot/v2/hook/abc"),
        secret=SECRET,
    )
    wecom = _channel(
        client,
        cast,
        name="企微",
        kind="wecom",
        url=http_receiver.url("/cgi-bin/webhook/send?key=k1"),
        format="text",
    )
    hook = _channel(
        client,
        cast,
        name="业务系统",
        kind="webhook",
        url=http_receiver.url("/hooks/citybrain"),
        secret=SECRET,
    )
    message_id = _send(client, cast, feishu, channel_ids=[feishu, wecom, hook])
    by_path = {r.path: r for r in http_receiver.requests}
    assert set(by_path) == {
        "/open-apis/bot/v2/hook/abc",
        "/cgi-bin/webhook/send",
        "/hooks/citybrain",
    }

    fs = by_path["/open-apis/bot/v2/hook/abc"].json()
    key = f"{fs['timestamp']}\n{SECRET}".encode()
    assert fs["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert fs["msg_type"] == "post"
    assert fs["content"]["post"]["zh_cn"]["title"] == "红色预警: 日降雨量"

    wc = by_path["/cgi-bin/webhook/send"]
    assert wc.query == {"key": "k1"}
    assert wc.json() == {
        "msgtype": "text",
        "text": {"content": "【预警】红色预警: 日降雨量\n南古镇 58.3 mm"},
    }

    generic = by_path["/hooks/citybrain"]
    stamp = generic.headers["x-citybrain-timestamp"]
    mac = hmac.new(SECRET.encode(), f"{stamp}.".encode() + generic.body, hashlib.sha256).hexdigest()
    assert generic.headers["x-citybrain-signature"] == f"sha256={mac}"
    assert generic.json()["id"] == message_id
    assert generic.json()["link"] is None  # no public address configured: no link outside
    assert generic.headers["x-citybrain-delivery"] == str(
        next(r.id for r in _rows(session, message_id) if r.channel_id == hook)
    )
    assert {r.state for r in _rows(session, message_id)} == {"sent"}


def test_a_failure_is_retried_with_back_off_then_sent(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
    open_settings: Settings,
) -> None:
    http_receiver.answers.extend(
        [(503, {"error": "busy"}), (200, {"errcode": 130101, "errmsg": "send too fast"})]
    )
    channel = _channel(
        client, cast, kind="dingtalk", url=http_receiver.url("/robot/send?access_token=t")
    )
    message_id = _send(client, cast, channel)
    (row,) = _rows(session, message_id)
    assert (row.state, row.attempts) == ("queued", 1)  # the first attempt ran at once and failed
    assert "HTTP 503" in row.last_error
    assert row.next_attempt_at >= row.updated_at + timedelta(seconds=29)

    second = delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG)
    assert second.outcome is delivery.Outcome.retry  # the robot's "too fast" is worth retrying
    (row,) = _rows(session, message_id)
    assert row.attempts == 2
    assert row.next_attempt_at >= row.updated_at + timedelta(seconds=59)  # 30 s x 2

    third = delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG)
    assert third.outcome is delivery.Outcome.sent
    assert len(http_receiver.requests) == 3
    (row,) = _rows(session, message_id)
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, "")


def test_the_last_attempt_fails_the_row_and_the_job_run(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
    open_settings: Settings,
) -> None:
    http_receiver.default = (500, {})
    channel = _channel(client, cast, kind="webhook", url=http_receiver.url("/hook"))
    (row,) = _rows(session, _send(client, cast, channel))
    for _ in range(CONFIG.delivery_attempts - 1):
        delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG)
    (row,) = _rows(session, row.message_id)
    assert (row.state, row.attempts) == ("failed", 3)
    assert (
        delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG).outcome
        is delivery.Outcome.skipped
    )
    assert len(http_receiver.requests) == 3


def test_a_refusal_by_the_robot_is_final(
    client: TestClient, cast: Cast, http_receiver: HttpReceiver, session: Session
) -> None:
    http_receiver.default = (200, {"errcode": 310000, "errmsg": "sign not match"})
    channel = _channel(
        client,
        cast,
        kind="dingtalk",
        url=http_receiver.url("/robot/send?access_token=t"),
        secret="wrong",
    )
    (row,) = _rows(session, _send(client, cast, channel))
    assert (row.state, row.attempts) == ("failed", 1)
    assert "310000" in row.last_error


def test_a_row_left_sending_is_failed_not_resent(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
    open_settings: Settings,
) -> None:
    http_receiver.default = (500, {})
    channel = _channel(client, cast, kind="webhook", url=http_receiver.url("/hook"))
    (row,) = _rows(session, _send(client, cast, channel))
    http_receiver.default = (200, {})
    # its worker claimed it and died before recording the answer
    session.execute(
        update(MessageOutbox)
        .where(MessageOutbox.id == row.id)
        .values(state="sending", claimed_at=utcnow())
    )
    session.flush()
    assert (
        delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG).outcome
        is delivery.Outcome.skipped
    )
    with frozen(utcnow() + timedelta(minutes=CONFIG.sending_stale_minutes + 1)):
        outcome = delivery.deliver(factory, row.id, settings=open_settings, config=CONFIG).outcome
    assert outcome is delivery.Outcome.interrupted
    (row,) = _rows(session, row.message_id)
    assert row.state == "failed"
    assert "未自动重发" in row.last_error
    assert len(http_receiver.requests) == 1  # only the first, failed attempt ever went out


def test_of_two_claims_one_wins(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
) -> None:
    http_receiver.default = (500, {})
    channel = _channel(client, cast, kind="webhook", url=http_receiver.url("/hook"))
    (row,) = _rows(session, _send(client, cast, channel))
    assert row.state == "queued"
    assert delivery.claim(factory, row.id) == 2
    assert delivery.claim(factory, row.id) is None


def test_an_administrator_retries_a_failed_delivery_as_a_new_generation(
    client: TestClient, cast: Cast, http_receiver: HttpReceiver, session: Session
) -> None:
    http_receiver.default = (404, {})  # a removed robot: final
    channel = _channel(client, cast, kind="webhook", url=http_receiver.url("/hook"))
    (row,) = _rows(session, _send(client, cast, channel))
    assert row.state == "failed"
    listed = client.get(
        f"{API}/deliveries", params={"state": "failed"}, headers=cast.admin.headers
    ).json()
    assert [d["id"] for d in listed["items"]] == [row.id]
    http_receiver.default = (200, {})
    retried = client.post(f"{API}/deliveries/{row.id}/retry", headers=cast.admin.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "queued"  # and sent after the retry's commit
    (row,) = _rows(session, row.message_id)
    assert (row.state, row.generation, row.attempts) == ("sent", 1, 1)
    again = client.post(f"{API}/deliveries/{row.id}/retry", headers=cast.admin.headers)
    assert (again.status_code, again.json()["code"]) == (409, "delivery_not_failed")
    assert (
        client.post(f"{API}/deliveries/{row.id}/retry", headers=cast.sender.headers).status_code
        == 403
    )


def test_the_sweep_delivers_rows_whose_job_was_never_queued(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
    open_settings: Settings,
) -> None:
    from citybrain.core.jobs.registry import JobContext
    from citybrain.core.scope import Scope
    from citybrain.messages.audience import Audience
    from citybrain.messages.service import send

    channel = _channel(client, cast, kind="webhook", url=http_receiver.url("/hook"))
    tasks._installed.clear()  # a process without a job system (a CLI command)
    sent = send(
        session,
        scope=Scope.system(),
        sender=None,
        audience=Audience(regions=(TOWN,)),
        title="系统通知",
        body="",
        channels=[channel],
    )
    session.commit()  # the test's session joins the outer transaction; this releases its savepoint
    assert http_receiver.requests == []
    context = JobContext(factory=factory, settings=open_settings, run_id=0, attempt=1)
    tasks._sweep_job(context)
    assert http_receiver.requests == []  # not yet overdue
    with frozen(utcnow() + tasks.SWEEP_GRACE + timedelta(seconds=5)):
        tasks._sweep_job(context)
    assert len(http_receiver.requests) == 1
    assert http_receiver.requests[0].json()["sender"] == "系统"
    (row,) = _rows(session, sent.message.id)
    assert row.state == "sent"


def test_a_delivery_refused_by_the_outbound_rule_fails_without_connecting(
    client: TestClient,
    cast: Cast,
    http_receiver: HttpReceiver,
    session: Session,
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    http_receiver.default = (500, {})
    channel = _channel(client, cast, kind="webhook", url=http_receiver.url("/hook"))
    (row,) = _rows(session, _send(client, cast, channel))
    assert len(http_receiver.requests) == 1
    # the administrator closes the range again: the next attempt is refused before connecting
    result = delivery.deliver(factory, row.id, settings=settings, config=CONFIG)
    assert result.outcome is delivery.Outcome.failed
    assert "本机回环地址" in result.error
    assert len(http_receiver.requests) == 1


def test_email_reaches_a_real_smtp_server_for_recipients_with_an_address(
    client: TestClient, cast: Cast, smtp_receiver: SmtpReceiver, session: Session
) -> None:
    client.put(
        f"{API}/me/contact", json={"email": "worker@minle.gov.cn"}, headers=cast.town_worker.headers
    )
    channel = _channel(
        client,
        cast,
        name="县政务邮箱",
        kind="email",
        smtp_host=smtp_receiver.host,
        smtp_port=smtp_receiver.port,
        smtp_security="none",
        smtp_username=smtp_receiver.username,
        secret=smtp_receiver.password,
        from_address="notify@minle.gov.cn",
        from_name="民乐县城市大脑",
    )
    message_id = _send(client, cast, channel)
    rows = _rows(session, message_id)
    assert [(r.user_id, r.state) for r in rows] == [
        (cast.town_worker.id, "sent")
    ]  # only one has an address
    (mail,) = smtp_receiver.mails
    assert smtp_receiver.recipients == [["worker@minle.gov.cn"]]
    assert smtp_receiver.logins == [smtp_receiver.username]  # the decrypted password worked
    assert mail["Subject"] == "【预警】红色预警: 日降雨量"
    assert mail["To"] == "worker@minle.gov.cn"
    assert "民乐县城市大脑" in mail["From"]
    assert mail["X-Citybrain-Delivery"] == str(rows[0].id)
    text = mail.get_content()
    assert "南古镇 58.3 mm" in text
    assert cast.sender.username in text


def test_a_wrong_smtp_password_fails_the_delivery_for_good(
    client: TestClient, cast: Cast, smtp_receiver: SmtpReceiver, session: Session
) -> None:
    client.put(
        f"{API}/me/contact", json={"email": "worker@minle.gov.cn"}, headers=cast.town_worker.headers
    )
    channel = _channel(
        client,
        cast,
        name="错密码邮箱",
        kind="email",
        smtp_host=smtp_receiver.host,
        smtp_port=smtp_receiver.port,
        smtp_security="none",
        smtp_username=smtp_receiver.username,
        secret="wrong-password",
        from_address="notify@minle.gov.cn",
    )
    (row,) = _rows(session, _send(client, cast, channel))
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("[smtp_auth] 邮件服务器拒绝登录: 535")
    assert smtp_receiver.mails == []


def test_the_channel_test_button_sends_now(
    client: TestClient, cast: Cast, http_receiver: HttpReceiver
) -> None:
    channel = _channel(
        client,
        cast,
        kind="dingtalk",
        url=http_receiver.url("/robot/send?access_token=t"),
        secret=SECRET,
    )
    answer = client.post(f"{API}/channels/{channel}/test", json={}, headers=cast.admin.headers)
    assert answer.json() == {"ok": True, "code": "", "message": ""}
    assert "渠道测试" in http_receiver.requests[0].json()["markdown"]["title"]
    http_receiver.default = (200, {"errcode": 310000, "errmsg": "keywords not in content"})
    failed = client.post(
        f"{API}/channels/{channel}/test", json={}, headers=cast.admin.headers
    ).json()
    assert failed["ok"] is False
    assert failed["code"] == "robot_error"
    assert "keywords" in failed["message"]


def test_a_large_send_is_fanned_out_by_one_job(
    client: TestClient, cast: Cast, http_receiver: HttpReceiver, session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(tasks, "INLINE_ROWS", 0)  # every send counts as large
    first = _channel(client, cast, name="一群", kind="webhook", url=http_receiver.url("/a"))
    second = _channel(client, cast, name="二群", kind="webhook", url=http_receiver.url("/b"))
    message_id = _send(client, cast, first, channel_ids=[first, second])
    assert sorted(r.path for r in http_receiver.requests) == ["/a", "/b"]
    runs = session.execute(select(JobRun.job_name, JobRun.run_key, JobRun.outcome)).all()
    assert ("messages.fanout", f"message:{message_id}", "ok") in runs
    rows = _rows(session, message_id)
    assert {r.state for r in rows} == {"sent"}
    for row in rows:
        assert ("messages.deliver", f"outbox:{row.id}:0", "ok") in runs
