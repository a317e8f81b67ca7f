"""indicators: five-colour warnings (their rules per indicator with region overrides, and the
colour of every value with its handling) and problem feedback on values and boards.

Revision ID: 20261209_indicators_warnings
Revises: 20261208_masterdata_review
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261209_indicators_warnings"
down_revision: str | None = "20261208_masterdata_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("board_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filed_by", sa.String(length=128), nullable=False),
        sa.Column("filer_user_id", sa.Integer(), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=128), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["indicator_board.id"],
            name=op.f("fk_indicator_feedback_board_id_indicator_board"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_feedback_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_feedback")),
    )
    with op.batch_alter_table("indicator_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_feedback_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indicator_feedback_filer_user_id"), ["filer_user_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indicator_feedback_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_indicator_feedback_status"), ["status"], unique=False)

    op.create_table(
        "indicator_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("band_colour", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consecutive_red", sa.Integer(), nullable=False),
        sa.Column("streak_escalated", sa.Boolean(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_warning_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_warning")),
        sa.UniqueConstraint(
            "indicator_id",
            "region_code",
            "period",
            name=op.f("uq_indicator_warning_indicator_id_region_code_period"),
        ),
    )
    with op.batch_alter_table("indicator_warning", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_warning_colour"), ["colour"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_indicator_warning_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indicator_warning_indicator_id"), ["indicator_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_indicator_warning_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_indicator_warning_status"), ["status"], unique=False)

    op.create_table(
        "indicator_warning_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_warning_rule_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_warning_rule")),
        sa.UniqueConstraint(
            "indicator_id",
            "region_code",
            name=op.f("uq_indicator_warning_rule_indicator_id_region_code"),
        ),
    )
    with op.batch_alter_table("indicator_warning_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicator_warning_rule_indicator_id"), ["indicator_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("indicator_warning_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_warning_rule_indicator_id"))

    op.drop_table("indicator_warning_rule")
    with op.batch_alter_table("indicator_warning", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_warning_status"))
        batch_op.drop_index(batch_op.f("ix_indicator_warning_region_code"))
        batch_op.drop_index(batch_op.f("ix_indicator_warning_indicator_id"))
        batch_op.drop_index(batch_op.f("ix_indicator_warning_department_code"))
        batch_op.drop_index(batch_op.f("ix_indicator_warning_colour"))

    op.drop_table("indicator_warning")
    with op.batch_alter_table("indicator_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_feedback_status"))
        batch_op.drop_index(batch_op.f("ix_indicator_feedback_region_code"))
        batch_op.drop_index(batch_op.f("ix_indicator_feedback_filer_user_id"))
        batch_op.drop_index(batch_op.f("ix_indicator_feedback_department_code"))

    op.drop_table("indicator_feedback")
