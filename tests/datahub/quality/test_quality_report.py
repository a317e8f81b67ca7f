"""The batch report tally (pure): counts per rule and field, capped and masked examples."""

from __future__ import annotations

import json

from pydantic import TypeAdapter

from citybrain.app import create_app
from citybrain.datahub.quality.report import Problem, QualityTally
from citybrain.datahub.quality.schemas import QualityReportRule


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

    rules = {r.rule: r for r in tally.report_rules()}
    assert rules["id_number.resident_id"].failed == 3
    assert rules["id_number.resident_id"].reasons == {"bad_checksum": 3}
    assert [e.row for e in rules["id_number.resident_id"].examples] == [2, 3]
    assert rules["id_number.resident_id"].examples[0].value == "620722********0039"
    assert rules["id_number.resident_id"].examples[0].message == "校验码错误"
    assert rules["id_number.required"].examples[0].value is None
    assert rules["phone.phone"].label == "电话号码"
    assert [f.model_dump() for f in tally.report_fields()] == [
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
    rules = tally.report_rules()
    assert rules[0].examples[0].value == "620722********0039"
    assert {r.label for r in rules} == {"公民身份号码", "源数据"}
    assert _tally().score is None


def test_the_stored_report_reads_back_as_the_typed_schema() -> None:
    """What ``record_report`` stores (the tally dumped to JSON) validates as the API schema."""
    tally = _tally()
    tally.total = 2
    tally.add_failure(2, [Problem("phone", "phone", "bad_length")], {"phone": "1391234"})
    stored = json.loads(json.dumps([r.model_dump(mode="json") for r in tally.report_rules()]))
    assert TypeAdapter(list[QualityReportRule]).validate_python(stored) == tally.report_rules()


def test_the_report_is_typed_in_the_openapi_document() -> None:
    """The web client's types come from here (web/src/modules/datahub/report.ts)."""
    schemas = create_app().openapi()["components"]["schemas"]
    detail = schemas["BatchDetail"]["properties"]["report"]["anyOf"]
    assert {"$ref": "#/components/schemas/ReportRead"} in detail
    rules = schemas["ReportRead"]["properties"]["rules"]["items"]
    assert rules == {"$ref": "#/components/schemas/QualityReportRule"}
    example = schemas["QualityReportRule"]["properties"]["examples"]["items"]
    assert example == {"$ref": "#/components/schemas/QualityReportExample"}
