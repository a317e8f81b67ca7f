from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from ingest_fixtures import fake_people
from sqlalchemy.pool import NullPool

from citybrain.datahub.ingest.connectors import ConnectorError, SourceRecord, SqlConnector

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = dt.datetime(2024, 6, 1, 8, 0, 0)


def make_table(engine: sa.Engine, name: str) -> list[dict[str, object]]:
    """A 低保 payments table; `更新时间` grows by an hour per row."""
    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("编号", sa.Integer, primary_key=True),
        sa.Column("姓名", sa.String(50)),
        sa.Column("公民身份号码", sa.String(18)),
        sa.Column("金额", sa.Numeric(12, 2)),
        sa.Column("发放日期", sa.Date),
        sa.Column("更新时间", sa.DateTime),
    )
    rows: list[dict[str, object]] = [
        {
            "编号": index,
            "姓名": person["姓名"],
            "公民身份号码": person["公民身份号码"],
            "金额": Decimal("312.50") + index,
            "发放日期": dt.date(2024, 6, 15) if index != 3 else None,
            "更新时间": T0 + dt.timedelta(hours=index),
        }
        for index, person in enumerate(fake_people(5, seed=9), start=1)
    ]
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), rows)
    return rows


@pytest.fixture(params=["sqlite", "postgresql"])
def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sa.Engine, str, list[dict[str, object]]]]:
    """(engine, table name, rows) on a SQLite file and on the real PostgreSQL."""
    name = f"cb_ingest_{uuid.uuid4().hex[:10]}"
    url = f"sqlite:///{tmp_path / 'dept.db'}" if request.param == "sqlite" else POSTGRES_URL
    engine = sa.create_engine(url, poolclass=NullPool)  # the connector's PRAGMA stays behind
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc.orig}")
    try:
        rows = make_table(engine, name)
        yield engine, name, rows
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        engine.dispose()


def test_table_rows_become_text(database: tuple[sa.Engine, str, list[dict[str, object]]]) -> None:
    engine, name, rows = database
    connector = SqlConnector(engine, table=name, batch_size=2)
    assert connector.columns() == ["编号", "姓名", "公民身份号码", "金额", "发放日期", "更新时间"]
    records = list(connector.iter_records())
    assert len(records) == 5
    assert records[0] == SourceRecord(
        1,
        {
            "编号": "1",
            "姓名": str(rows[0]["姓名"]),
            "公民身份号码": str(rows[0]["公民身份号码"]),
            "金额": "313.50",
            "发放日期": "2024-06-15",
            "更新时间": "2024-06-01 09:00:00",
        },
    )
    assert records[2].values["发放日期"] is None
    assert [r.row for r in records] == [1, 2, 3, 4, 5]


def test_incremental_pull_by_watermark(
    database: tuple[sa.Engine, str, list[dict[str, object]]],
) -> None:
    engine, name, _ = database
    connector = SqlConnector(engine, table=name, watermark_column="更新时间")
    assert len(list(connector.iter_records())) == 5
    assert connector.max_watermark == "2024-06-01 13:00:00"
    newer = list(connector.iter_records(since="2024-06-01 11:00:00"))
    assert sorted(r.values["编号"] or "" for r in newer) == ["4", "5"]
    assert connector.max_watermark == "2024-06-01 13:00:00"
    assert list(connector.iter_records(since="2024-06-01 13:00:00")) == []
    assert connector.max_watermark is None


def test_query_with_numeric_watermark(
    database: tuple[sa.Engine, str, list[dict[str, object]]],
) -> None:
    engine, name, _ = database
    query = f'SELECT "编号", "姓名", "金额" FROM "{name}" WHERE "金额" > 314'
    connector = SqlConnector(engine, query=query, watermark_column="编号")
    assert connector.columns() == ["编号", "姓名", "金额"]
    records = list(connector.iter_records(since="3"))
    # SQLite keeps NUMERIC as a float, so a raw query gives 316.5; PostgreSQL keeps the scale.
    amounts = ["316.50", "317.50"] if engine.dialect.name == "postgresql" else ["316.5", "317.5"]
    assert sorted((r.values["编号"], r.values["金额"]) for r in records) == list(
        zip(["4", "5"], amounts, strict=True)
    )
    assert connector.max_watermark == "5"


def test_watermark_that_does_not_parse(
    database: tuple[sa.Engine, str, list[dict[str, object]]],
) -> None:
    engine, name, _ = database
    with pytest.raises(ConnectorError) as caught:
        list(
            SqlConnector(engine, table=name, watermark_column="更新时间").iter_records(since="昨天")
        )
    assert (caught.value.code, caught.value.field) == ("bad_watermark", "更新时间")


def test_missing_table_and_missing_watermark_column(
    database: tuple[sa.Engine, str, list[dict[str, object]]],
) -> None:
    engine, name, _ = database
    with pytest.raises(ConnectorError) as caught:
        SqlConnector(engine, table=f"{name}_absent").columns()
    assert caught.value.code == "source_not_found"
    with pytest.raises(ConnectorError) as caught:
        list(SqlConnector(engine, table=name, watermark_column="修改时间").iter_records(since="1"))
    assert (caught.value.code, caught.value.field) == ("source_not_found", "修改时间")


def test_writing_query_fails_and_changes_nothing(
    database: tuple[sa.Engine, str, list[dict[str, object]]],
) -> None:
    engine, name, _ = database
    sneaky = f'WITH gone AS (DELETE FROM "{name}" RETURNING *) SELECT * FROM gone'
    with pytest.raises(ConnectorError) as caught:
        list(SqlConnector(engine, query=sneaky).iter_records())
    assert caught.value.code == "db_error"
    assert len(list(SqlConnector(engine, table=name).iter_records())) == 5


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM t",
        "SELECT 1; DROP TABLE t",
        "-- 注释\nUPDATE t SET a = 1",
        "PRAGMA table_info(t)",
    ],
)
def test_only_one_select_statement(query: str) -> None:
    with pytest.raises(ConnectorError) as caught:
        SqlConnector(sa.create_engine("sqlite://"), query=query)
    assert caught.value.code == "unsupported_query"


def test_comment_before_select_and_trailing_semicolon_are_fine(tmp_path: Path) -> None:
    connector = SqlConnector(
        sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}"),
        query="/* 月报 */ -- 说明\n SELECT 1 AS one, NULL AS none;",
    )
    assert list(connector.iter_records()) == [SourceRecord(1, {"one": "1", "none": None})]


def test_duplicate_column_names_in_a_query(tmp_path: Path) -> None:
    connector = SqlConnector(
        sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}"), query="SELECT 1 AS a, 2 AS a"
    )
    with pytest.raises(ConnectorError) as caught:
        list(connector.iter_records())
    assert (caught.value.code, caught.value.field) == ("duplicate_header", "a")


def test_options_are_checked() -> None:
    with pytest.raises(ConnectorError) as caught:
        SqlConnector(sa.create_engine("sqlite://"))
    assert caught.value.code == "bad_option"
    with pytest.raises(ConnectorError) as caught:
        list(SqlConnector(sa.create_engine("sqlite://"), table="t").iter_records(since="1"))
    assert caught.value.code == "bad_option"


def test_unreachable_database_hides_the_password() -> None:
    engine = sa.create_engine("postgresql+psycopg://reader:s3cret@127.0.0.1:1/dept")
    connector = SqlConnector(engine, table="t")
    with pytest.raises(ConnectorError) as caught:
        connector.columns()
    assert caught.value.code == "db_error"
    assert "s3cret" not in caught.value.message_zh
    assert "reader:***@" in caught.value.message_zh
