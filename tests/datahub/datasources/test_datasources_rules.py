"""The pure rules of data sources: names that cannot carry options, and connections that are
pinned, time-limited and read-only."""

from __future__ import annotations

import ipaddress

import pytest

from citybrain.datahub.datasources import rules
from citybrain.datahub.datasources.rules import Driver, Limits, SourceRefused


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("db.minle.gov.cn", "db.minle.gov.cn"),
        ("DB-1.Example.COM.", "db-1.example.com"),
        ("10.8.0.12", "10.8.0.12"),
        ("2001:db8::1", "2001:db8::1"),
        ("rk", "rk"),
    ],
)
def test_hosts_that_are_plain_names_or_addresses(value: str, expected: str) -> None:
    assert rules.check_host(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "/var/run/postgresql",
        "@/tmp",
        "a,b",
        "db:5432",
        "[::1]",
        "fe80::1%eth0",
        "db example",
        "-db.example.com",
        "db..example.com",
        "host=/tmp",
        "127.1",  # all digits but not an address: inet_aton would read it as 127.0.0.1
        "a" * 64 + ".com",
        "",
    ],
)
def test_hosts_that_could_carry_more_are_refused(value: str) -> None:
    with pytest.raises(SourceRefused) as caught:
        rules.check_host(value)
    assert caught.value.code == "field_not_allowed"
    assert caught.value.status_code == 403


@pytest.mark.parametrize("value", ["test", "人口库", "rk_2024", "a$b", "my-db"])
def test_plain_database_names(value: str) -> None:
    assert rules.check_database(value) == value
    assert rules.check_username(value) == value


@pytest.mark.parametrize(
    "value",
    ["dbname=x", "a b", "a/b", "a?b", "a'b", 'a"b', "a;b", "a\\b", "postgresql://x", "", "x" * 65],
)
def test_database_and_user_names_that_could_carry_options(value: str) -> None:
    for check in (rules.check_database, rules.check_username):
        with pytest.raises(SourceRefused):
            check(value)


@pytest.mark.parametrize("value", ["sqlite", "duckdb", "sqlite+pysqlite", "oracle", "", "mysql+"])
def test_only_network_drivers(value: str) -> None:
    with pytest.raises(SourceRefused) as caught:
        rules.check_driver(value)
    assert caught.value.code == "driver_not_allowed"


def test_secrets() -> None:
    assert rules.check_secret("Pa ss=;'\"", Driver.postgresql) == "Pa ss=;'\""
    assert rules.check_secret("口令", Driver.postgresql) == "口令"
    for value, driver in (
        ("口令", Driver.mysql),
        ("a\x00b", Driver.postgresql),
        ("x" * 257, Driver.mysql),
    ):
        with pytest.raises(SourceRefused):
            rules.check_secret(value, driver)


def test_postgresql_connects_to_the_checked_address_read_only_within_limits() -> None:
    spec = rules.connect_spec(
        driver=Driver.postgresql,
        host="db.minle.gov.cn",
        address=ipaddress.ip_address("203.0.113.7"),
        port=5432,
        database="rk",
        username="reader",
        secret="s3cret host=/tmp",
        limits=Limits(connect_seconds=1, statement_seconds=30),
    )
    assert spec.url.drivername == "postgresql+psycopg"
    assert (spec.url.host, spec.url.database, spec.url.query) == ("db.minle.gov.cn", "rk", {})
    assert spec.url.password == "s3cret host=/tmp"  # a value, quoted by the driver
    assert spec.connect_args["hostaddr"] == "203.0.113.7"
    assert spec.connect_args["connect_timeout"] == 2  # libpq's floor
    assert "-c statement_timeout=30000" in spec.connect_args["options"]
    assert "-c default_transaction_read_only=on" in spec.connect_args["options"]


def test_mysql_connects_to_the_checked_address_read_only_within_limits() -> None:
    spec = rules.connect_spec(
        driver=Driver.mysql,
        host="db.minle.gov.cn",
        address=ipaddress.ip_address("203.0.113.7"),
        port=3306,
        database="rk",
        username="reader",
        secret="",
        limits=Limits(connect_seconds=5, statement_seconds=30),
    )
    assert (spec.url.drivername, spec.url.host, spec.url.query) == (
        "mysql+pymysql",
        "203.0.113.7",
        {},
    )
    assert spec.url.password is None
    assert spec.connect_args["local_infile"] is False
    # the server's statement limit answers first; the socket waits a margin longer
    assert (spec.connect_args["connect_timeout"], spec.connect_args["read_timeout"]) == (5, 35)
    assert "SET SESSION TRANSACTION READ ONLY" in spec.session_statements
    assert "SET SESSION max_execution_time = 30000" in spec.session_statements
    assert "SET SESSION max_statement_time = 30" in spec.mariadb_statements
