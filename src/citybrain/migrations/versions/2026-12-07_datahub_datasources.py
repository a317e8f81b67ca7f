"""datahub: registered data sources; pull schedules name a source instead of a URL.

Schedules stored before this revision carry a connection string in their encrypted options.
They are disabled here (``last_error = 'datasource_required'``) and never run again: an
administrator registers the database under 数据源管理 and the pull is set up anew with it.

Revision ID: 20261207_datasources
Revises: 20261122_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_datasources"
down_revision: str | None = "20261207_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasource",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("driver", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("database", sa.String(length=128), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("secret_token", sa.Text(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasource")),
        sa.UniqueConstraint("name", name=op.f("uq_datasource_name")),
    )
    with op.batch_alter_table("datasource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_datasource_region_code"), ["region_code"])

    with op.batch_alter_table("ingest_source_schedule", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_ingest_source_schedule_source_id"), ["source_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_ingest_source_schedule_source_id_datasource"),
            "datasource",
            ["source_id"],
            ["id"],
        )

    schedule = sa.table(
        "ingest_source_schedule",
        sa.column("source_id", sa.Integer()),
        sa.column("enabled", sa.Boolean()),
        sa.column("last_error", sa.Text()),
    )
    op.execute(
        schedule.update()
        .where(schedule.c.source_id.is_(None))
        .values(enabled=False, last_error="datasource_required")
    )


def downgrade() -> None:
    with op.batch_alter_table("ingest_source_schedule", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_ingest_source_schedule_source_id_datasource"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_ingest_source_schedule_source_id"))
        batch_op.drop_column("source_id")
    with op.batch_alter_table("datasource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_datasource_region_code"))
    op.drop_table("datasource")
