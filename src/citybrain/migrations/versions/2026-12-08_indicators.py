"""indicators: boards, sets, indicators with their revisions (review and diffs), the app
registry (应用管理), runs (运维 log) and versioned values.

Revision ID: 20261208_indicators
Revises: 20261207_hardening
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_indicators"
down_revision: str | None = "20261208_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_board",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_board")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_board_code")),
    )
    op.create_index(
        op.f("ix_indicator_board_region_code"), "indicator_board", ["region_code"], unique=False
    )
    op.create_table(
        "indicator_app",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("app_type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("references", sa.Text(), nullable=False),
        sa.Column("requester", sa.String(length=64), nullable=False),
        sa.Column("phone_token", sa.Text(), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["iam_department.code"],
            name=op.f("fk_indicator_app_department_code_iam_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_app")),
    )
    op.create_index(
        op.f("ix_indicator_app_department_code"), "indicator_app", ["department_code"], unique=False
    )
    op.create_index(
        op.f("ix_indicator_app_region_code"), "indicator_app", ["region_code"], unique=False
    )
    op.create_table(
        "indicator_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["board_id"],
            ["indicator_board.id"],
            name=op.f("fk_indicator_set_board_id_indicator_board"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_set")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_set_code")),
    )
    op.create_index(op.f("ix_indicator_set_board_id"), "indicator_set", ["board_id"], unique=False)
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("owner_department_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("caliber", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sql_text", sa.Text(), nullable=False),
        sa.Column("formula", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("datasource_id", sa.Integer(), nullable=True),
        sa.Column("source_resources", sa.Text(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("update_frequency", sa.String(length=16), nullable=False),
        sa.Column("region_level", sa.String(length=16), nullable=False),
        sa.Column("granularity", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("rollup", sa.String(length=16), nullable=False),
        sa.Column("ratio_scale", sa.Float(), nullable=False),
        sa.Column("timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("period_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("live_revision", sa.Integer(), nullable=True),
        sa.Column("head_revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["datasource_id"], ["datasource.id"], name=op.f("fk_indicator_datasource_id_datasource")
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_code"],
            ["iam_department.code"],
            name=op.f("fk_indicator_owner_department_code_iam_department"),
        ),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_set.id"], name=op.f("fk_indicator_set_id_indicator_set")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("code", name=op.f("uq_indicator_code")),
    )
    op.create_index(
        op.f("ix_indicator_owner_department_code"),
        "indicator",
        ["owner_department_code"],
        unique=False,
    )
    op.create_index(op.f("ix_indicator_region_code"), "indicator", ["region_code"], unique=False)
    op.create_index(op.f("ix_indicator_set_id"), "indicator", ["set_id"], unique=False)
    op.create_index(op.f("ix_indicator_status"), "indicator", ["status"], unique=False)
    op.create_table(
        "indicator_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.String(length=128), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_revision_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_revision")),
        sa.UniqueConstraint(
            "indicator_id", "number", name=op.f("uq_indicator_revision_indicator_id_number")
        ),
    )
    op.create_index(
        op.f("ix_indicator_revision_indicator_id"),
        "indicator_revision",
        ["indicator_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_indicator_revision_status"), "indicator_revision", ["status"], unique=False
    )
    op.create_table(
        "indicator_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("batch_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("period_from", sa.String(length=16), nullable=False),
        sa.Column("period_to", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("periods", sa.Text(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("error_detail", sa.Text(), nullable=False),
        sa.Column("sql_text", sa.Text(), nullable=False),
        sa.Column("triggered_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_indicator_run_indicator_id_indicator")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_run")),
    )
    op.create_index(
        op.f("ix_indicator_run_batch_key"), "indicator_run", ["batch_key"], unique=False
    )
    op.create_index(
        "ix_indicator_run_indicator_id_id", "indicator_run", ["indicator_id", "id"], unique=False
    )
    op.create_index(
        op.f("ix_indicator_run_job_run_id"), "indicator_run", ["job_run_id"], unique=False
    )
    op.create_index(op.f("ix_indicator_run_status"), "indicator_run", ["status"], unique=False)
    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("numerator", sa.Float(), nullable=True),
        sa.Column("denominator", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_value_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["indicator_run.id"], name=op.f("fk_indicator_value_run_id_indicator_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_value")),
        sa.UniqueConstraint(
            "indicator_id",
            "period",
            "region_code",
            "version",
            name=op.f("uq_indicator_value_indicator_id_period_region_code_version"),
        ),
    )
    op.create_index(
        "ix_indicator_value_current",
        "indicator_value",
        ["indicator_id", "current", "period", "region_code"],
        unique=False,
    )
    op.create_index(op.f("ix_indicator_value_run_id"), "indicator_value", ["run_id"], unique=False)


def downgrade() -> None:
    # Indexes go with their tables.
    op.drop_table("indicator_value")
    op.drop_table("indicator_run")
    op.drop_table("indicator_revision")
    op.drop_table("indicator")
    op.drop_table("indicator_set")
    op.drop_table("indicator_app")
    op.drop_table("indicator_board")
