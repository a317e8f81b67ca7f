"""sharing: a grant's period is a pair of dates (``period_start_on``/``period_end_on``), not
instants.

The old ``starts_at`` was 00:00 Beijing time of the first day and ``expires_at`` 00:00 Beijing
time of the day *after* the last one; shown as a date, the end was a day late in a Beijing
browser and the start a day early in a UTC one. The conversion reads both instants in
Beijing time (UTC+8, no daylight saving since 1991): the start is that day, the end is the
day before. Downgrade computes the instants back the same way.

Revision ID: 20261207_newuser
Revises: 20261122_0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_newuser"
down_revision: str | None = "20261207_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEIJING = timezone(timedelta(hours=8))


def _beijing_date(value: datetime) -> date:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite: naive UTC
    return aware.astimezone(BEIJING).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BEIJING).astimezone(UTC)


def upgrade() -> None:
    with op.batch_alter_table("sharing_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period_start_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("period_end_on", sa.Date(), nullable=True))
    grant = sa.table(
        "sharing_grant",
        sa.column("id", sa.Integer),
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("period_start_on", sa.Date),
        sa.column("period_end_on", sa.Date),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(grant.c.id, grant.c.starts_at, grant.c.expires_at)).all()
    for row_id, starts_at, expires_at in rows:
        bind.execute(
            grant.update()
            .where(grant.c.id == row_id)
            .values(
                period_start_on=_beijing_date(starts_at),
                # expires_at is the next Beijing midnight after the last day
                period_end_on=_beijing_date(expires_at - timedelta(microseconds=1)),
            )
        )
    with op.batch_alter_table("sharing_grant", schema=None) as batch_op:
        batch_op.alter_column("period_start_on", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("period_end_on", existing_type=sa.Date(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_sharing_grant_expires_at"))
        batch_op.drop_column("starts_at")
        batch_op.drop_column("expires_at")
        batch_op.create_index(
            batch_op.f("ix_sharing_grant_period_end_on"), ["period_end_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sharing_grant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    grant = sa.table(
        "sharing_grant",
        sa.column("id", sa.Integer),
        sa.column("starts_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("period_start_on", sa.Date),
        sa.column("period_end_on", sa.Date),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(grant.c.id, grant.c.period_start_on, grant.c.period_end_on))
    for row_id, start_on, end_on in rows.all():
        starts_at, expires_at = _midnight(start_on), _midnight(end_on + timedelta(days=1))
        bind.execute(
            grant.update()
            .where(grant.c.id == row_id)
            .values(starts_at=starts_at, expires_at=expires_at)
        )
    with op.batch_alter_table("sharing_grant", schema=None) as batch_op:
        batch_op.alter_column("starts_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column(
            "expires_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
        batch_op.drop_index(batch_op.f("ix_sharing_grant_period_end_on"))
        batch_op.drop_column("period_start_on")
        batch_op.drop_column("period_end_on")
        batch_op.create_index(
            batch_op.f("ix_sharing_grant_expires_at"), ["expires_at"], unique=False
        )
