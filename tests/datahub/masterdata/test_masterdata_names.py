"""Screens show names: a person's region comes with its name (南古镇, not 620722104); and the
built-in 个人信息核查员 role unmasks a person, audited with its reason."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from masterdata_fixtures import *  # noqa: F403
from masterdata_fixtures import Demo
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.datahub.masterdata.models import MasterdataPerson
from citybrain.regions.models import Region

API = "/api/v1/masterdata"


def test_persons_carry_their_region_name(
    demo: Demo, client: TestClient, session: Session, login: Callable[..., dict[str, str]]
) -> None:
    headers = login("analyst")
    master = session.execute(
        select(MasterdataPerson).order_by(MasterdataPerson.master_id).limit(1)
    ).scalar_one()
    region = session.get(Region, master.region_code)
    assert region is not None
    found = client.get(f"{API}/persons", params={"q": master.name}, headers=headers)
    assert found.status_code == 200, found.text
    (item,) = [p for p in found.json()["items"] if p["master_id"] == master.master_id]
    assert (item["region_code"], item["region_name"]) == (region.code, region.name)
    profile = client.get(f"{API}/persons/{master.master_id}", headers=headers).json()
    assert profile["region_name"] == region.name


def test_the_pii_reviewer_unmasks_with_a_reason(
    demo: Demo, client: TestClient, session: Session, login: Callable[..., dict[str, str]]
) -> None:
    master = session.execute(
        select(MasterdataPerson).where(MasterdataPerson.id_number_enc.is_not(None)).limit(1)
    ).scalar_one()
    shown = client.post(
        f"{API}/persons/{master.master_id}/unmask",
        json={"reason": "核对低保申请人身份"},
        headers=login("pii_reviewer"),
    )
    assert shown.status_code == 200, shown.text
    assert re.fullmatch(r"\d{17}[\dX]", shown.json()["id_number"])
    audited = session.execute(
        select(func.count())
        .select_from(AuditRecord)
        .where(AuditRecord.action == "masterdata.unmask", AuditRecord.object_id == master.master_id)
    ).scalar_one()
    assert audited == 1
