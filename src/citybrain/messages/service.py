"""Commands of the inbox and of sending. Every function flushes, never commits; deliveries to
outside channels and live updates leave after commit (``tasks``, ``live``).

Other modules send through :func:`send` (or :func:`send_templated`)::

    from citybrain.messages import service as messages
    from citybrain.messages.audience import Audience

    messages.send(session, scope=Scope.system(), sender=None,
                  audience=Audience(regions=("620722104",), roles=("gridworker",)),
                  title="红色预警: 日降雨量", body="...", kind="warning",
                  link="/indicators/warnings/7")
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from citybrain.core import domain_events
from citybrain.core.audit import service as audit
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.context import settings_of
from citybrain.core.db import UtcDateTime
from citybrain.core.errors import BadInput, InvalidState, NotFound
from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.messages import audience as audiences
from citybrain.messages import rules, secrets, templates
from citybrain.messages.audience import Audience
from citybrain.messages.channels.base import ChannelKind
from citybrain.messages.config import get_messages_settings
from citybrain.messages.delivery import State
from citybrain.messages.models import (
    Message,
    MessageChannel,
    MessageContact,
    MessageOutbox,
    MessageReceipt,
    MessageTemplate,
)

OUTBOX_EVENT = "messages.outbox_queued"
"""Domain event after commit: ``rows`` [(outbox id, generation)] to hand to the job system."""
INBOX_EVENT = "messages.inbox_changed"
"""Domain event after commit: ``user_ids`` whose inbox changed (None: look for new rows)."""
JOBS_KEY = "citybrain.messages.jobs"
"""``session.info`` key of the job system to queue deliveries on (``tasks.bind``)."""
_EMAIL = re.compile(
    r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$"
)


@dataclass(frozen=True, slots=True)
class Sent:
    message: Message
    recipient_count: int
    outbox_count: int


def _sender_of(sender: Principal | None) -> tuple[int | None, str]:
    if sender is None:
        return None, "系统"
    if sender.kind == "user":
        return sender.id, sender.name
    return None, f"apikey:{sender.name}"


def _channels(session: Session, ids: Sequence[int], scope: Scope) -> list[MessageChannel]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = {
        c.id: c
        for c in session.execute(
            select(MessageChannel).where(MessageChannel.id.in_(wanted))
        ).scalars()
    }
    found = []
    for channel_id in wanted:
        channel = rows.get(channel_id)
        if channel is None or not (
            scope.unrestricted or rules.related(scope.region_code, channel.region_code)
        ):
            raise NotFound(
                f"消息渠道 {channel_id} 不存在", code="channel_not_found", detail=channel_id
            )
        if not channel.enabled:
            raise InvalidState(
                f"消息渠道“{channel.name}”已停用", code="channel_disabled", detail=channel_id
            )
        found.append(channel)
    return found


def _check_text(title: str, body: str) -> tuple[str, str]:
    clean_title, clean_body = title.strip(), body.strip()
    if not clean_title or len(clean_title) > templates.MAX_TITLE_CHARS:
        raise BadInput("消息标题应为 1–200 个字符", code="bad_message", detail="title")
    if len(clean_body) > templates.MAX_BODY_CHARS:
        raise BadInput("消息正文不得超过 20000 个字符", code="bad_message", detail="body")
    return clean_title, clean_body


def send(
    session: Session,
    *,
    scope: Scope,
    sender: Principal | None,
    audience: Audience,
    title: str,
    body: str,
    kind: str = rules.MessageKind.notice,
    link: str | None = None,
    channels: Sequence[int] = (),
    template_id: int | None = None,
) -> Sent:
    """Put a message in the inbox of every recipient of ``audience`` (see ``audience``) and
    queue one delivery per outside channel in ``channels`` (per recipient with an e-mail
    address for e-mail, one per group robot or webhook).

    Invariants: recipients are active accounts inside ``scope``'s region (``Scope.system()``
    for the installation itself); the message, its inbox rows, its outbox rows and the audit
    record ``messages.send`` are written in the caller's transaction, and nothing leaves
    before it commits. Raises BadInput (``bad_message``, ``bad_message_kind``,
    ``bad_message_link``, ``audience_empty``, ``audience_no_recipients``,
    ``audience_too_large``, ``role_not_found``, region-code errors), PermissionDenied
    ``audience_out_of_scope``, NotFound ``channel_not_found``, InvalidState
    ``channel_disabled``."""
    checked_kind = rules.check_kind(kind)
    checked_link = rules.check_link(link)
    clean_title, clean_body = _check_text(title, body)
    resolved = audiences.resolve(session, audience, scope=scope)
    used = _channels(session, channels, scope)
    count = audiences.count(session, resolved)
    if count == 0:
        raise BadInput("接收范围内没有在用的账号", code="audience_no_recipients")
    limit = get_messages_settings().max_recipients
    if count > limit:
        raise BadInput(
            f"接收人数 {count} 超过上限 {limit}", code="audience_too_large", detail=count
        )
    now = utcnow()
    sender_id, sender_name = _sender_of(sender)
    message = Message(
        kind=checked_kind.value,
        title=clean_title,
        body=clean_body,
        link=checked_link,
        sender_user_id=sender_id,
        sender_name=sender_name[:128],
        region_code="" if scope.unrestricted else scope.region_code,
        audience=json.dumps(resolved.audience.as_dict(), ensure_ascii=False),
        channel_ids=json.dumps([c.id for c in used]),
        template_id=template_id,
        recipient_count=count,
        created_at=now,
    )
    session.add(message)
    session.flush()
    recipients = resolved.recipients.subquery()
    stamp = literal(now, UtcDateTime())
    session.execute(
        insert(MessageReceipt).from_select(
            ["message_id", "user_id", "delivered_at"],
            select(literal(message.id), recipients.c.id, stamp),
        )
    )
    for channel in used:
        columns = [
            "message_id",
            "channel_id",
            "user_id",
            "state",
            "attempts",
            "generation",
            "last_error",
            "created_at",
            "updated_at",
            "next_attempt_at",
        ]
        base = (literal(message.id), literal(channel.id))
        tail = (
            literal(State.queued.value),
            literal(0),
            literal(0),
            literal(""),
            stamp,
            stamp,
            stamp,
        )
        if channel.kind == ChannelKind.email.value:
            rows = select(*base, MessageContact.user_id, *tail).where(
                MessageContact.user_id.in_(select(recipients.c.id))
            )
        else:
            rows = select(*base, null(), *tail)
        session.execute(insert(MessageOutbox).from_select(columns, rows))
    queued = [
        (int(i), int(g))
        for i, g in session.execute(
            select(MessageOutbox.id, MessageOutbox.generation).where(
                MessageOutbox.message_id == message.id
            )
        )
    ]
    audit.record(
        session,
        action="messages.send",
        object_type="message",
        object_id=str(message.id),
        region_code=message.region_code or None,
        detail={
            "title": clean_title,
            "kind": checked_kind.value,
            "recipient_count": count,
            "audience": resolved.audience.as_dict(),
            "channels": [c.name for c in used],
            "template": template_id,
        },
    )
    if queued:
        queue_after_commit(session, queued, message_id=message.id)
    domain_events.publish(session, INBOX_EVENT, user_ids=None)
    return Sent(message, count, len(queued))


def queue_after_commit(
    session: Session, rows: list[tuple[int, int]], *, message_id: int | None = None
) -> None:
    """Hand outbox rows (id, generation) of one message to the job system once the
    transaction commits."""
    domain_events.publish(
        session,
        OUTBOX_EVENT,
        rows=rows,
        message_id=message_id,
        jobs=session.info.get(JOBS_KEY),
        bind=session.get_bind(),
    )


def send_templated(
    session: Session,
    *,
    scope: Scope,
    sender: Principal | None,
    audience: Audience,
    template: int | str,
    variables: Mapping[str, Any],
    kind: str | None = None,
    link: str | None = None,
    channels: Sequence[int] = (),
) -> Sent:
    """:func:`send` with the title and body rendered from a stored template (by id or code),
    which must be on ``scope``'s line. Raises what :func:`send` raises, NotFound
    ``template_not_found``, and BadInput ``template_variable_missing`` /
    ``template_render_failed`` / ``template_unsafe`` / ``template_too_long``."""
    row = get_template(session, template, scope=scope)
    rendered = templates.render(row.title_template, row.body_template, variables)
    return send(
        session,
        scope=scope,
        sender=sender,
        audience=audience,
        title=rendered.title,
        body=rendered.body,
        kind=kind or row.kind,
        link=link,
        channels=channels,
        template_id=row.id,
    )


def get_template(session: Session, template: int | str, *, scope: Scope) -> MessageTemplate:
    """The template with this id or code, if it lies on ``scope``'s line (its region or above).
    Raises NotFound ``template_not_found`` otherwise."""
    column = MessageTemplate.id if isinstance(template, int) else MessageTemplate.code
    row = session.execute(select(MessageTemplate).where(column == template)).scalar_one_or_none()
    if row is None or not (scope.unrestricted or rules.related(scope.region_code, row.region_code)):
        raise NotFound(f"消息模板 {template} 不存在", code="template_not_found", detail=template)
    return row


def unread_count(session: Session, *, user_id: int) -> int:
    return int(
        session.execute(
            select(func.count())
            .select_from(MessageReceipt)
            .where(MessageReceipt.user_id == user_id, MessageReceipt.read_at.is_(None))
        ).scalar_one()
    )


def mark_read(
    session: Session, *, user_id: int, message_ids: Sequence[int] | None
) -> tuple[int, int]:
    """Mark the user's own inbox rows read (``message_ids``; None: all of them) and return
    (rows changed, unread left). A row already read keeps its first read time (the receipt).
    Raises NotFound ``message_not_found`` when a named message is not in this user's inbox."""
    query = update(MessageReceipt).where(
        MessageReceipt.user_id == user_id, MessageReceipt.read_at.is_(None)
    )
    if message_ids is not None:
        wanted = list(dict.fromkeys(message_ids))
        held = set(
            session.execute(
                select(MessageReceipt.message_id).where(
                    MessageReceipt.user_id == user_id, MessageReceipt.message_id.in_(wanted)
                )
            ).scalars()
        )
        missing = [i for i in wanted if i not in held]
        if missing:
            raise NotFound("消息不存在", code="message_not_found", detail=missing[:20])
        query = query.where(MessageReceipt.message_id.in_(wanted))
    result = session.execute(
        query.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        domain_events.publish(session, INBOX_EVENT, user_ids=[user_id])
    return changed, unread_count(session, user_id=user_id)


def get_contact(session: Session, *, user_id: int, settings: Settings | None = None) -> str | None:
    row = session.get(MessageContact, user_id)
    if row is None:
        return None
    return secrets.unseal_email(settings or settings_of(session), row.email_token)


def set_contact(
    session: Session, *, user_id: int, email: str | None, settings: Settings | None = None
) -> str | None:
    """Set (or, with None or blank, clear) the user's own notification address; stored
    encrypted. Raises BadInput ``bad_email``. Audited as ``messages.contact.update`` without
    the address."""
    settings = settings or settings_of(session)
    value = (email or "").strip()
    if value and not _EMAIL.match(value):
        raise BadInput("邮箱格式不正确", code="bad_email")
    row = session.get(MessageContact, user_id)
    if not value:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            MessageContact(
                user_id=user_id,
                email_token=secrets.seal_email(settings, value),
                updated_at=utcnow(),
            )
        )
    else:
        row.email_token = secrets.seal_email(settings, value)
        row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="messages.contact.update",
        object_type="message_contact",
        object_id=str(user_id),
        detail={"set": bool(value)},
    )
    return value or None


def check_email(value: str) -> str:
    clean = value.strip()
    if not _EMAIL.match(clean):
        raise BadInput("邮箱格式不正确", code="bad_email")
    return clean
