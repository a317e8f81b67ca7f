"""Quarantine → report → rectification order → Excel download → resubmission → closed; rule
sets per resource; department scores."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import DEPARTMENT, Ingest, MakeResource, person, person_id, write_csv

from citybrain.analytics.hub import HubStore
from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import frozen, utcnow
from citybrain.core.errors import BadInput, InvalidState
from citybrain.core.scope import Scope
from citybrain.datahub.ingest.models import IngestQuarantineRow
from citybrain.datahub.quality import queries, service
from citybrain.datahub.quality.rules import RuleKind
from citybrain.datahub.quality.schemas import RuleWrite
from citybrain.datahub.rectification import queries as rectification_queries
from citybrain.datahub.rectification import service as rectification
from citybrain.datahub.rectification.models import QualityRectificationOrder

BAD = [
    person(1),
    person(2, 公民身份号码="620722198503070039"),
    person(3, 出生日期="1985-02-30", 联系电话="12345"),
    person(4),
]


def _sheet(data: bytes) -> list[list[Any]]:
    sheet: Any = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def _workbook(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet: Any = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _actions(session: Session, object_id: int) -> list[str]:
    return list(
        session.execute(
            select(AuditRecord.action).where(AuditRecord.object_id == str(object_id))
        ).scalars()
    )


@pytest.fixture
def failed_batch(tmp_path: Path, make_resource: MakeResource, ingest: Ingest) -> tuple[str, Any]:
    code = make_resource()
    return code, ingest(resource_code=code, path=write_csv(tmp_path / "bad.csv", BAD))


def test_a_batch_with_failed_rows_opens_an_order_to_the_owning_department(
    session: Session, failed_batch: tuple[str, Any]
) -> None:
    code, result = failed_batch
    order = session.get(QualityRectificationOrder, result.order_id)

    assert order is not None
    assert (order.department_code, order.resource_code, order.batch_id) == (
        DEPARTMENT, code, result.batch_id,
    )  # fmt: skip
    assert (order.status, order.failed_rows, order.remaining_rows) == ("open", 2, 2)
    assert order.deadline_on == utcnow().date() + dt.timedelta(days=10)
    assert "quality.rectification.open" in _actions(session, order.id)
    report = queries.report_of_batch(session, result.batch_id)
    assert report is not None
    assert (report.total_rows, report.passed_rows, report.score) == (4, 2, 50.0)
    assert {f.item for f in report.fields} == {"id_number", "birth_date", "phone"}


def test_download_resubmit_partially_then_fully_closes_the_order(
    session: Session, hub: HubStore, failed_batch: tuple[str, Any]
) -> None:
    code, result = failed_batch
    data = rectification.download_failed_rows_xlsx(
        session, order_id=result.order_id, scope=Scope.system()
    )

    rows = _sheet(data)
    header = rows[0]
    assert header[0] == "原行号"
    assert header[-1] == "问题说明"
    assert header[1:-1] == list(BAD[0])
    assert [r[0] for r in rows[1:]] == [3, 4]
    assert rows[1][2] == "620722198503070039"  # the owning department sees its own values
    assert "公民身份号码（id_number）：校验码错误" in rows[1][-1]
    assert "出生日期（birth_date）：日期无法识别或不存在" in rows[2][-1]
    download = session.execute(
        select(AuditRecord).where(AuditRecord.action == "quality.rectification.download")
    ).scalar_one()
    assert json.loads(download.detail)["personal_data"] is True

    id_col, born_col = header.index("公民身份号码"), header.index("出生日期")
    rows[1][id_col] = person_id(2)  # fixed
    rows[2][born_col] = "1985-02-28"  # fixed, but the phone is still wrong
    first = rectification.resubmit(
        session, order_id=result.order_id, data=_workbook(rows), store=hub, scope=Scope.system()
    )

    assert (first.submitted_rows, first.passed_rows, first.failed_rows) == (2, 1, 1)
    assert (first.status, first.remaining_rows) == ("open", 1)
    assert hub.count(code) == 3
    again = _sheet(
        rectification.download_failed_rows_xlsx(
            session, order_id=result.order_id, scope=Scope.system()
        )
    )
    assert [r[0] for r in again[1:]] == [4]
    assert again[1][born_col] == "1985-02-28"  # the latest attempt is what comes back
    assert again[1][-1] == "联系电话（phone）：长度不正确"

    again[1][header.index("联系电话")] = "13900000003"
    again.append([99, *again[1][1:]])  # a row that is not part of the order is ignored
    second = rectification.resubmit(
        session, order_id=result.order_id, data=_workbook(again), store=hub, scope=Scope.system()
    )

    assert (second.status, second.remaining_rows, second.ignored_rows) == ("closed", 0, 1)
    assert hub.count(code) == 4
    order = session.get(QualityRectificationOrder, result.order_id)
    assert order is not None
    assert (order.resubmission_count, order.last_batch_id) == (2, second.batch_id)
    assert order.closed_at is not None
    unresolved = session.execute(
        select(IngestQuarantineRow).where(
            IngestQuarantineRow.batch_id == result.batch_id,
            IngestQuarantineRow.resolved_at.is_(None),
        )
    ).first()
    assert unresolved is None
    assert "quality.rectification.close" in _actions(session, result.order_id)
    with pytest.raises(InvalidState) as closed:
        rectification.resubmit(
            session,
            order_id=result.order_id,
            data=_workbook(again),
            store=hub,
            scope=Scope.system(),
        )
    assert closed.value.code == "order_closed"


def test_resubmission_without_the_row_column_is_refused(
    session: Session, hub: HubStore, failed_batch: tuple[str, Any]
) -> None:
    _, result = failed_batch
    rows = _sheet(
        rectification.download_failed_rows_xlsx(
            session, order_id=result.order_id, scope=Scope.system()
        )
    )
    stripped = [r[1:] for r in rows]

    with pytest.raises(BadInput) as refused:
        rectification.resubmit(
            session,
            order_id=result.order_id,
            data=_workbook(stripped),
            store=hub,
            scope=Scope.system(),
        )

    assert refused.value.code == "missing_column"
    order = session.get(QualityRectificationOrder, result.order_id)
    assert order is not None
    assert order.status == "open"


def test_explicit_rules_change_what_passes(
    tmp_path: Path, session: Session, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    service.set_rules(
        session,
        resource_code=code,
        rules=[
            RuleWrite(item="gender", kind=RuleKind.enum, params={"values": ["男", "女"]}),
            RuleWrite(item="region_code", kind=RuleKind.region, enabled=False),
        ],
        scope=Scope.system(),
    )
    rows = [person(1, 性别="未知"), person(2, 行政区划代码="999999")]

    result = ingest(resource_code=code, path=write_csv(tmp_path / "r.csv", rows))

    assert (result.inserted_rows, result.quarantined_rows) == (1, 1)
    rule_set = queries.rule_set(session, code, scope=Scope.system())
    assert {(r.item, r.kind.value, r.origin) for r in rule_set.rules} >= {
        ("gender", "enum", "explicit"), ("id_number", "resident_id", "default"),
    }  # fmt: skip
    assert ("region_code", "region") not in {(r.item, r.kind.value) for r in rule_set.rules}
    with pytest.raises(BadInput) as refused:
        service.set_rules(
            session,
            resource_code=code,
            rules=[RuleWrite(item="nope", kind=RuleKind.required)],
            scope=Scope.system(),
        )
    assert refused.value.code == "unknown_item"


def test_department_score_weighs_recent_batches_by_rows(
    tmp_path: Path, session: Session, make_resource: MakeResource, ingest: Ingest
) -> None:
    code = make_resource()
    with frozen(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)):
        ingest(
            resource_code=code,
            path=write_csv(tmp_path / "old.csv", [person(9, 性别="x", 出生日期="x")]),
        )
    ingest(
        resource_code=code,
        path=write_csv(
            tmp_path / "a.csv", [person(n) for n in range(1, 10)] + [person(10, 出生日期="?")]
        ),
    )
    ingest(
        resource_code=code,
        path=write_csv(
            tmp_path / "b.csv",
            [
                person(n, updated="2024-02-01", 出生日期="?" if n > 15 else "1985-03-07")
                for n in range(11, 21)
            ],
        ),
    )

    scores = {
        s.department_code: s
        for s in rectification_queries.department_scores(session, scope=Scope.system())
    }

    mine = scores[DEPARTMENT]
    assert (mine.batches, mine.total_rows, mine.passed_rows) == (2, 20, 14)
    assert mine.score == 70.0
    assert mine.open_orders == 3
    everything = rectification_queries.department_scores(
        session, department_code=DEPARTMENT, window_days=100000, scope=Scope.system()
    )
    assert everything[0].batches == 3
