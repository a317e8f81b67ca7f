"""The static checks of indicator SQL: each bad input gets its stable code."""

from __future__ import annotations

import pytest

from citybrain.indicators import sqlcheck
from citybrain.indicators.sqlcheck import SqlRefused

SCHEMA = {"hub_a": {"town_code": "VARCHAR", "signed_on": "DATE", "n": "BIGINT", "amount": "DOUBLE"}}
GOOD = (
    "SELECT town_code AS region_code, date_trunc('month', signed_on) AS period, count(*) AS value"
    " FROM hub_a GROUP BY town_code, date_trunc('month', signed_on)"
)


def test_a_good_query_passes_and_names_what_it_reads() -> None:
    checked = sqlcheck.check(GOOD, SCHEMA)
    assert checked.tables == ("hub_a",)
    assert checked.functions == ("count", "date_trunc")
    assert checked.columns == ("region_code", "period", "value")
    assert not checked.has_ratio


def test_ctes_and_ratios_pass() -> None:
    sql = (
        "WITH t AS (SELECT town_code, n FROM hub_a) SELECT town_code AS region_code,"
        " 2024 AS period, sum(n) * 1.0 / count(*) AS value, sum(n) AS numerator,"
        " count(*) AS denominator FROM t GROUP BY town_code"
    )
    checked = sqlcheck.check(sql, SCHEMA)
    assert checked.has_ratio
    assert checked.tables == ("hub_a",)


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("", "sql_empty"),
        ("SELEC town_code FROM hub_a", "sql_parse_error"),
        ("SELECT town_code AS region_code, FROM FROM", "sql_parse_error"),
        ("DELETE FROM hub_a", "sql_not_select"),
        ("SELECT 1 AS region_code, 2 AS period, 3 AS value; SELECT 2", "sql_not_select"),
        (GOOD.replace("count(*)", "median(n)"), "function_not_allowed"),
        (GOOD.replace("count(*)", "list_sum([n])"), "function_not_allowed"),
        ("SELECT * FROM read_csv('/etc/passwd')", "function_not_allowed"),
        (GOOD.replace("hub_a", "hub_b"), "unknown_table"),
        ("SELECT 1 AS region_code, 2 AS period, 3 AS value FROM main.hub_a", "unknown_table"),
        ("SELECT 1 AS region_code, 2 AS period, 3 AS value FROM 'x.csv'", "unknown_table"),
        ("SELECT 1 AS region_code, 2 AS period, 3 AS value", "unknown_table"),
        (GOOD.replace("count(*)", "sum(nope)"), "unknown_column"),
        (GOOD.replace(" AS value", " AS amount"), "wrong_output_columns"),
        ("SELECT * FROM hub_a", "wrong_output_columns"),
        (GOOD.replace(" AS value", " AS value, 1 AS numerator"), "wrong_output_columns"),
        (
            GOOD.replace("GROUP BY town_code, date_trunc('month', signed_on)", "GROUP BY ALL"),
            "syntax_not_portable",
        ),
        (GOOD.replace("count(*)", "count(*) OVER ()").split(" GROUP BY")[0], "syntax_not_portable"),
        (
            GOOD.replace(
                "date_trunc('month', signed_on) AS period", "strftime(signed_on, '%Y/%m') AS period"
            ),
            "time_format_not_allowed",
        ),
    ],
)
def test_bad_sql_is_refused_with_its_code(sql: str, code: str) -> None:
    with pytest.raises(SqlRefused) as caught:
        sqlcheck.check(sql, SCHEMA)
    assert caught.value.code == code
    assert caught.value.message  # Chinese, for the editor


def test_a_parse_error_names_line_and_column() -> None:
    with pytest.raises(SqlRefused) as caught:
        sqlcheck.check("SELECT town_code AS region_code,\n  (1 + FROM hub_a", SCHEMA)
    assert caught.value.detail["line"] == 2


def test_the_range_filter_wraps_the_query_on_the_period_column() -> None:
    from datetime import date

    checked = sqlcheck.check(GOOD, SCHEMA)
    wrapped = sqlcheck.restricted(
        checked.expression, lower=date(2024, 1, 1), upper=date(2024, 3, 31)
    )
    text = sqlcheck.to_dialect(wrapped, "postgres")
    assert "q.period >= CAST('2024-01-01' AS DATE)" in text
    assert "q.period <= CAST('2024-03-31' AS DATE)" in text


def test_and_or_are_operators_not_functions() -> None:
    # sqlglot models AND / OR as function nodes; they must not be refused as functions
    sql = (
        "SELECT town_code AS region_code, signed_on AS period,"
        " sum(CASE WHEN n > 1 AND (amount < 5 OR n = 3) THEN 1 ELSE 0 END) AS value"
        " FROM hub_a WHERE n > 0 AND amount > 0 OR n IS NULL GROUP BY town_code, signed_on"
    )
    assert "sum" in sqlcheck.check(sql, SCHEMA).functions
