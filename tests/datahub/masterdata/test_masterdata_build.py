"""人口库 and 法人库 built from the demo departments: one person one master, encrypted numbers,
stable ids across batches, masked profiles, the audited unmask, and entity fallback linking."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from masterdata_fixtures import *  # noqa: F403
from masterdata_fixtures import DEMO_PERSONS, Demo
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core.audit.models import AuditRecord
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings
from citybrain.core.errors import BadInput, NotFound, PermissionDenied
from citybrain.core.pagination import PageParams
from citybrain.core.scope import Scope
from citybrain.core.security import Principal
from citybrain.datahub.demo.files import write_csv
from citybrain.datahub.demo.load import DEFAULT_SEED
from citybrain.datahub.demo.people import generate_people
from citybrain.datahub.ingest.pipeline import hub_spec_for
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.ingest.service import ingest_file
from citybrain.datahub.masterdata import persist, service
from citybrain.datahub.masterdata.masters import MasterMerge
from citybrain.datahub.masterdata.models import (
    MasterdataEntity,
    MasterdataEntityLink,
    MasterdataPerson,
    MasterdataPersonLink,
)
from citybrain.datahub.masterdata.sources import checksum_ok
from citybrain.datahub.quality.queries import resource_spec
from citybrain.datahub.quality.validators import id_check_char, uscc_check_char

PERSON_CODES = [f"620722-{s}" for s in ("GA-001", "MZ-001", "MZ-002", "WJ-001", "RS-001")]
ANALYST = Principal("user", 1, "analyst", "620722", ("analyst",), frozenset({"masterdata:read"}))
UNMASKER = Principal("user", 2, "auditor", "620722", (), frozenset({"pii:unmask"}))


def _rows(settings: Settings) -> dict[str, list[dict[str, object]]]:
    return generate_people(DEMO_PERSONS, seed=DEFAULT_SEED, data_dir=settings.data_dir).rows


def _valid_ids(rows: list[dict[str, object]], key: str = "公民身份号码") -> set[str]:
    return {str(r[key]) for r in rows if r.get(key) and checksum_ok(str(r[key]))}


def _person_everywhere(demo: Demo, session: Session) -> str:
    """The ID number of a resident whose loaded records span 公安, 民政 and 卫健."""
    indexes = session.execute(
        text(
            "select value_bidx from masterdata_person_attribute where attribute = 'id_number'"
            " group by value_bidx having count(distinct resource_code) >= 3"
            " and sum(case when resource_code = '620722-GA-001' then 1 else 0 end) = 1"
            " and sum(case when resource_code = '620722-WJ-001' then 1 else 0 end) = 1"
            " and sum(case when resource_code like '620722-MZ-%' then 1 else 0 end) >= 1"
        )
    ).scalars()
    wanted = set(indexes)
    cipher = field_cipher(demo.settings)
    numbers = sorted(_valid_ids(_rows(demo.settings)["GA-001"]))
    return next(n for n in numbers if cipher.blind_index(n) in wanted)


def _audits(session: Session, action: str) -> list[AuditRecord]:
    return list(session.execute(select(AuditRecord).where(AuditRecord.action == action)).scalars())


def test_demo_records_become_fewer_masters(demo: Demo, session: Session) -> None:
    build = demo.report.person_build
    assert build is not None
    assert build.model_trained
    assert build.new_masters == build.masters < build.records
    # Every master holds exactly one ID number and every ID number one master.
    split = session.execute(
        text(
            "select count(*) from (select value_bidx from masterdata_person_attribute"
            " where attribute = 'id_number' group by value_bidx"
            " having count(distinct master_id) > 1) as split_ids"
        )
    ).scalar_one()
    assert split == 0
    assert _audits(session, "masterdata.persons.build")


def test_one_person_across_departments_is_one_master_found_by_blind_index(
    demo: Demo, session: Session
) -> None:
    number = _person_everywhere(demo, session)
    page = service.search_persons(
        session,
        q=number,
        page=PageParams(),
        scope=Scope(region_code="620722", all_departments=True),
        settings=demo.settings,
    )
    assert page.kind == "id_number"
    assert page.total == 1
    profile = service.read_person_profile(
        session,
        master_id=page.items[0].master_id,
        scope=Scope(region_code="620722", all_departments=True),
    )
    sources = {a.resource_code for a in profile.attributes if a.attribute == "id_number"}
    assert {"620722-GA-001", "620722-WJ-001"} <= sources
    assert sources & {"620722-MZ-001", "620722-MZ-002"}
    # A search by another spelling of the number (lower-case x, blanks) finds the same master.
    spaced = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
    again = service.search_persons(
        session,
        q=spaced,
        page=PageParams(),
        scope=Scope(region_code="620722", all_departments=True),
    )
    assert [p.master_id for p in again.items] == [profile.master_id]
    assert _audits(session, "masterdata.person.search")


def test_numbers_are_stored_encrypted(demo: Demo, session: Session) -> None:
    number = _person_everywhere(demo, session)
    cipher = field_cipher(demo.settings)
    master = session.execute(
        select(MasterdataPerson).where(
            MasterdataPerson.id_number_bidx == cipher.blind_index(number)
        )
    ).scalar_one()
    assert master.id_number_enc
    assert number not in master.id_number_enc
    leaked = session.execute(
        text(
            "select (select count(*) from masterdata_person where id_number_enc like :n"
            " or phone_enc like :n) + (select count(*) from masterdata_person_attribute"
            " where value like :n)"
        ),
        {"n": f"%{number}%"},
    ).scalar_one()
    assert leaked == 0


def test_profile_is_masked_and_its_read_audited(demo: Demo, session: Session) -> None:
    number = _person_everywhere(demo, session)
    page = service.search_persons(
        session,
        q=number,
        page=PageParams(),
        scope=Scope(region_code="620722", all_departments=True),
    )
    profile = service.read_person_profile(
        session,
        master_id=page.items[0].master_id,
        scope=Scope(region_code="620722", all_departments=True),
    )
    assert profile.masked
    assert profile.id_number == number[:6] + "*" * 8 + number[-4:]
    assert profile.phone is None or re.fullmatch(r"\d{3}\*{4}\d{4}", profile.phone)
    assert re.fullmatch(r".\*+", profile.name)
    for value in profile.attributes:
        assert value.department_code
        assert value.batch_id
        assert number not in value.value
    (record,) = [
        r for r in _audits(session, "masterdata.person.read") if r.object_id == profile.master_id
    ]
    assert json.loads(record.detail)["masked"] is True


def test_unmask_needs_the_permission_and_a_reason(demo: Demo, session: Session) -> None:
    number = _person_everywhere(demo, session)
    master_id = (
        service.search_persons(
            session,
            q=number,
            page=PageParams(),
            scope=Scope(region_code="620722", all_departments=True),
        )
        .items[0]
        .master_id
    )
    with pytest.raises(PermissionDenied):
        service.unmask(session, master_id=master_id, reason="核查低保资格", principal=ANALYST)
    with pytest.raises(BadInput) as missing:
        service.unmask(session, master_id=master_id, reason=" 看看 ", principal=UNMASKER)
    assert missing.value.code == "reason_required"
    plain = service.unmask(session, master_id=master_id, reason="核查低保资格", principal=UNMASKER)
    assert plain.id_number == number
    assert not plain.masked
    assert number in {a.value for a in plain.attributes if a.attribute == "id_number"}
    (record,) = _audits(session, "masterdata.unmask")
    detail = json.loads(record.detail)
    assert detail["reason"] == "核查低保资格"
    assert "id_number" in detail["fields"]
    assert number not in record.detail


def test_other_regions_see_nothing(demo: Demo, session: Session) -> None:
    page = service.search_persons(
        session, q="", page=PageParams(), scope=Scope(region_code="620723", all_departments=True)
    )
    assert page.total == 0
    some = session.execute(select(MasterdataPerson.master_id).limit(1)).scalar_one()
    with pytest.raises(NotFound):
        service.read_person_profile(
            session, master_id=some, scope=Scope(region_code="620723", all_departments=True)
        )


def _links(session: Session) -> dict[str, str]:
    link = MasterdataPersonLink
    rows = session.execute(select(link.source_record_id, link.master_id)).all()
    return {str(r[0]): str(r[1]) for r in rows}


def _new_wj_file(demo: Demo, folder: Path) -> tuple[Path, list[str], list[str]]:
    """A second 卫健 batch: three known residents not yet signed, two newcomers."""
    rows = _rows(demo.settings)
    signed = _valid_ids(rows["WJ-001"])
    known = sorted(_valid_ids(rows["GA-001"]) - signed)[:3]
    by_id = {str(r["公民身份号码"]): r for r in rows["GA-001"] if r.get("公民身份号码")}
    newcomers = []
    for sequence in (701, 703):
        body = f"62072219900101{sequence}"
        newcomers.append(body + id_check_char(body))
    template = rows["WJ-001"][0]
    out = []
    for number in known:
        name = str(by_id[number]["姓名"])
        out.append({**template, "姓名": name, "公民身份号码": number, "联系电话": None})
    for i, number in enumerate(newcomers):
        out.append({**template, "姓名": f"新来{i}", "公民身份号码": number, "联系电话": None})
    return write_csv(folder / "卫健_新签约.csv", out, encoding="utf-8"), known, newcomers


def test_a_new_batch_links_into_existing_masters_with_stable_ids(
    demo: Demo, session: Session, hub_copy: tuple[Settings, HubStore], tmp_path: Path
) -> None:
    settings, hub = hub_copy
    before = _links(session)
    last = max(before.values())
    path, known, newcomers = _new_wj_file(demo, tmp_path)
    loaded = ingest_file(
        session, resource_code="620722-WJ-001", path=path, settings=settings, store=hub
    )
    assert loaded.inserted_rows == 5
    report = service.rebuild_persons(
        session, hub=hub, resource_codes=PERSON_CODES, settings=settings
    )
    assert not report.model_trained  # the stored model scored the batch
    assert (report.new_records, report.new_masters, report.linked_to_existing) == (5, 2, 3)
    after = _links(session)
    assert {k: after[k] for k in before} == before
    minted = set(after.values()) - set(before.values())
    assert len(minted) == 2
    assert all(m > last for m in minted)
    for number in known:
        page = service.search_persons(
            session,
            q=number,
            page=PageParams(),
            scope=Scope(region_code="620722", all_departments=True),
        )
        assert page.total == 1
        assert page.items[0].record_count >= 2
    for number in newcomers:
        page = service.search_persons(
            session,
            q=number,
            page=PageParams(),
            scope=Scope(region_code="620722", all_departments=True),
        )
        assert page.items[0].master_id in minted
    again = service.rebuild_persons(
        session, hub=hub, resource_codes=PERSON_CODES, settings=settings
    )
    assert (again.new_records, again.new_masters, again.merges) == (0, 0, [])


def test_a_merge_retires_a_master_and_its_id(demo: Demo, session: Session) -> None:
    first, second = session.execute(
        select(MasterdataPerson.master_id).order_by(MasterdataPerson.master_id).limit(2)
    ).scalars()
    persist.apply_merges(session, persist.PERSON_TABLES, [MasterMerge(second, first)], now=utcnow())
    profile = service.read_person_profile(
        session, master_id=second, scope=Scope(region_code="620722", all_departments=True)
    )
    assert profile.master_id == first
    assert profile.requested_id == second
    assert profile.merged_ids == [second]
    moved = session.execute(
        select(MasterdataPersonLink.master_id).where(MasterdataPersonLink.master_id == second)
    ).all()
    assert moved == []
    assert persist.last_issued_number(session, persist.PERSON_TABLES) >= int(second[1:])


def _bad_code(body: str) -> str:
    return body + next(c for c in "0123456789" if c != uscc_check_char(body))


def test_entities_link_on_the_code_else_on_name_and_address(
    demo: Demo, session: Session, hub_copy: tuple[Settings, HubStore]
) -> None:
    _, hub = hub_copy
    known = session.execute(
        select(MasterdataEntity).where(MasterdataEntity.uscc.is_not(None)).limit(1)
    ).scalar_one()
    spec = hub_spec_for(resource_spec(session, "620722-SJ-001", scope=Scope.system()))
    rows = [  # uscc, name, address: the code missing, then invalid, then valid and new
        (None, known.name, f"  {known.address}"),
        (_bad_code("91620722MA0000000"), "民乐县新开张商贸有限公司", "民乐县洪水镇新街1号"),
        (known.uscc, known.name + "（变更）", "民乐县六坝镇"),
    ]
    columns: dict[str, list[str | None]] = {c.name: [] for c in spec.columns}
    columns.update(_key=[], _version=[], _source_row=[])
    for i, (code, name, address) in enumerate(rows, start=1):
        for column in spec.columns:
            columns[column.name].append(None)
        columns["uscc"][-1], columns["enterprise_name"][-1] = code, name
        columns["registered_address"][-1] = address
        columns["_key"].append(f"test-{i}")
        columns["_version"].append("2030-01-01 00:00:00")
        columns["_source_row"].append(str(i))
    with hub.staging(spec) as staging:
        staging.append(columns)
        staging.merge(batch_id=999_999)
    report = service.rebuild_entities(session, hub=hub, resource_codes=["620722-SJ-001"])
    assert (report.new_records, report.new_masters, report.linked_to_existing) == (3, 1, 2)
    rows_now = session.execute(
        select(MasterdataEntityLink.source_record_id, MasterdataEntityLink.master_id).where(
            MasterdataEntityLink.source_record_id.like("%:test-%")
        )
    ).all()
    links = {str(r[0]): str(r[1]) for r in rows_now}
    assert links["620722-SJ-001:test-1"] == links["620722-SJ-001:test-3"] == known.master_id
    assert links["620722-SJ-001:test-2"] != known.master_id
