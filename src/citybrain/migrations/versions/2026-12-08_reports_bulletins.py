"""reports: 专报 and their attachments.

Revision ID: 20261208_reports
Revises: 20261208_search
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_reports"
down_revision: str | None = "20261208_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=15), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"], ["iam_department.code"],
            name=op.f("fk_report_department_code_iam_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )  # fmt: skip
    op.create_index(op.f("ix_report_department_code"), "report", ["department_code"])
    op.create_index(op.f("ix_report_region_code"), "report", ["region_code"])
    op.create_index(op.f("ix_report_status"), "report", ["status"])
    op.create_table(
        "report_attachment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], ondelete="CASCADE",
            name=op.f("fk_report_attachment_report_id_report"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attachment")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_report_attachment_stored_name")),
    )  # fmt: skip
    op.create_index(op.f("ix_report_attachment_report_id"), "report_attachment", ["report_id"])


def downgrade() -> None:
    op.drop_table("report_attachment")
    op.drop_table("report")
