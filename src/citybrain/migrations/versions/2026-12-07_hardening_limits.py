"""hardening: ingest quarantine cap counter, login throttle counters, OIDC one-time codes,
grid members' phones encrypted with a blind index.

The phones are converted here, with the keys of the running settings (``CITYBRAIN_FIELD_KEY`` /
``CITYBRAIN_BLIND_INDEX_KEY`` or the key file under ``CITYBRAIN_HOME``), the same ones the
application uses. When rows hold a phone and no keys can be found, the migration stops with a
message rather than drop the numbers or keep them in clear: give the keys and run it again.

Revision ID: 20261207_hardening
Revises: 20261122_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_hardening"
down_revision: str | None = "20261207_scope"
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
    _encrypt_grid_member_phones()


def _encrypt_grid_member_phones() -> None:
    with op.batch_alter_table("grid_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("phone_bidx", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_grid_member_phone_bidx"), ["phone_bidx"])
    bind = op.get_bind()
    member = sa.table(
        "grid_member",
        sa.column("id", sa.Integer()),
        sa.column("phone", sa.String()),
        sa.column("phone_enc", sa.Text()),
        sa.column("phone_bidx", sa.String()),
    )
    rows = bind.execute(
        sa.select(member.c.id, member.c.phone).where(
            member.c.phone.is_not(None), member.c.phone != ""
        )
    ).all()
    if rows:
        from citybrain.regions import pii  # the application's own rule, keys from settings

        try:
            sealed = [(row.id, *pii.seal_phone(row.phone)) for row in rows]
        except RuntimeError as exc:  # Settings.key: no key configured
            raise RuntimeError(
                f"{len(rows)} 名网格员的联系电话需加密迁移, 但找不到字段加密密钥: {exc}"
            ) from exc
        for member_id, token, index in sealed:
            bind.execute(
                member.update()
                .where(member.c.id == member_id)
                .values(phone_enc=token, phone_bidx=index)
            )
    with op.batch_alter_table("grid_member", schema=None) as batch_op:
        batch_op.drop_column("phone")


def _decrypt_grid_member_phones() -> None:
    with op.batch_alter_table("grid_member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    member = sa.table(
        "grid_member",
        sa.column("id", sa.Integer()),
        sa.column("phone", sa.String()),
        sa.column("phone_enc", sa.Text()),
    )
    rows = bind.execute(
        sa.select(member.c.id, member.c.phone_enc).where(member.c.phone_enc.is_not(None))
    ).all()
    if rows:
        from citybrain.regions import pii

        for row in rows:
            phone = pii.open_phone(row.phone_enc)[:32]
            bind.execute(member.update().where(member.c.id == row.id).values(phone=phone))
    with op.batch_alter_table("grid_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grid_member_phone_bidx"))
        batch_op.drop_column("phone_bidx")
        batch_op.drop_column("phone_enc")


def downgrade() -> None:
    _decrypt_grid_member_phones()
    op.drop_table("iam_oidc_handoff")
    op.drop_table("iam_login_throttle")
    with op.batch_alter_table("ingest_batch", schema=None) as batch_op:
        batch_op.drop_column("quarantine_omitted_rows")
