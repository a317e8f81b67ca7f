"""The batch report tally (pure): counts per rule and field, capped and masked examples."""

from __future__ import annotations

from citybrain.datahub.quality.report import Problem, QualityTally


def _tally(**kw: int) -> QualityTally:
    return QualityTally(
        titles={"id_number": "公民身份号码", "phone": "联系电话", "note": "备注"},
        masks={"id_number": "id_number", "phone": "mobile", "note": "none"},
        **kw,
    )


def test_counts_per_rule_and_field_with_masked_capped_examples() -> None:
    tally = _tally(examples_per_rule=2)
    tally.total = 10
    for row in (2, 3, 4):
        tally.add_failure(
            row,
            [
                Problem("id_number", "resident_id", "bad_checksum"),
                Problem("phone", "phone", "bad_length"),
            ],
            {"id_number": "620722198503070039", "phone": "1391234"},
        )
    tally.add_failure(5, [Problem("id_number", "required", "required")], {"id_number": None})

    rules = {r["rule"]: r for r in tally.rules_json()}
    assert rules["id_number.resident_id"]["failed"] == 3
    assert rules["id_number.resident_id"]["reasons"] == {"bad_checksum": 3}
    assert [e["row"] for e in rules["id_number.resident_id"]["examples"]] == [2, 3]
    assert rules["id_number.resident_id"]["examples"][0]["value"] == "620722********0039"
    assert rules["id_number.resident_id"]["examples"][0]["message"] == "校验码错误"
    assert rules["id_number.required"]["examples"][0]["value"] is None
    assert rules["phone.phone"]["label"] == "电话号码"
    assert tally.fields_json() == [
        {"item": "id_number", "title": "公民身份号码", "failed": 4},
        {"item": "phone", "title": "联系电话", "failed": 3},
    ]
    assert (tally.passed, tally.failed_rows, tally.score) == (6, 4, 60.0)


def test_an_unmarked_id_number_is_masked_by_its_rule_and_source_errors_are_labelled() -> None:
    tally = _tally()
    tally.total = 1
    tally.add_failure(
        2,
        [
            Problem("note", "resident_id", "bad_checksum"),
            Problem("note", "source", "precision_lost"),
        ],
        {"note": "620722198503070039"},
    )
    rules = tally.rules_json()
    assert rules[0]["examples"][0]["value"] == "620722********0039"
    assert {r["label"] for r in rules} == {"公民身份号码", "源数据"}
    assert _tally().score is None
