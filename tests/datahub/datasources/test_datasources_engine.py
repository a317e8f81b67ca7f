"""``open_source_engine`` against the real servers: read-only and time-limited in fact."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from citybrain.core.config import Settings
from citybrain.datahub.datasources.rules import Limits
from citybrain.datahub.datasources.service import Purpose, open_source_engine
from fixtures_datasources import local_settings, register, server_engine


def _engine(session: Session, settings: Settings, driver: str, seconds: int = 1) -> sa.Engine:
    server_engine(driver).dispose()  # skips when the server is not running
    source = register(session, settings, driver)
    return open_source_engine(
        session,
        source_id=source.id,
        region_code="620722",
        purpose=Purpose.indicator,
        settings=local_settings(settings),
        limits=Limits(connect_seconds=3, statement_seconds=seconds),
    )


def test_postgresql_is_read_only_and_time_limited(session: Session, settings: Settings) -> None:
    engine = _engine(session, settings, "postgresql")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1s"
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                conn.exec_driver_sql("CREATE TABLE cb_should_not_exist (a int)")
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="timeout"):
            conn.exec_driver_sql("SELECT pg_sleep(3)")
    finally:
        engine.dispose()


def test_mariadb_is_read_only_and_time_limited(session: Session, settings: Settings) -> None:
    engine = _engine(session, settings, "mysql")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT @@session.tx_read_only").scalar() == 1
            assert float(conn.exec_driver_sql("SELECT @@max_statement_time").scalar()) == 1.0
            with pytest.raises(sa.exc.DBAPIError, match="READ ONLY"):
                conn.exec_driver_sql("CREATE TABLE cb_should_not_exist (a int)")
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="max_statement_time"):
            conn.exec_driver_sql("SELECT SLEEP(3) FROM (SELECT 1) AS t")
    finally:
        engine.dispose()


@pytest.mark.parametrize("driver", ["postgresql", "mysql"])
def test_the_connection_goes_to_the_checked_address_not_to_the_name(
    driver: str, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only our check can resolve ``rebind.example.invalid`` (to 127.0.0.1): had the driver
    looked the name up again, as a rebinding attack needs, the connection would fail."""
    server_engine(driver).dispose()
    real = socket.getaddrinfo

    def resolve(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == NAME else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    source = register(session, settings, driver, host=NAME)
    engine = open_source_engine(
        session,
        source_id=source.id,
        region_code="620722",
        purpose=Purpose.test,
        settings=local_settings(settings),
    )
    monkeypatch.setattr(socket, "getaddrinfo", real)  # the name is unknown from here on
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


NAME = "rebind.example.invalid"
