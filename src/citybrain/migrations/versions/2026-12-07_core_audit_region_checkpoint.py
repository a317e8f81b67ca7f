"""core: authenticate the audit chain's head (``audit_head.tag``) so that it cannot be moved
back after the newest records are deleted. ``audit_record.region_code`` already exists; the
append-only triggers on ``audit_record`` are untouched (only ``audit_head`` changes).

Revision ID: 20261207_audit
Revises: 20261122_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_audit"
down_revision: str | None = "20261122_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tag", sa.String(64), nullable=False, server_default=""))
    _seal_head()


def _seal_head() -> None:
    """Tag the existing head when the audit key is at hand. Without it the head stays untagged
    and ``audit verify`` reports it until the next append (which tags it) — except the empty
    ledger's genesis head, which protects nothing and is accepted untagged."""
    from citybrain.core.audit.chain import head_tag
    from citybrain.core.config import get_settings

    try:
        key = get_settings().key("audit_key")
    except (RuntimeError, ValueError):
        return
    bind = op.get_bind()
    row = bind.execute(sa.text("SELECT seq, mac FROM audit_head WHERE id = 1")).one_or_none()
    if row is not None:
        bind.execute(
            sa.text("UPDATE audit_head SET tag = :tag WHERE id = 1"),
            {"tag": head_tag(key, int(row.seq), str(row.mac))},
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("tag")
