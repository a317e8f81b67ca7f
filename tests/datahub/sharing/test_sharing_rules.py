"""The pure rules of sharing (protection, approval, periods, grant state), tokens and files."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from citybrain.core.clock import frozen, utcnow
from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.masking import pseudonymise
from citybrain.datahub.sharing import exports, rules, tokens
from citybrain.datahub.sharing.rules import GrantState, Protection


@pytest.mark.parametrize(
    ("sensitivity", "mask", "expected"),
    [
        ("public", "none", Protection.clear),
        ("internal", "none", Protection.clear),
        ("sensitive", "none", Protection.pseudonym),
        ("core", "none", Protection.pseudonym),
        ("sensitive", "id_number", Protection.id_number),
        ("internal", "address", Protection.address),
        ("public", "mobile", Protection.mobile),
        ("core", "name", Protection.name),
    ],
)
def test_default_protection(sensitivity: str, mask: str, expected: Protection) -> None:
    assert rules.default_protection(sensitivity, mask) is expected


def test_choose_protection() -> None:
    choose = rules.choose_protection
    assert choose("a", "sensitive", "id_number", None, may_unmask=False) is Protection.id_number
    assert choose("a", "sensitive", "id_number", Protection.pseudonym, may_unmask=False) is (
        Protection.pseudonym
    )
    assert choose("a", "internal", "address", Protection.clear, may_unmask=True) is Protection.clear
    with pytest.raises(PermissionDenied, match="a"):
        choose("a", "internal", "address", Protection.clear, may_unmask=False)
    for sensitivity in ("sensitive", "core"):
        with pytest.raises(BadInput) as never:
            choose("a", sensitivity, "none", Protection.clear, may_unmask=True)
        assert never.value.code == "protection_not_allowed"
    with pytest.raises(BadInput):
        choose("a", "sensitive", "mobile", Protection.name, may_unmask=True)


def test_needs_approval() -> None:
    masked = {"a": Protection.name}
    assert rules.needs_approval("conditional", masked, masked)
    assert not rules.needs_approval("unconditional", masked, masked)
    assert not rules.needs_approval("unconditional", {"a": Protection.pseudonym}, masked)
    assert rules.needs_approval("unconditional", {"a": Protection.clear}, masked)
    clear = {"b": Protection.clear}
    assert not rules.needs_approval("unconditional", clear, clear)


def test_china_today_turns_at_beijing_midnight() -> None:
    assert rules.china_today(datetime(2026, 1, 1, 15, 59, tzinfo=UTC)) == date(2026, 1, 1)
    assert rules.china_today(datetime(2026, 1, 1, 16, 0, tzinfo=UTC)) == date(2026, 1, 2)


def test_grant_serves_through_its_last_day_in_beijing_time() -> None:
    """Requested 2026-12-08 ~ 2027-06-30: usable from 00:00 on 12-08 to 23:59:59 on 06-30,
    Beijing time, i.e. from 2026-12-07T16:00Z up to (not including) 2027-06-30T16:00Z."""
    start, end = date(2026, 12, 8), date(2027, 6, 30)
    with frozen(datetime(2026, 12, 7, 15, 59, 59, tzinfo=UTC)) as clock:
        assert rules.grant_state(utcnow(), start, end, None) is GrantState.not_started
        clock.advance(seconds=1)  # 2026-12-08 00:00 Beijing
        assert rules.grant_state(utcnow(), start, end, None) is GrantState.active
    with frozen(datetime(2027, 6, 30, 15, 59, 59, 999999, tzinfo=UTC)) as clock:
        assert rules.grant_state(utcnow(), start, end, None) is GrantState.active
        clock.advance(microseconds=1)  # 2027-07-01 00:00 Beijing
        assert rules.grant_state(utcnow(), start, end, None) is GrantState.expired
        revoked = utcnow() - timedelta(days=30)
        assert rules.grant_state(utcnow(), start, end, revoked) is GrantState.revoked


def test_period_problems() -> None:
    today = date(2026, 6, 1)
    assert rules.period_problem(today, today, today, 366) is None
    assert rules.period_problem(today, today - timedelta(days=1), today, 366) == "period_reversed"
    past = today - timedelta(days=3)
    assert rules.period_problem(past, today - timedelta(days=1), today, 366) == "period_in_past"
    assert rules.period_problem(today, today + timedelta(days=366), today, 366) == "period_too_long"
    assert rules.period_problem(today, today + timedelta(days=365), today, 366) is None


def test_grant_state_boundaries() -> None:
    on = date(2026, 1, 1)  # a one-day grant: 2025-12-31T16:00Z ≤ now < 2026-01-01T16:00Z
    first = datetime(2025, 12, 31, 16, tzinfo=UTC)
    after = first + timedelta(days=1)
    state = rules.grant_state
    assert state(first - timedelta(seconds=1), on, on, None) is GrantState.not_started
    assert state(first, on, on, None) is GrantState.active
    assert state(after - timedelta(microseconds=1), on, on, None) is GrantState.active
    assert state(after, on, on, None) is GrantState.expired
    assert state(first, on, on, first) is GrantState.revoked
    assert state(after, on, on, first) is GrantState.revoked  # revocation wins
    assert state(first, on, on, after) is GrantState.active  # revoked later, not yet


def test_consumer_keys_and_protect() -> None:
    master = bytes(range(32))
    a, b = rules.consumer_key(master, "DEPT-A"), rules.consumer_key(master, "DEPT-B")
    assert a != b
    assert rules.consumer_key(master, "DEPT-A") == a
    assert rules.protect(Protection.pseudonym, "张三", a) == pseudonymise("张三", a)
    assert rules.protect(Protection.pseudonym, "张三", a) != rules.protect(
        Protection.pseudonym, "张三", b
    )
    assert rules.protect(Protection.pseudonym, None, a) is None
    assert rules.protect(Protection.clear, 42, a) == 42
    assert rules.protect(Protection.mobile, 13912345678, a) == "139****5678"  # never leaks a number
    assert rules.protect(Protection.pseudonym, 7, a) == pseudonymise("7", a)


def test_token_shape() -> None:
    token, prefix = tokens.new_token()
    assert tokens.prefix_of(token) == prefix
    assert tokens.matches(token, tokens.digest(token))
    assert not tokens.matches(token + "x", tokens.digest(token))
    assert not tokens.matches(token, "")
    for bad in (
        "",
        "cbs_",
        "cbk_12345678_" + "x" * 40,
        "cbs_1234_" + "x" * 40,
        "cbs_12345678_short",
    ):
        assert tokens.prefix_of(bad) is None


ROWS: list[dict[str, Any]] = [
    {"name": "张*", "note": "=HYPERLINK(\"http://x\")", "n": 3, "_trace": {"batch_id": 5,
                                                                        "source_row": 2}},
    {"name": "-1+1", "note": None, "n": None, "_trace": {"batch_id": 5, "source_row": 3}},
]  # fmt: skip


def test_csv_has_bom_chinese_headers_and_no_formulas() -> None:
    data = exports.to_csv(["name", "note", "n"], ["姓名", "备注", "数量"], ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "姓名,备注,数量,批次号,源行号"
    assert lines[1] == '张*,"\'=HYPERLINK(""http://x"")",3,5,2'
    assert lines[2] == "'-1+1,,,5,3"


def test_xlsx_writes_text_that_looks_like_a_formula_as_text() -> None:
    data = exports.to_xlsx(["name", "note", "n"], ["姓名", "备注", "数量"], ROWS)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == ["姓名", "备注", "数量", "批次号", "源行号"]
    assert values[1] == ["张*", '=HYPERLINK("http://x")', 3, 5, 2]
    assert sheet["B2"].data_type == "s"
