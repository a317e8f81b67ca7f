"""Sharing through the real services: requests and decisions, tokens, masking per item,
expiry and revocation, the delivery log and the audit trail."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sharing_fixtures import PEOPLE, MakeWorld, today
from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore, open_hub
from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import frozen
from citybrain.core.config import get_settings
from citybrain.core.errors import (
    BadInput,
    Conflict,
    InvalidState,
    PermissionDenied,
    Unauthenticated,
)
from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.datahub.sharing import delivery, service
from citybrain.datahub.sharing.models import SharingDelivery, SharingRequest
from citybrain.datahub.sharing.rules import DeliveryMethod, Protection, RequestStatus


def _hub() -> HubStore:
    """The hub the sharing world was loaded into (the process settings')."""
    return open_hub(get_settings())


def _by_town(rows: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {row["town_code"]: row for row in rows}


def test_unconditional_is_granted_at_once_and_rows_are_masked_as_specified(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    outcome = service.request_share(session, **world.ask())
    assert outcome.request.status == RequestStatus.approved
    assert outcome.grant is not None
    assert outcome.token is not None
    assert outcome.token.startswith(f"cbs_{outcome.grant.token_prefix}_")
    assert outcome.token not in outcome.grant.token_hash

    page = delivery.deliver_rows(session, store=_hub(), token=outcome.token, page=1, size=10)
    assert page.total == 3
    assert len(page.rows) == 3
    rows = _by_town(page.rows)
    first = rows["620722100"]
    id_number = PEOPLE[0]["公民身份号码"]
    assert first["id_number"] == id_number[:6] + "********" + id_number[-4:]
    assert first["phone"] == "139****5678"
    assert first["name"] == "张**"
    assert first["address"] == "甘肃省张掖市民乐县洪水镇" + "*" * len("城关路1号")
    assert first["gender"] == "男"  # 内部, no mask: clear
    assert re.fullmatch(r"[0-9a-f]{64}", str(first["remark"]))  # 核心, no mask: pseudonym
    assert rows["620722101"]["name"] == "欧阳**"
    assert rows["620722101"]["address"] == "甘肃省张掖市民乐县六坝镇" + "*" * len("六坝村三社")
    assert first["_trace"]["batch_id"] == world.batch_id
    assert isinstance(first["_trace"]["source_row"], int)
    assert "_key" not in first  # a blind index would let consumers join


def test_conditional_waits_for_the_provider_then_the_consumer_issues_the_token(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("conditional")
    outcome = service.request_share(session, **world.ask())
    assert outcome.request.status == RequestStatus.pending
    assert outcome.grant is None
    assert outcome.token is None

    approved = service.approve(
        session, request_id=outcome.request.id, note="同意", scope=Scope.system()
    )
    assert approved.request.status == RequestStatus.approved
    assert approved.grant is not None
    assert approved.token is None
    assert approved.request.decided_at is not None

    grant, token = service.issue_token(session, grant_id=approved.grant.id, scope=Scope.system())
    page = delivery.deliver_rows(session, store=_hub(), token=token)
    assert page.total == 3

    _, rotated = service.issue_token(session, grant_id=grant.id, scope=Scope.system())
    with pytest.raises(Unauthenticated) as old:
        delivery.deliver_rows(session, store=_hub(), token=token)
    assert old.value.code == "invalid_share_token"
    assert delivery.deliver_rows(session, store=_hub(), token=rotated).total == 3


def test_reject_needs_a_reason_and_ends_the_request(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("conditional")
    request = service.request_share(session, **world.ask()).request
    with pytest.raises(BadInput) as empty:
        service.reject(session, request_id=request.id, note="  ", scope=Scope.system())
    assert empty.value.code == "note_required"
    service.reject(session, request_id=request.id, note="用途与职责不符", scope=Scope.system())
    assert request.status == RequestStatus.rejected
    assert request.decision_note == "用途与职责不符"
    with pytest.raises(InvalidState) as again:
        service.approve(session, request_id=request.id, scope=Scope.system())
    assert again.value.code == "request_not_pending"


def test_not_shareable_is_refused_with_the_basis_and_the_refusal_is_kept(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("none")
    outcome = service.request_share(session, **world.ask())
    assert outcome.refusal is not None
    assert outcome.refusal.code == "share_refused"
    assert "保守国家秘密法" in outcome.refusal.message
    assert outcome.grant is None
    assert outcome.token is None
    stored = session.get(SharingRequest, outcome.request.id)
    assert stored is not None
    assert stored.status == RequestStatus.refused
    assert "保守国家秘密法" in stored.decision_note


def test_bad_requests_get_clear_errors(session: Session, make_world: MakeWorld) -> None:
    world = make_world("unconditional")
    with pytest.raises(BadInput) as unknown:
        service.request_share(session, **world.ask(items=["name", "blood_type"]))
    assert unknown.value.code == "unknown_item"
    assert "blood_type" in unknown.value.message
    with pytest.raises(BadInput) as reversed_:
        service.request_share(
            session, **world.ask(period_start=today(), period_end=today() - timedelta(days=1))
        )
    assert reversed_.value.code == "period_reversed"
    with pytest.raises(BadInput) as clear_core:
        service.request_share(
            session, **world.ask(protections={"remark": Protection.clear},
                                 actor=_principal("pii:unmask", "sharing:request",
                                                  department=world.consumer)),
        )  # fmt: skip
    assert clear_core.value.code == "protection_not_allowed"
    with pytest.raises(BadInput) as other_mask:
        service.request_share(session, **world.ask(protections={"phone": Protection.name}))
    assert other_mask.value.code == "protection_not_allowed"


def test_duplicate_pending_request_is_a_conflict(session: Session, make_world: MakeWorld) -> None:
    world = make_world("conditional")
    service.request_share(session, **world.ask())
    with pytest.raises(Conflict) as dup:
        service.request_share(session, **world.ask())
    assert dup.value.code == "request_pending"


def test_grant_expires_at_the_end_of_its_period(session: Session, make_world: MakeWorld) -> None:
    start = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in China
    with frozen(start) as clock:
        world = make_world("unconditional")
        outcome = service.request_share(
            session, **world.ask(period_end=today() + timedelta(days=1))
        )
        assert outcome.token is not None
        assert delivery.deliver_rows(session, store=_hub(), token=outcome.token).total == 3
        clock.advance(days=1, hours=13)  # 2026-03-11 23:00 China: still inside the last day
        assert delivery.deliver_rows(session, store=_hub(), token=outcome.token).total == 3
        clock.advance(hours=1)  # 2026-03-12 00:00 China
        with pytest.raises(PermissionDenied) as expired:
            delivery.deliver_rows(session, store=_hub(), token=outcome.token)
        assert expired.value.code == "grant_expired"
        assert service.expire_due(session) == 1
        assert outcome.request.status == RequestStatus.expired


def test_revoked_grant_is_refused(session: Session, make_world: MakeWorld) -> None:
    world = make_world("unconditional")
    outcome = service.request_share(session, **world.ask())
    assert outcome.grant is not None
    assert outcome.token is not None
    service.revoke_grant(
        session, grant_id=outcome.grant.id, reason="部门职能调整", scope=Scope.system()
    )
    with pytest.raises(PermissionDenied) as revoked:
        delivery.deliver_rows(session, store=_hub(), token=outcome.token)
    assert revoked.value.code == "grant_revoked"
    assert outcome.request.status == RequestStatus.revoked


def test_pseudonyms_are_stable_per_consumer_and_differ_between_consumers(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    wanted = {"id_number": Protection.pseudonym}
    mine = service.request_share(session, **world.ask(protections=wanted))
    theirs = service.request_share(
        session, **world.ask(protections=wanted, requester_code=world.other_consumer)
    )
    assert mine.token
    assert theirs.token
    first = _by_town(delivery.deliver_rows(session, store=_hub(), token=mine.token).rows)
    again = _by_town(delivery.deliver_rows(session, store=_hub(), token=mine.token).rows)
    other = _by_town(delivery.deliver_rows(session, store=_hub(), token=theirs.token).rows)
    for town in first:
        assert first[town]["id_number"] == again[town]["id_number"]  # joins within one consumer
        assert first[town]["remark"] == again[town]["remark"]
        assert first[town]["id_number"] != other[town]["id_number"]  # none across consumers
        assert first[town]["remark"] != other[town]["remark"]
        assert PEOPLE[0]["公民身份号码"] not in str(first[town]["id_number"])
    # Equal values get equal pseudonyms for one consumer (two people share 重点关注).
    assert first["620722100"]["remark"] == first["620722102"]["remark"]


def test_every_delivery_is_logged_with_rows_items_and_batches(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    outcome = service.request_share(session, **world.ask(items=["name", "town_code"]))
    assert outcome.token is not None
    page = delivery.deliver_rows(
        session, store=_hub(), token=outcome.token, page=1, size=2, source_ip="10.1.2.3"
    )
    assert [set(r) for r in page.rows] == [{"name", "town_code", "_trace"}] * 2
    log = session.get(SharingDelivery, page.delivery_id)
    assert log is not None
    assert log.row_count == 2
    assert log.method == "api"
    assert log.page == 1
    assert json.loads(log.items) == ["name", "town_code"]
    assert json.loads(log.batch_ids) == [world.batch_id]
    assert log.consumer_code == world.consumer
    assert log.source_ip == "10.1.2.3"
    assert log.actor.startswith(f"share:{world.consumer}:")
    audit = (
        session.execute(
            select(AuditRecord)
            .where(AuditRecord.action == "sharing.deliver")
            .order_by(AuditRecord.seq.desc())
        )
        .scalars()
        .first()
    )
    assert audit is not None
    assert json.loads(audit.detail)["rows"] == 2
    assert json.loads(audit.detail)["delivery_id"] == page.delivery_id


def test_a_delivered_row_traces_back_to_its_batch_and_source(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    outcome = service.request_share(session, **world.ask())
    assert outcome.token is not None
    row = delivery.deliver_rows(session, store=_hub(), token=outcome.token).rows[0]
    found = delivery.trace(
        session, store=_hub(), resource_code=world.code, batch_id=row["_trace"]["batch_id"],
        source_row=row["_trace"]["source_row"], scope=Scope.system(),
    )  # fmt: skip
    assert found.batch_id == world.batch_id
    assert found.batch is not None
    assert found.batch["source_name"] == world.source_name
    assert found.batch["checksum"] == world.checksum
    by_key = delivery.trace(
        session, store=_hub(), resource_code=world.code, key=found.key, scope=Scope.system()
    )
    assert (by_key.batch_id, by_key.source_row) == (found.batch_id, found.source_row)


def test_file_grants_deliver_csv_and_xlsx_only(session: Session, make_world: MakeWorld) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    world = make_world("unconditional")
    outcome = service.request_share(session, **world.ask(method=DeliveryMethod.file))
    assert outcome.token is not None
    with pytest.raises(PermissionDenied) as wrong:
        delivery.deliver_rows(session, store=_hub(), token=outcome.token)
    assert wrong.value.code == "wrong_delivery_method"

    csv_file = delivery.deliver_file(session, store=_hub(), token=outcome.token, file_format="csv")
    assert csv_file.content.startswith("\ufeff".encode())
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert (
        lines[0] == "姓名,公民身份号码,联系电话,户籍地址,性别,备注,所属乡镇,单位地址,批次号,源行号"
    )
    assert any(line.startswith("张**,") and ",139****5678," in line for line in lines)
    assert csv_file.row_count == 3

    xlsx_file = delivery.deliver_file(
        session, store=_hub(), token=outcome.token, file_format="xlsx"
    )
    sheet = load_workbook(BytesIO(xlsx_file.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["姓名", "公民身份号码"]
    assert {"张**", "欧阳**", "李*"} == {r[0] for r in values[1:]}
    assert outcome.grant is not None
    logs = (
        session.execute(
            select(SharingDelivery.method).where(SharingDelivery.grant_id == outcome.grant.id)
        )
        .scalars()
        .all()
    )
    assert sorted(logs) == ["csv", "xlsx"]


def test_clear_for_a_masked_item_needs_pii_unmask_and_an_approver(
    session: Session, make_world: MakeWorld
) -> None:
    world = make_world("unconditional")
    clear = {"office_address": Protection.clear}
    with pytest.raises(PermissionDenied) as denied:
        service.request_share(
            session,
            **world.ask(
                protections=clear, actor=_principal("sharing:request", department=world.consumer)
            ),
        )
    assert denied.value.code == "unmask_not_permitted"
    unmasker = _principal("sharing:request", "pii:unmask", department=world.consumer)
    outcome = service.request_share(session, **world.ask(protections=clear, actor=unmasker))
    assert outcome.request.status == RequestStatus.pending  # 无条件共享, yet clear needs a decision
    approved = service.approve(
        session, request_id=outcome.request.id, note="核查需要", scope=Scope.system()
    )
    assert approved.grant is not None
    _, token = service.issue_token(session, grant_id=approved.grant.id, scope=Scope.system())
    rows = _by_town(delivery.deliver_rows(session, store=_hub(), token=token).rows)
    assert rows["620722100"]["office_address"] == PEOPLE[0]["单位地址"]
    assert rows["620722100"]["address"] != PEOPLE[0]["户籍地址"]  # the others stay masked


def _principal(*codes: str, region: str = "620722", department: str | None = None) -> Principal:
    return Principal(kind="user", id=1, name="tester", region_code=region,
                     permissions=frozenset(codes), department_code=department)  # fmt: skip
