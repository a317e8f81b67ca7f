"""Messages, inbox rows (receipts), channels, templates, tags and the delivery outbox
(SQLAlchemy only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from citybrain.core.db import Base


class Message(Base):
    """One sent message (通知、预警、事件提醒): what was said, by whom, to which audience.
    ``region_code`` is the scope it was sent under (empty for the system); ``audience`` and
    ``channel_ids`` keep the request as JSON for the sender's screens."""

    __tablename__ = "message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # rules.MessageKind
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    sender_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("iam_user.id", ondelete="SET NULL"), index=True, default=None
    )
    sender_name: Mapped[str] = mapped_column(String(128))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    audience: Mapped[str] = mapped_column(Text, default="{}")
    channel_ids: Mapped[str] = mapped_column(Text, default="[]")
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("message_template.id", ondelete="SET NULL"), default=None
    )
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class MessageReceipt(Base):
    """A message in one user's inbox; ``read_at`` is the read receipt (已读回执)."""

    __tablename__ = "message_receipt"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id"),
        # the inbox page and the unread badge: one user's rows, newest first / unread only
        Index("ix_message_receipt_user_id_read_at", "user_id", "read_at"),
        Index("ix_message_receipt_user_id_message_id", "user_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("iam_user.id", ondelete="CASCADE"))
    delivered_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class MessageChannel(Base):
    """An outside channel (e-mail server, group robot, JSON webhook) set up by a system
    administrator of ``region_code``. ``settings`` is plain JSON (host, port, from address,
    message format); ``secret_token`` is the encrypted JSON of the secrets (webhook address with
    its access token, signing secret, SMTP password), never answered."""

    __tablename__ = "message_channel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # channels.base.ChannelKind
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    settings: Mapped[str] = mapped_column(Text, default="{}")
    target: Mapped[str] = mapped_column(String(253), default="")  # the host, for screens
    secret_token: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class MessageTemplate(Base):
    """A reusable title and body in the Jinja2 sandbox (``templates``), checked when saved."""

    __tablename__ = "message_template"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    title_template: Mapped[str] = mapped_column(Text)
    body_template: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class MessageTag(Base):
    """A named list of users to push to (防汛值班组, 安全生产联络员), kept by an administrator."""

    __tablename__ = "message_tag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(15), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class MessageTagMember(Base):
    __tablename__ = "message_tag_member"

    tag_id: Mapped[int] = mapped_column(
        ForeignKey("message_tag.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class MessageOutbox(Base):
    """One delivery to an outside channel, written in the transaction of its message and sent
    after commit by a job. ``state``: queued → sending → sent | failed (``delivery.State``);
    ``attempts`` counts claims in the current ``generation`` (an administrator's retry starts
    a new one, so the job of the new generation is a run of its own). ``user_id`` names the
    recipient of an e-mail; a group robot has none."""

    __tablename__ = "message_outbox"
    # the sweep: rows still queued after their next attempt was due
    __table_args__ = (Index("ix_message_outbox_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("message_channel.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), default=None
    )
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class MessageContact(Base):
    """A user's e-mail address for the e-mail channel, set by the user; encrypted with the
    field cipher (context ``messages.email``)."""

    __tablename__ = "message_contact"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("iam_user.id", ondelete="CASCADE"), primary_key=True
    )
    email_token: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]
