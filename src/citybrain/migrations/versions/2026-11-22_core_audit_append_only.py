"""core: make the audit ledger append-only in the database itself and seed its head row.

Revision ID: 20261122_0002
Revises: 20261122_0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261122_0002"
down_revision: str | None = "20261122_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.execute(f"INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, '{GENESIS}')")  # noqa: S608 - a constant
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_record_no_{verb.lower()} BEFORE {verb} ON audit_record "
                "BEGIN SELECT RAISE(ABORT, 'audit_record is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_record is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_record FOR EACH STATEMENT EXECUTE FUNCTION audit_record_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_record_no_update")
        op.execute("DROP TRIGGER audit_record_no_delete")
    else:
        op.execute("DROP TRIGGER audit_record_append_only ON audit_record")
        op.execute("DROP FUNCTION audit_record_append_only()")
    op.execute("DELETE FROM audit_head")
