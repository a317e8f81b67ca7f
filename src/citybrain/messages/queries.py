"""Reads of the inbox and of what a sender sent: a user's own messages, a sender's messages
with their read receipts and delivery states. Counts are computed in SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.iam.models import User
from citybrain.messages import rules
from citybrain.messages.models import Message, MessageChannel, MessageOutbox, MessageReceipt
from citybrain.messages.schemas import (
    InboxDetail,
    InboxFilter,
    InboxItem,
    InboxPage,
    MessageDeliveryCount,
    ReceiptFilter,
    ReceiptPage,
    ReceiptRead,
    SentDetail,
    SentItem,
    SentPage,
)
from citybrain.messages.service import unread_count


def _kind_title(kind: str) -> str:
    try:
        return rules.KIND_TITLES[rules.MessageKind(kind)]
    except ValueError:
        return kind


# -- the inbox ---------------------------------------------------------------------------------


def _item(message: Message, receipt: MessageReceipt) -> InboxItem:
    return InboxItem(
        message_id=message.id,
        kind=message.kind,
        kind_title=_kind_title(message.kind),
        title=message.title,
        sender_name=message.sender_name,
        created_at=message.created_at,
        read_at=receipt.read_at,
        link=message.link,
    )


def inbox(session: Session, *, user_id: int, filters: InboxFilter, page: PageParams) -> InboxPage:
    """The user's own messages, newest first."""
    query = (
        select(MessageReceipt, Message)
        .join(Message, Message.id == MessageReceipt.message_id)
        .where(MessageReceipt.user_id == user_id)
        .order_by(MessageReceipt.message_id.desc())
    )
    if filters.unread is not None:
        column = MessageReceipt.read_at
        query = query.where(column.is_(None) if filters.unread else column.is_not(None))
    if filters.kind is not None:
        query = query.where(Message.kind == filters.kind.value)
    if filters.q:
        query = query.where(Message.title.contains(filters.q.strip(), autoescape=True))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    offset = (page.page - 1) * page.size
    rows = session.execute(query.limit(page.size).offset(offset)).all()
    return InboxPage(
        items=[_item(message, receipt) for receipt, message in rows],
        total=int(total),
        page=page.page,
        size=page.size,
        unread=unread_count(session, user_id=user_id),
    )


def inbox_detail(session: Session, *, user_id: int, message_id: int) -> InboxDetail:
    """One message of the user's own inbox; NotFound ``message_not_found`` for any other."""
    row = session.execute(
        select(MessageReceipt, Message)
        .join(Message, Message.id == MessageReceipt.message_id)
        .where(MessageReceipt.user_id == user_id, MessageReceipt.message_id == message_id)
    ).first()
    if row is None:
        raise NotFound("消息不存在", code="message_not_found", detail=message_id)
    receipt, message = row
    return InboxDetail(**_item(message, receipt).model_dump(), body=message.body)


def newest_unread(session: Session, *, user_id: int) -> InboxItem | None:
    row = session.execute(
        select(MessageReceipt, Message)
        .join(Message, Message.id == MessageReceipt.message_id)
        .where(MessageReceipt.user_id == user_id, MessageReceipt.read_at.is_(None))
        .order_by(MessageReceipt.message_id.desc())
        .limit(1)
    ).first()
    return _item(row[1], row[0]) if row is not None else None


# -- what a sender sent ------------------------------------------------------------------------


def _read_counts(session: Session, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(MessageReceipt.message_id, func.count())
        .where(MessageReceipt.message_id.in_(ids), MessageReceipt.read_at.is_not(None))
        .group_by(MessageReceipt.message_id)
    )
    return {int(m): int(n) for m, n in rows}


def _channel_names(session: Session, messages: Sequence[Message]) -> dict[int, str]:
    ids = {i for m in messages for i in json.loads(m.channel_ids or "[]")}
    if not ids:
        return {}
    rows = session.execute(
        select(MessageChannel.id, MessageChannel.name).where(MessageChannel.id.in_(ids))
    )
    return {int(i): str(n) for i, n in rows}


def _sent_item(message: Message, reads: dict[int, int], names: dict[int, str]) -> SentItem:
    return SentItem(
        id=message.id,
        kind=message.kind,
        kind_title=_kind_title(message.kind),
        title=message.title,
        created_at=message.created_at,
        recipient_count=message.recipient_count,
        read_count=reads.get(message.id, 0),
        channel_names=[names.get(i, f"#{i}") for i in json.loads(message.channel_ids or "[]")],
    )


def sent(session: Session, *, sender_id: int, page: PageParams) -> SentPage:
    """The messages this user sent, newest first, with how many recipients read each."""
    query = select(Message).where(Message.sender_user_id == sender_id).order_by(Message.id.desc())
    rows, total = paginate(session, query, page)
    reads, names = _read_counts(session, [m.id for m in rows]), _channel_names(session, rows)
    return SentPage(
        items=[_sent_item(m, reads, names) for m in rows],
        total=total,
        page=page.page,
        size=page.size,
    )


def _own_message(session: Session, *, sender_id: int, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None or message.sender_user_id != sender_id:
        raise NotFound("消息不存在", code="message_not_found", detail=message_id)
    return message


def sent_detail(session: Session, *, sender_id: int, message_id: int) -> SentDetail:
    """A message this user sent, with its read count and the state of its deliveries;
    NotFound ``message_not_found`` for a message someone else sent."""
    message = _own_message(session, sender_id=sender_id, message_id=message_id)
    states = session.execute(
        select(MessageOutbox.state, func.count())
        .where(MessageOutbox.message_id == message.id)
        .group_by(MessageOutbox.state)
        .order_by(MessageOutbox.state)
    )
    item = _sent_item(
        message, _read_counts(session, [message.id]), _channel_names(session, [message])
    )
    return SentDetail(
        **item.model_dump(),
        body=message.body,
        link=message.link,
        audience=json.loads(message.audience or "{}"),
        deliveries=[MessageDeliveryCount(state=str(s), count=int(n)) for s, n in states],
    )


def receipts(
    session: Session, *, sender_id: int, message_id: int, filters: ReceiptFilter, page: PageParams
) -> ReceiptPage:
    """Who received a message this user sent and when each read it (已读回执)."""
    message = _own_message(session, sender_id=sender_id, message_id=message_id)
    query = (
        select(MessageReceipt, User)
        .join(User, User.id == MessageReceipt.user_id)
        .where(MessageReceipt.message_id == message.id)
        .order_by(MessageReceipt.read_at.is_(None), MessageReceipt.read_at, User.username_key)
    )
    if filters.read is not None:
        column = MessageReceipt.read_at
        query = query.where(column.is_not(None) if filters.read else column.is_(None))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.limit(page.size).offset((page.page - 1) * page.size)).all()
    items = [
        ReceiptRead(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name or user.username,
            region_code=user.region_code,
            delivered_at=receipt.delivered_at,
            read_at=receipt.read_at,
        )
        for receipt, user in rows
    ]
    return ReceiptPage(items=items, total=int(total), page=page.page, size=page.size)
