"""iam: a user belongs to one department (职能部门) or to none (大数据局 staff, administrators).

Existing users migrate with no department; an administrator assigns one afterwards
(``PUT /api/v1/iam/users/{id}/department`` or ``citybrain user set-department``).

Revision ID: 20261207_scope
Revises: 20261122_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_scope"
down_revision: str | None = "20261207_newuser"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("iam_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_code", sa.String(length=32), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_iam_user_department_code"), ["department_code"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_iam_user_department_code_iam_department"),
            "iam_department",
            ["department_code"],
            ["code"],
        )


def downgrade() -> None:
    with op.batch_alter_table("iam_user", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_iam_user_department_code_iam_department"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_iam_user_department_code"))
        batch_op.drop_column("department_code")
