"""The outbox: one row per delivery to an outside channel, and its state machine.

``queued`` → ``sending`` (claimed by one worker, ``attempts`` + 1) → ``sent``, or back to
``queued`` after a failure that a retry may mend (the job raises and the job system retries it
with back-off), or ``failed`` (a final error, or the last attempt). Every change is a
conditional update in a short transaction of its own, so of two workers handed the same row
only one sends it, and a job run again for a ``sent`` row does nothing: no double sends.

A row left in ``sending`` (its worker died between claim and result) is not sent again: the
message may have left. After ``sending_stale_minutes`` it is failed with 发送中断, and an
administrator may retry it (a new generation: ``queued``, attempts from zero).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core import outbound
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.errors import InvalidState
from citybrain.messages import rules, secrets
from citybrain.messages.channels import robots, smtp, webhook
from citybrain.messages.channels.base import (
    ChannelKind,
    DeliveryError,
    MessageFormat,
    Outgoing,
    SmtpSecurity,
)
from citybrain.messages.config import MessagesSettings
from citybrain.messages.models import Message, MessageChannel, MessageContact, MessageOutbox

log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")


class State(StrEnum):
    queued = "queued"
    sending = "sending"
    sent = "sent"
    failed = "failed"


class Outcome(StrEnum):
    sent = "sent"
    retry = "retry"  # failed, attempts left: the caller raises so the job system retries
    failed = "failed"
    skipped = "skipped"  # not this worker's to send (done, failed, or sending elsewhere)
    interrupted = "interrupted"  # found stuck in ``sending``: failed without resending


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    error: str = ""


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def claim(factory: sessionmaker[Session], outbox_id: int) -> int | None:
    """``queued`` → ``sending``; the attempt number, or None when the row was not queued."""
    now = utcnow()
    with factory() as session, session.begin():
        result = session.execute(
            update(MessageOutbox)
            .where(MessageOutbox.id == outbox_id, MessageOutbox.state == State.queued.value)
            .values(
                state=State.sending.value,
                attempts=MessageOutbox.attempts + 1,
                claimed_at=now,
                updated_at=now,
            )
        )
        if not _rowcount(result):
            return None
        attempts: int = session.execute(
            select(MessageOutbox.attempts).where(MessageOutbox.id == outbox_id)
        ).scalar_one()
        return attempts


def _settle(
    factory: sessionmaker[Session],
    outbox_id: int,
    state: State,
    error: str = "",
    *,
    retry_in: timedelta | None = None,
) -> bool:
    """``sending`` → ``state``; False when the row was no longer ``sending``. ``retry_in``: when
    the next attempt is due (a ``queued`` row the sweep must not take before then)."""
    now = utcnow()
    values: dict[str, object] = {
        "state": state.value,
        "updated_at": now,
        "last_error": error[:2000],
    }
    if state is State.sent:
        values["sent_at"] = now
    if retry_in is not None:
        values["next_attempt_at"] = now + retry_in
    with factory() as session, session.begin():
        result = session.execute(
            update(MessageOutbox)
            .where(MessageOutbox.id == outbox_id, MessageOutbox.state == State.sending.value)
            .values(**values)
        )
        return bool(_rowcount(result))


def _fail_if_stale(factory: sessionmaker[Session], outbox_id: int, stale_after: timedelta) -> bool:
    now = utcnow()
    with factory() as session, session.begin():
        result = session.execute(
            update(MessageOutbox)
            .where(
                MessageOutbox.id == outbox_id,
                MessageOutbox.state == State.sending.value,
                MessageOutbox.claimed_at < now - stale_after,
            )
            .values(
                state=State.failed.value,
                updated_at=now,
                last_error="发送中断 (进程退出), 结果不明, 未自动重发; 可由管理员重试",
            )
        )
        return bool(_rowcount(result))


@dataclass(frozen=True, slots=True)
class _Job:
    outbox_id: int
    kind: ChannelKind
    options: dict[str, object]
    secrets: dict[str, str]
    item: Outgoing
    email: str | None


def _load(session: Session, outbox_id: int, settings: Settings, config: MessagesSettings) -> _Job:
    row = session.get(MessageOutbox, outbox_id)
    message = session.get(Message, row.message_id) if row else None
    channel = session.get(MessageChannel, row.channel_id) if row else None
    if row is None or message is None or channel is None:
        raise DeliveryError("消息或渠道已删除", code="channel_gone", permanent=True)
    if not channel.enabled:
        raise DeliveryError(f"渠道“{channel.name}”已停用", code="channel_disabled", permanent=True)
    try:
        kind = ChannelKind(channel.kind)
        sealed = secrets.unseal(settings, channel.secret_token)
    except (ValueError, InvalidState) as exc:
        raise DeliveryError(str(exc), code="channel_unusable", permanent=True) from None
    email = None
    if kind is ChannelKind.email:
        contact = session.get(MessageContact, row.user_id) if row.user_id else None
        email = secrets.unseal_email(settings, contact.email_token) if contact else None
        if not email:
            raise DeliveryError("收件人未设置邮箱", code="no_email", permanent=True)
    kind_title = rules.KIND_TITLES.get(rules.MessageKind(message.kind), message.kind)
    item = Outgoing(
        message_id=message.id,
        kind=message.kind,
        kind_title=kind_title,
        title=message.title,
        body=message.body,
        link=rules.absolute_link(message.link, config.public_base_url),
        sender=message.sender_name,
        sent_at=message.created_at.astimezone(CHINA).isoformat(timespec="seconds"),
    )
    options = json.loads(channel.settings or "{}")
    return _Job(outbox_id, kind, options, sealed, item, email)


def _send(job: _Job, settings: Settings, config: MessagesSettings) -> None:
    allowed = outbound.parse_networks(settings.outbound_allowed_networks)
    secret = job.secrets.get("secret", "")
    if job.kind is ChannelKind.email:
        mail = smtp.compose(
            job.item,
            sender=str(job.options.get("from_address", "")),
            sender_name=str(job.options.get("from_name", "")),
            to=job.email or "",
            delivery_id=job.outbox_id,
        )
        smtp.send(
            mail,
            host=str(job.options.get("smtp_host", "")),
            port=int(str(job.options.get("smtp_port", 465))),
            security=SmtpSecurity(str(job.options.get("smtp_security", "ssl"))),
            username=str(job.options.get("smtp_username", "")),
            password=secret,
            allowed=allowed,
            timeout=config.smtp_timeout_seconds,
        )
        return
    fmt = MessageFormat(str(job.options.get("format", MessageFormat.markdown.value)))
    now = time.time()
    if job.kind is ChannelKind.wecom:
        request = robots.wecom(job.item, fmt)
    elif job.kind is ChannelKind.dingtalk:
        request = robots.dingtalk(job.item, fmt, secret=secret, now_ms=int(now * 1000))
    elif job.kind is ChannelKind.feishu:
        request = robots.feishu(job.item, fmt, secret=secret, now_s=int(now))
    else:
        request = robots.generic(job.item, secret=secret, now_s=int(now), delivery_id=job.outbox_id)
    answer = webhook.post(
        job.secrets.get("url", ""),
        content=request.content(),
        params=request.params,
        headers=request.headers,
        allowed=allowed,
        timeout=config.webhook_timeout_seconds,
    )
    if job.kind in robots.TRANSIENT_CODES:
        error = robots.robot_error(job.kind, answer.content)
        if error is not None:
            code, text = error
            raise DeliveryError(
                f"机器人拒绝: {code} {text}",
                code="robot_error",
                permanent=code not in robots.TRANSIENT_CODES[job.kind],
            )


def send_test(
    channel: MessageChannel, *, settings: Settings, config: MessagesSettings, email: str | None
) -> None:
    """Send a test message through ``channel`` now (the administrator's 测试 button). Raises
    DeliveryError with the reason; nothing is stored."""
    try:
        kind = ChannelKind(channel.kind)
        sealed = secrets.unseal(settings, channel.secret_token)
    except (ValueError, InvalidState) as exc:
        raise DeliveryError(str(exc), code="channel_unusable", permanent=True) from None
    if kind is ChannelKind.email and not email:
        raise DeliveryError("请填写测试邮件的收件地址", code="no_email", permanent=True)
    item = Outgoing(
        message_id=0,
        kind=rules.MessageKind.system.value,
        kind_title=rules.KIND_TITLES[rules.MessageKind.system],
        title=f"渠道测试: {channel.name}",
        body="这是一条测试消息, 收到即表示渠道配置正确。",
        link=None,
        sender="城市大脑消息中心",
        sent_at=utcnow().astimezone(CHINA).isoformat(timespec="seconds"),
    )
    options = json.loads(channel.settings or "{}")
    _send(_Job(0, kind, options, sealed, item, email), settings, config)


def deliver(
    factory: sessionmaker[Session], outbox_id: int, *, settings: Settings, config: MessagesSettings
) -> Result:
    """Make one attempt at outbox row ``outbox_id`` if it is ``queued`` (see the module doc).
    Never raises for a delivery failure: the result says whether to retry."""
    attempt = claim(factory, outbox_id)
    if attempt is None:
        stale = timedelta(minutes=config.sending_stale_minutes)
        if _fail_if_stale(factory, outbox_id, stale):
            log.warning("outbox %s was left sending; failed without resending", outbox_id)
            return Result(Outcome.interrupted)
        return Result(Outcome.skipped)
    try:
        with factory() as session:
            job = _load(session, outbox_id, settings, config)
        _send(job, settings, config)
    except DeliveryError as exc:
        final = exc.permanent or attempt >= config.delivery_attempts
        error = f"[{exc.code}] {exc.message}"
        log.info("outbox %s attempt %s failed (%s): %s", outbox_id, attempt, exc.code, exc.message)
    except Exception as exc:  # a bug or an unforeseen library error: retried like a network error
        log.exception("outbox %s attempt %s raised", outbox_id, attempt)
        final, error = attempt >= config.delivery_attempts, repr(exc)[:500]
    else:
        _settle(factory, outbox_id, State.sent)
        return Result(Outcome.sent)
    if final:
        _settle(factory, outbox_id, State.failed, error)
        return Result(Outcome.failed, error)
    _settle(factory, outbox_id, State.queued, error, retry_in=retry_delay(config, attempt))
    return Result(Outcome.retry, error)


def retry_delay(config: MessagesSettings, attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` (1, 2, …): the job system's own back-off."""
    return timedelta(seconds=config.retry_delay_seconds * config.backoff ** max(attempt - 1, 0))


def overdue_ids(
    factory: sessionmaker[Session], *, grace: timedelta, limit: int = 500
) -> list[tuple[int, int]]:
    """(id, generation) of rows still ``queued`` more than ``grace`` after their attempt was
    due: their job was never queued (a crash right after commit, a sender without a job system)
    or got lost."""
    cutoff = utcnow() - grace
    with factory() as session:
        rows = session.execute(
            select(MessageOutbox.id, MessageOutbox.generation)
            .where(
                MessageOutbox.state == State.queued.value, MessageOutbox.next_attempt_at < cutoff
            )
            .order_by(MessageOutbox.id)
            .limit(limit)
        )
        return [(int(i), int(g)) for i, g in rows]


def queued_of(factory: sessionmaker[Session], message_id: int) -> list[tuple[int, int]]:
    """(id, generation) of a message's rows still ``queued``."""
    with factory() as session:
        rows = session.execute(
            select(MessageOutbox.id, MessageOutbox.generation)
            .where(
                MessageOutbox.message_id == message_id, MessageOutbox.state == State.queued.value
            )
            .order_by(MessageOutbox.id)
        )
        return [(int(i), int(g)) for i, g in rows]


def stale_sending_ids(factory: sessionmaker[Session], *, older_than: timedelta) -> list[int]:
    cutoff = utcnow() - older_than
    with factory() as session:
        return list(
            session.execute(
                select(MessageOutbox.id).where(
                    MessageOutbox.state == State.sending.value, MessageOutbox.claimed_at < cutoff
                )
            ).scalars()
        )
