"""boards: screens (屏端) with their size, the boards they rotate through and their key.

Revision ID: 20261209_boards_screens
Revises: 20261209_indicators_warnings
Create Date: 2026-12-09
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261209_boards_screens"
down_revision: str | None = "20261209_indicators_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "board_screen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("boards", sa.Text(), nullable=False),
        sa.Column("rotate_seconds", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["iam_api_key.id"], name=op.f("fk_board_screen_api_key_id_iam_api_key")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_screen")),
        sa.UniqueConstraint("api_key_id", name=op.f("uq_board_screen_api_key_id")),
    )
    with op.batch_alter_table("board_screen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_board_screen_region_code"), ["region_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("board_screen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_board_screen_region_code"))
    op.drop_table("board_screen")
