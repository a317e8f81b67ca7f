"""The migration that turns a grant's instants into dates keeps the requested days, on SQLite
and (when CITYBRAIN_TEST_DATABASE_URL names one) on PostgreSQL in a schema of its own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from citybrain.core import migrate

BEFORE = "20261122_0002"
THIS = "20261207_newuser"


def _utc(year: int, month: int, day: int) -> datetime:
    """16:00 UTC: midnight of the next day in Beijing."""
    return datetime(year, month, day, 16, tzinfo=UTC)


def _grant(starts_at: datetime, expires_at: datetime, row_id: int) -> dict[str, object]:
    return {
        "id": row_id, "request_id": row_id, "resource_id": 1, "resource_region_code": "620722",
        "consumer_code": "D", "consumer_region_code": "620722", "items": "[]",
        "protections": "{}", "method": "api", "starts_at": starts_at, "expires_at": expires_at,
        "revoked_by": "", "revoke_reason": "", "token_prefix": "", "token_hash": "",
        "rate_limit_per_minute": 60, "created_at": starts_at,
    }  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A database at no revision. The grant rows stand alone: foreign keys are not enforced
    on a plain SQLite engine, and PostgreSQL's are switched off for the session (replica)."""
    if request.param == "sqlite":
        yield sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        return
    url = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL not configured (CITYBRAIN_TEST_DATABASE_URL)")
    schema = f"cbmig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    options = f"-csearch_path={schema} -csession_replication_role=replica"
    engine = sa.create_engine(url, connect_args={"options": options})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def test_instants_become_the_requested_dates_and_back(engine: sa.Engine) -> None:
    migrate.upgrade(engine, BEFORE)
    stamps = {"starts_at", "expires_at", "created_at"}
    table = sa.table(
        "sharing_grant",
        *(
            sa.column(k, sa.DateTime(timezone=True)) if k in stamps else sa.column(k)
            for k in _grant(datetime.now(UTC), datetime.now(UTC), 1)
        ),
    )
    with engine.begin() as connection:
        # requested 2026-12-08 ~ 2027-06-30: stored as Beijing midnights, in UTC
        connection.execute(
            table.insert(),
            [_grant(_utc(2026, 12, 7), _utc(2027, 6, 30), 1),
             _grant(_utc(2026, 1, 1), _utc(2026, 1, 2), 2)],
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
    naive = [
        tuple(v.astimezone(UTC).replace(tzinfo=None) if v.tzinfo else v for v in r) for r in back
    ]
    assert naive[0] == (datetime(2026, 12, 7, 16), datetime(2027, 6, 30, 16))
    assert naive[1] == (datetime(2026, 1, 1, 16), datetime(2026, 1, 2, 16))
