"""Reads of the administrator's side and of the sender's pickers: channels (never a secret),
templates, tags, deliveries, and the accounts and roles a sender may address. Everything is
confined to the caller's line (its region, below, and the ancestors' shared set-up)."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from citybrain.core.errors import NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.core.scope import Scope
from citybrain.iam.models import Role, User
from citybrain.iam.permissions import ROLE_TITLES
from citybrain.messages import audience as audiences
from citybrain.messages import rules
from citybrain.messages.audience import Audience
from citybrain.messages.channels.base import KIND_TITLES as CHANNEL_TITLES
from citybrain.messages.channels.base import ChannelKind
from citybrain.messages.models import (
    Message,
    MessageChannel,
    MessageOutbox,
    MessageTag,
    MessageTagMember,
    MessageTemplate,
)
from citybrain.messages.schemas import (
    AudiencePreview,
    AudienceRole,
    AudienceUser,
    ChannelOption,
    ChannelPage,
    ChannelRead,
    MessageDeliveryFilter,
    MessageDeliveryPage,
    MessageDeliveryRead,
    TagRead,
    TemplateRead,
)
from citybrain.regions import queries as region_queries

# -- the administrator's lists -----------------------------------------------------------------


def _line(scope: Scope, column: object) -> ColumnElement[bool]:
    """``column`` (a region code) lies on the caller's line: its subtree or an ancestor."""
    if scope.unrestricted:
        return true()
    within = region_queries.within_scope(column, scope.region_code)  # type: ignore[arg-type]
    above = rules.related_codes(scope.region_code)
    return or_(within, column.in_(above)) if above else within  # type: ignore[attr-defined]


def channel_read(channel: MessageChannel) -> ChannelRead:
    options = json.loads(channel.settings or "{}")
    kind = ChannelKind(channel.kind)
    email = kind is ChannelKind.email
    return ChannelRead(
        id=channel.id,
        name=channel.name,
        kind=channel.kind,
        kind_title=CHANNEL_TITLES[kind],
        region_code=channel.region_code,
        enabled=channel.enabled,
        target=channel.target,
        url_set=not email,
        secret_set=bool(channel.secret_token) and _has_secret(channel),
        format=str(options.get("format", "text" if email else "markdown")),
        smtp_port=options.get("smtp_port") if email else None,
        smtp_security=options.get("smtp_security") if email else None,
        smtp_username=str(options.get("smtp_username", "")),
        from_address=str(options.get("from_address", "")),
        from_name=str(options.get("from_name", "")),
        created_by=channel.created_by,
        created_at=channel.created_at,
        updated_by=channel.updated_by,
        updated_at=channel.updated_at,
    )


def _has_secret(channel: MessageChannel) -> bool:
    # The settings record which secrets are set, so a read needs no decryption.
    return bool(json.loads(channel.settings or "{}").get("secret_set", False))


def channels(session: Session, *, scope: Scope, page: PageParams) -> ChannelPage:
    query: Select[MessageChannel] = (
        select(MessageChannel)
        .where(_line(scope, MessageChannel.region_code))
        .order_by(MessageChannel.name)
    )
    rows, total = paginate(session, query, page)
    return ChannelPage(
        items=[channel_read(c) for c in rows], total=total, page=page.page, size=page.size
    )


def channel_options(session: Session, *, scope: Scope) -> list[ChannelOption]:
    """The enabled channels a sender may choose."""
    rows = session.execute(
        select(MessageChannel)
        .where(_line(scope, MessageChannel.region_code), MessageChannel.enabled.is_(True))
        .order_by(MessageChannel.name)
    ).scalars()
    return [
        ChannelOption(
            id=c.id, name=c.name, kind=c.kind, kind_title=CHANNEL_TITLES[ChannelKind(c.kind)]
        )
        for c in rows
    ]


def templates(session: Session, *, scope: Scope) -> list[TemplateRead]:
    rows = session.execute(
        select(MessageTemplate)
        .where(_line(scope, MessageTemplate.region_code))
        .order_by(MessageTemplate.code)
    ).scalars()
    return [TemplateRead.model_validate(row) for row in rows]


def tags(session: Session, *, scope: Scope) -> list[TagRead]:
    counts = (
        select(MessageTagMember.tag_id, func.count().label("n"))
        .group_by(MessageTagMember.tag_id)
        .subquery()
    )
    rows = session.execute(
        select(MessageTag, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.tag_id == MessageTag.id)
        .where(_line(scope, MessageTag.region_code))
        .order_by(MessageTag.name)
    )
    return [
        TagRead(
            id=t.id,
            name=t.name,
            region_code=t.region_code,
            description=t.description,
            member_count=int(n),
        )
        for t, n in rows
    ]


def tag_members(session: Session, *, tag_id: int, scope: Scope) -> list[AudienceUser]:
    tag = session.get(MessageTag, tag_id)
    if tag is None or not (scope.unrestricted or rules.related(scope.region_code, tag.region_code)):
        raise NotFound(f"推送标签 {tag_id} 不存在", code="tag_not_found", detail=tag_id)
    rows = session.execute(
        select(User)
        .join(MessageTagMember, MessageTagMember.user_id == User.id)
        .where(MessageTagMember.tag_id == tag.id, _users_in(scope))
        .order_by(User.username_key)
    ).scalars()
    return [_audience_user(u) for u in rows]


def _deliveries_query() -> Select[MessageOutbox, str, str]:
    return (
        select(MessageOutbox, MessageChannel.name, Message.title)
        .join(MessageChannel, MessageChannel.id == MessageOutbox.channel_id)
        .join(Message, Message.id == MessageOutbox.message_id)
    )


def _delivery(row: MessageOutbox, name: str, title: str) -> MessageDeliveryRead:
    return MessageDeliveryRead(
        id=row.id,
        message_id=row.message_id,
        message_title=title,
        channel_id=row.channel_id,
        channel_name=name,
        user_id=row.user_id,
        state=row.state,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
    )


def deliveries(
    session: Session, *, scope: Scope, filters: MessageDeliveryFilter, page: PageParams
) -> MessageDeliveryPage:
    """Deliveries on the channels the caller manages (its region and below), newest first."""
    managed = (
        true()
        if scope.unrestricted
        else region_queries.within_scope(MessageChannel.region_code, scope.region_code)
    )
    query = _deliveries_query().where(managed).order_by(MessageOutbox.id.desc())
    if filters.state:
        query = query.where(MessageOutbox.state == filters.state)
    if filters.channel_id:
        query = query.where(MessageOutbox.channel_id == filters.channel_id)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.limit(page.size).offset((page.page - 1) * page.size)).all()
    items = [_delivery(row, name, title) for row, name, title in rows]
    return MessageDeliveryPage(items=items, total=int(total), page=page.page, size=page.size)


def delivery_read(session: Session, outbox_id: int) -> MessageDeliveryRead:
    row, name, title = session.execute(
        _deliveries_query().where(MessageOutbox.id == outbox_id)
    ).one()
    return _delivery(row, name, title)


# -- the audience picker -----------------------------------------------------------------------


def _users_in(scope: Scope) -> ColumnElement[bool]:
    return (
        true()
        if scope.unrestricted
        else region_queries.within_scope(User.region_code, scope.region_code)
    )


def _audience_user(user: User) -> AudienceUser:
    return AudienceUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name or user.username,
        region_code=user.region_code,
    )


def audience_users(
    session: Session, *, scope: Scope, q: str | None, limit: int = 50
) -> list[AudienceUser]:
    """Active accounts inside the sender's region whose name contains ``q`` (at most 50)."""
    query = select(User).where(User.is_active.is_(True), _users_in(scope))
    if q and q.strip():
        text = q.strip()
        query = query.where(
            or_(
                User.username_key.contains(text.casefold(), autoescape=True),
                User.display_name.contains(text, autoescape=True),
            )
        )
    rows = session.execute(query.order_by(User.username_key).limit(limit)).scalars()
    return [_audience_user(u) for u in rows]


def preview(session: Session, *, audience: Audience, scope: Scope) -> AudiencePreview:
    """How many would receive a message for ``audience`` and the first 20 of them, checked
    as a send checks it (same errors)."""
    resolved = audiences.resolve(session, audience, scope=scope)
    ids = resolved.recipients.subquery()
    names = session.execute(
        select(User.display_name, User.username)
        .where(User.id.in_(select(ids.c.id)))
        .order_by(User.username_key)
        .limit(20)
    )
    return AudiencePreview(
        count=audiences.count(session, resolved), sample=[d or u for d, u in names]
    )


def audience_roles(session: Session) -> list[AudienceRole]:
    rows = session.execute(
        select(Role.name, Role.title_zh).order_by(Role.builtin.desc(), Role.name)
    )
    return [
        AudienceRole(name=str(n), title=str(t) or ROLE_TITLES.get(str(n), str(n))) for n, t in rows
    ]
