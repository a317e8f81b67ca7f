"""masterdata: master data follow the hub. Linkage features kept on each person link (so a
loaded batch is linked against them without rereading the population), the resources that feed
each base library, a record of every linkage run (the drift check reads it), the review queue of
uncertain pairs with the stewards' decisions, and the drift baseline of a trained model.

Links written before this revision have no features (``id_number_valid`` NULL): the next full
build (``citybrain masterdata persons …``) fills them in; until then a loaded batch falls back to
a full build.

Revision ID: 20261208_masterdata_review
Revises: 20261207_hardening
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_masterdata_review"
down_revision: str | None = "20261208_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "masterdata_linkage_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("new_records", sa.Integer(), nullable=False),
        sa.Column("changed_records", sa.Integer(), nullable=False),
        sa.Column("pairs_scored", sa.Integer(), nullable=False),
        sa.Column("pairs_band", sa.Integer(), nullable=False),
        sa.Column("review_queued", sa.Integer(), nullable=False),
        sa.Column("merges", sa.Integer(), nullable=False),
        sa.Column("new_masters", sa.Integer(), nullable=False),
        sa.Column("drift", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_masterdata_linkage_run")),
    )
    with op.batch_alter_table("masterdata_linkage_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_masterdata_linkage_run_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_masterdata_linkage_run_domain"), ["domain"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_masterdata_linkage_run_model_id"), ["model_id"], unique=False
        )

    op.create_table(
        "masterdata_review_pair",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("record_l", sa.String(length=160), nullable=False),
        sa.Column("record_r", sa.String(length=160), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_masterdata_review_pair")),
        sa.UniqueConstraint(
            "domain",
            "record_l",
            "record_r",
            name=op.f("uq_masterdata_review_pair_domain_record_l_record_r"),
        ),
    )
    with op.batch_alter_table("masterdata_review_pair", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_masterdata_review_pair_record_l"), ["record_l"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_masterdata_review_pair_record_r"), ["record_r"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_masterdata_review_pair_status"), ["status"], unique=False
        )

    op.create_table(
        "masterdata_source",
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("resource_code", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("domain", "resource_code", name=op.f("pk_masterdata_source")),
    )
    with op.batch_alter_table("masterdata_source", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_masterdata_source_resource_code"), ["resource_code"], unique=False
        )

    with op.batch_alter_table("masterdata_linkage_model", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason", sa.String(length=16), nullable=False, server_default="build")
        )
        batch_op.add_column(sa.Column("band_share", sa.Float(), nullable=True))

    with op.batch_alter_table("masterdata_person_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_norm", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("id_number_bidx", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("id_number_valid", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("birth_date", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("phone_bidx", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("address_norm", sa.String(length=255), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_masterdata_person_link_id_number_bidx"), ["id_number_bidx"], unique=False
        )
        batch_op.create_index(
            "ix_masterdata_person_link_name_birth", ["name_norm", "birth_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_masterdata_person_link_phone_bidx"), ["phone_bidx"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("masterdata_person_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_masterdata_person_link_phone_bidx"))
        batch_op.drop_index("ix_masterdata_person_link_name_birth")
        batch_op.drop_index(batch_op.f("ix_masterdata_person_link_id_number_bidx"))
        batch_op.drop_column("address_norm")
        batch_op.drop_column("phone_bidx")
        batch_op.drop_column("birth_date")
        batch_op.drop_column("id_number_valid")
        batch_op.drop_column("id_number_bidx")
        batch_op.drop_column("name_norm")

    with op.batch_alter_table("masterdata_linkage_model", schema=None) as batch_op:
        batch_op.drop_column("band_share")
        batch_op.drop_column("reason")

    with op.batch_alter_table("masterdata_source", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_masterdata_source_resource_code"))

    op.drop_table("masterdata_source")
    with op.batch_alter_table("masterdata_review_pair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_masterdata_review_pair_status"))
        batch_op.drop_index(batch_op.f("ix_masterdata_review_pair_record_r"))
        batch_op.drop_index(batch_op.f("ix_masterdata_review_pair_record_l"))

    op.drop_table("masterdata_review_pair")
    with op.batch_alter_table("masterdata_linkage_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_masterdata_linkage_run_model_id"))
        batch_op.drop_index(batch_op.f("ix_masterdata_linkage_run_domain"))
        batch_op.drop_index(batch_op.f("ix_masterdata_linkage_run_batch_id"))

    op.drop_table("masterdata_linkage_run")
