"""The migration that turns a grant's instants into dates keeps the requested days (SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from citybrain.core import migrate

BEFORE = "20261122_0002"
THIS = "20261207_newuser"


def _grant(starts_at: datetime, expires_at: datetime, row_id: int) -> dict[str, object]:
    return {
        "id": row_id, "request_id": row_id, "resource_id": 1, "resource_region_code": "620722",
        "consumer_code": "D", "consumer_region_code": "620722", "items": "[]",
        "protections": "{}", "method": "api", "starts_at": starts_at, "expires_at": expires_at,
        "revoked_by": "", "revoke_reason": "", "token_prefix": "", "token_hash": "",
        "rate_limit_per_minute": 60, "created_at": starts_at,
    }  # fmt: skip


def test_instants_become_the_requested_dates_and_back(tmp_path: Path) -> None:
    # foreign keys are not enforced on a plain SQLite engine: the grant rows stand alone
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine, BEFORE)
    table = sa.table(
        "sharing_grant", *(sa.column(k) for k in _grant(datetime.now(UTC), datetime.now(UTC), 1))
    )
    with engine.begin() as connection:
        # requested 2026-12-08 ~ 2027-06-30: stored as Beijing midnights, in UTC
        connection.execute(
            table.insert(),
            [_grant(datetime(2026, 12, 7, 16), datetime(2027, 6, 30, 16), 1),
             _grant(datetime(2026, 1, 1, 16), datetime(2026, 1, 2, 16), 2)],
        )  # fmt: skip
    migrate.upgrade(engine, THIS)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, period_start_on, period_end_on FROM sharing_grant ORDER BY id")
        ).all()
    assert [(r[0], str(r[1]), str(r[2])) for r in rows] == [
        (1, "2026-12-08", "2027-06-30"),
        (2, "2026-01-02", "2026-01-02"),
    ]
    with engine.begin() as connection:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    with engine.connect() as connection:
        back = connection.execute(
            sa.select(sa.column("starts_at", sa.DateTime()), sa.column("expires_at", sa.DateTime()))
            .select_from(sa.table("sharing_grant"))
            .order_by(sa.text("id"))
        ).all()
    assert back[0] == (datetime(2026, 12, 7, 16), datetime(2027, 6, 30, 16))
    assert back[1] == (datetime(2026, 1, 1, 16), datetime(2026, 1, 2, 16))
