"""Rule sets (pure): defaults from the catalog, explicit overrides, parameter checks, and every
check step with its canonical output and its reason codes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from citybrain.core.errors import BadInput
from citybrain.datahub.quality.checks import Lookups, RuleFailure, compile_rules, parse_datetime
from citybrain.datahub.quality.rules import (
    ItemSpec,
    ResourceSpec,
    RuleKind,
    RuleSpec,
    check_rule,
    default_rules,
    effective_rules,
)
from citybrain.datahub.quality.validators import id_check_char, uscc_check_char

ITEMS = (
    ItemSpec("name", "姓名", mask="name"),
    ItemSpec("id_number", "公民身份号码", mask="id_number"),
    ItemSpec("birth_date", "出生日期", "date"),
    ItemSpec("phone", "联系电话", mask="mobile"),
    ItemSpec("mobile", "手机号码"),
    ItemSpec("office_phone", "办公电话"),
    ItemSpec("uscc", "统一社会信用代码"),
    ItemSpec("region_code", "所在行政区划代码"),
    ItemSpec("address", "地址", length=10),
    ItemSpec("score", "分数", "decimal"),
    ItemSpec("age", "年龄", "integer"),
    ItemSpec("alive", "是否在世", "boolean"),
    ItemSpec("seen_at", "采集时间", "datetime"),
    ItemSpec("gender", "性别"),
    ItemSpec("updated_on", "更新日期", "date"),
)
RESOURCE = ResourceSpec(
    "620722-GA-001", "人口", "620722-GA", "620722", ITEMS, "id_number", "updated_on"
)


def _kinds(rules: list[RuleSpec]) -> set[tuple[str, str]]:
    return {(r.item, r.kind.value) for r in rules}


def test_defaults_follow_the_catalog() -> None:
    kinds = _kinds(default_rules(RESOURCE))
    assert {
        ("id_number", "required"), ("id_number", "unique"), ("id_number", "resident_id"),
        ("updated_on", "required"), ("updated_on", "type"), ("birth_date", "type"),
        ("phone", "phone"), ("mobile", "mobile"), ("office_phone", "phone"), ("uscc", "uscc"),
        ("region_code", "region"), ("address", "length"), ("score", "type"), ("age", "type"),
        ("alive", "type"), ("seen_at", "type"),
    } == kinds  # fmt: skip


def test_explicit_rules_override_disable_and_add_but_never_drop_the_type() -> None:
    explicit = [
        RuleSpec("address", RuleKind.length, {"max": 50}, origin="explicit"),
        RuleSpec("region_code", RuleKind.region, enabled=False, origin="explicit"),
        RuleSpec("gender", RuleKind.enum, {"values": ["男", "女"]}, origin="explicit"),
        RuleSpec("birth_date", RuleKind.type, enabled=False, origin="explicit"),
    ]
    rules = effective_rules(RESOURCE, explicit)
    by_id = {r.rule_id: r for r in rules}
    assert by_id["address.length"].params == {"max": 50}
    assert "region_code.region" not in by_id
    assert by_id["gender.enum"].origin == "explicit"
    assert by_id["birth_date.type"].origin == "default"


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (RuleSpec("nope", RuleKind.required), "unknown_item"),
        (RuleSpec("gender", RuleKind.enum, {"values": []}), "bad_rule_params"),
        (RuleSpec("score", RuleKind.range, {"min": "1"}), "bad_rule_params"),
        (RuleSpec("score", RuleKind.range, {}), "bad_rule_params"),
        (RuleSpec("name", RuleKind.pattern, {"regex": "("}), "bad_rule_params"),
        (RuleSpec("name", RuleKind.length, {"max": -1}), "bad_rule_params"),
        (RuleSpec("name", RuleKind.reference, {}), "bad_rule_params"),
        (RuleSpec("birth_date", RuleKind.resident_id), "rule_not_applicable"),
        (RuleSpec("name", RuleKind.type), "rule_not_applicable"),
    ],
)
def test_bad_explicit_rules_are_refused(rule: RuleSpec, code: str) -> None:
    with pytest.raises(BadInput) as refused:
        check_rule(RESOURCE, rule)
    assert refused.value.code == code


def test_good_explicit_rules_are_normalised() -> None:
    assert check_rule(RESOURCE, RuleSpec("gender", RuleKind.enum, {"values": ["男"]})) == {
        "values": ["男"], "ignore_case": False,
    }  # fmt: skip
    assert check_rule(RESOURCE, RuleSpec("score", RuleKind.range, {"min": 0, "x": 1})) == {"min": 0}
    assert check_rule(RESOURCE, RuleSpec("name", RuleKind.reference, {"resource": " R "})) == {
        "resource": "R"
    }


def _steps(extra: tuple[RuleSpec, ...] = ()) -> dict[str, Callable[[str], str]]:
    lookups = Lookups(
        region_exists=lambda code: code in {"620722", "620722100"},
        reference=lambda resource: {"K1", "K2"}.__contains__,
    )
    compiled = compile_rules(RESOURCE, effective_rules(RESOURCE, list(extra)), lookups)

    def chain(name: str) -> Callable[[str], str]:
        steps = compiled.by_item()[name].steps

        def run(text: str) -> str:
            for _, step in steps:
                text = step(text)
            return text

        return run

    return {item.name: chain(item.name) for item in ITEMS}


def _reason(check: Callable[[str], str], text: str) -> str:
    with pytest.raises(RuleFailure) as failed:
        check(text)
    return failed.value.reason


def test_steps_canonicalise_good_values() -> None:
    steps = _steps()
    valid = "62072219850307003" + id_check_char("62072219850307003")
    wide = valid.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert steps["id_number"](wide) == valid  # full-width digits folded
    assert steps["id_number"]("620722850307003") == valid  # 15 digits → 18
    assert _reason(steps["id_number"], valid[:-1] + ("0" if valid[-1] != "0" else "1")) == (
        "bad_checksum"
    )
    assert steps["phone"]("+86 139-1234-5678") == "13912345678"
    assert steps["phone"]("0936-2234567") == "0936-2234567"
    assert steps["birth_date"]("1985年3月7日") == "1985-03-07"
    assert steps["birth_date"]("19850307") == "1985-03-07"
    assert steps["seen_at"]("2024/1/2 8:30") == "2024-01-02 08:30:00"
    assert steps["seen_at"]("2024-01-02T08:30:05") == "2024-01-02 08:30:05"
    assert steps["seen_at"]("2024-01-02") == "2024-01-02 00:00:00"
    assert steps["alive"]("是") == "true"
    assert steps["alive"]("N") == "false"
    assert steps["age"]("４２") == "42"
    assert steps["score"]("1,234.50") == "1234.50"
    body = "91620722MA71X1234"
    assert steps["uscc"](f"{body[:8]}-{body[8:]}{uscc_check_char(body)}".lower()) == (
        body + uscc_check_char(body)
    )
    assert steps["region_code"]("620722100") == "620722100"


def test_steps_fail_with_reason_codes() -> None:
    steps = _steps()
    assert _reason(steps["id_number"], "62072219850307") == "bad_length"
    assert _reason(steps["phone"], "12345") == "bad_length"
    assert _reason(steps["phone"], "0936-1234567") == "bad_format"
    assert _reason(steps["mobile"], "0936-2234567") == "bad_format"
    assert _reason(steps["birth_date"], "1985-02-30") == "bad_date"
    assert _reason(steps["seen_at"], "昨天") == "bad_datetime"
    assert _reason(steps["alive"], "也许") == "not_boolean"
    assert _reason(steps["age"], "4.5") == "not_integer"
    assert _reason(steps["score"], "NaN") == "not_a_number"
    assert _reason(steps["uscc"], "91620722MA71X1234Y") in {"bad_checksum", "bad_format"}
    assert _reason(steps["region_code"], "620799") == "unknown_region"
    assert _reason(steps["region_code"], "62O722") == "bad_format"
    assert _reason(steps["address"], "甘肃省张掖市民乐县洪水镇") == "too_long"


def test_parameterised_steps() -> None:
    steps = _steps(
        (
            RuleSpec("gender", RuleKind.enum, {"values": ["男", "女"]}),
            RuleSpec("name", RuleKind.enum, {"values": ["Zhang"], "ignore_case": True}),
            RuleSpec("score", RuleKind.range, {"min": 0, "max": 100}),
            RuleSpec("mobile", RuleKind.pattern, {"regex": r"1\d{10}"}),
            RuleSpec("address", RuleKind.reference, {"resource": "other"}),
        )
    )
    assert steps["gender"]("女") == "女"
    assert _reason(steps["gender"], "X") == "not_allowed_value"
    assert steps["name"]("ZHANG") == "Zhang"
    assert _reason(steps["score"], "100.5") == "above_maximum"
    assert _reason(steps["score"], "-1") == "below_minimum"
    assert steps["address"]("K1") == "K1"
    assert _reason(steps["address"], "K3") == "unknown_reference"


def test_parse_datetime_refuses_nonsense() -> None:
    assert parse_datetime("2024-13-01 08:00") is None
    assert parse_datetime("2024-01-01 25:00") is None
