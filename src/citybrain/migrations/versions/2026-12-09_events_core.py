"""events: the event hub's core. Events with their steps (the timeline), the editable
category taxonomy (12345 and GB/T 30428), and the versioned classifier models.

Revision ID: 20261209_events_core
Revises: 20261209_boards_screens
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261209_events_core"
down_revision: str | None = "20261209_boards_screens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_category",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("scheme", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_event_category")),
    )
    with op.batch_alter_table("event_category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_category_parent_code"), ["parent_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_category_scheme"), ["scheme"], unique=False)

    op.create_table(
        "event_classifier_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("features", sa.String(length=16), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("trained_by", sa.String(length=128), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_classifier_model")),
        sa.UniqueConstraint("version", name=op.f("uq_event_classifier_model_version")),
    )
    with op.batch_alter_table("event_classifier_model", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_classifier_model_active"), ["active"], unique=False
        )

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_code", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("reporter_name", sa.String(length=64), nullable=False),
        sa.Column("reporter_phone_enc", sa.String(length=200), nullable=False),
        sa.Column("reporter_phone_bidx", sa.String(length=64), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("suggested_category", sa.String(length=32), nullable=True),
        sa.Column("suggested_department", sa.String(length=100), nullable=False),
        sa.Column("suggestion_confidence", sa.Float(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["event_category.code"],
            name=op.f("fk_event_category_code_event_category"),
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["iam_department.code"],
            name=op.f("fk_event_department_code_iam_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("tracking_code", name=op.f("uq_event_tracking_code")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_category_code"), ["category_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_channel"), ["channel"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_grid_code"), ["grid_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_region_code"), ["region_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_reporter_phone_bidx"), ["reporter_phone_bidx"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_event_status"), ["status"], unique=False)

    op.create_table(
        "event_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
            name=op.f("fk_event_step_event_id_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_step")),
    )
    with op.batch_alter_table("event_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_step_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_step_event_id"))

    op.drop_table("event_step")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_status"))
        batch_op.drop_index(batch_op.f("ix_event_reporter_phone_bidx"))
        batch_op.drop_index(batch_op.f("ix_event_region_code"))
        batch_op.drop_index(batch_op.f("ix_event_grid_code"))
        batch_op.drop_index(batch_op.f("ix_event_department_code"))
        batch_op.drop_index(batch_op.f("ix_event_created_at"))
        batch_op.drop_index(batch_op.f("ix_event_channel"))
        batch_op.drop_index(batch_op.f("ix_event_category_code"))

    op.drop_table("event")
    with op.batch_alter_table("event_classifier_model", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_classifier_model_active"))

    op.drop_table("event_classifier_model")
    with op.batch_alter_table("event_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_category_scheme"))
        batch_op.drop_index(batch_op.f("ix_event_category_parent_code"))

    op.drop_table("event_category")
