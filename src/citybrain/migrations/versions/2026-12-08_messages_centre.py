"""messages: the message centre — messages, inbox rows with read receipts, outside channels
(secrets encrypted), templates, push tags, the delivery outbox and users' notification e-mail.

Revision ID: 20261208_messages
Revises: 20261207_hardening
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_messages"
down_revision: str | None = "20261208_indicators"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "message_channel",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("target", sa.String(length=253), nullable=False),
        sa.Column("secret_token", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_channel")),
        sa.UniqueConstraint("name", name=op.f("uq_message_channel_name")),
    )
    with op.batch_alter_table("message_channel", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_channel_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "message_tag",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_tag")),
    )
    with op.batch_alter_table("message_tag", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_tag_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "message_template",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("title_template", sa.Text(), nullable=False),
        sa.Column("body_template", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_template")),
        sa.UniqueConstraint("code", name=op.f("uq_message_template_code")),
    )
    with op.batch_alter_table("message_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_template_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("sender_user_id", sa.Integer(), nullable=True),
        sa.Column("sender_name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("channel_ids", sa.Text(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sender_user_id"],
            ["iam_user.id"],
            name=op.f("fk_message_sender_user_id_iam_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["message_template.id"],
            name=op.f("fk_message_template_id_message_template"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_region_code"), ["region_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_message_sender_user_id"), ["sender_user_id"], unique=False
        )

    op.create_table(
        "message_contact",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email_token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_user.id"],
            name=op.f("fk_message_contact_user_id_iam_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_message_contact")),
    )
    op.create_table(
        "message_tag_member",
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["message_tag.id"],
            name=op.f("fk_message_tag_member_tag_id_message_tag"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_user.id"],
            name=op.f("fk_message_tag_member_user_id_iam_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag_id", "user_id", name=op.f("pk_message_tag_member")),
    )
    with op.batch_alter_table("message_tag_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_tag_member_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "message_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["message_channel.id"],
            name=op.f("fk_message_outbox_channel_id_message_channel"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_message_outbox_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_user.id"],
            name=op.f("fk_message_outbox_user_id_iam_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_outbox")),
    )
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_outbox_channel_id"), ["channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_message_outbox_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(
            "ix_message_outbox_state_next_attempt_at", ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "message_receipt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_message_receipt_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_user.id"],
            name=op.f("fk_message_receipt_user_id_iam_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_receipt")),
        sa.UniqueConstraint(
            "message_id", "user_id", name=op.f("uq_message_receipt_message_id_user_id")
        ),
    )
    with op.batch_alter_table("message_receipt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_receipt_user_id_message_id", ["user_id", "message_id"], unique=False
        )
        batch_op.create_index(
            "ix_message_receipt_user_id_read_at", ["user_id", "read_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_message_receipt_user_id_read_at")
        batch_op.drop_index("ix_message_receipt_user_id_message_id")

    op.drop_table("message_receipt")
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_message_outbox_state_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_message_outbox_message_id"))
        batch_op.drop_index(batch_op.f("ix_message_outbox_channel_id"))

    op.drop_table("message_outbox")
    with op.batch_alter_table("message_tag_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_tag_member_user_id"))

    op.drop_table("message_tag_member")
    op.drop_table("message_contact")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_sender_user_id"))
        batch_op.drop_index(batch_op.f("ix_message_region_code"))
        batch_op.drop_index(batch_op.f("ix_message_kind"))

    op.drop_table("message")
    with op.batch_alter_table("message_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_template_region_code"))

    op.drop_table("message_template")
    with op.batch_alter_table("message_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_tag_region_code"))

    op.drop_table("message_tag")
    with op.batch_alter_table("message_channel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_channel_region_code"))

    op.drop_table("message_channel")
