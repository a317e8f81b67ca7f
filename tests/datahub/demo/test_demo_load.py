"""The data-hub demo end to end on a fresh home: messy sources in their real formats, quality
reports and rectification orders for the faulty rows, linked masters, and a second run that
changes nothing."""

from __future__ import annotations

import csv
import random
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import open_hub
from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.crypto import CryptoError
from citybrain.datahub.demo import load_datahub_demo
from citybrain.datahub.demo.enterprises import make_uscc, org_code_check_char, uscc_check_char
from citybrain.datahub.demo.load import SOURCE_NAMES, sources_dir, unseal
from citybrain.datahub.masterdata.models import MasterdataEntity, MasterdataPerson
from citybrain.datahub.quality.models import QualityReport
from citybrain.datahub.quality.validators import normalize_uscc, validate_uscc
from citybrain.datahub.rectification.models import QualityRectificationOrder
from hub_testing import hub_settings

PERSONS = 400


def _count(session: Session, model: type[MasterdataPerson] | type[MasterdataEntity]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_demo_load_end_to_end_and_again(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    home = hub_settings(settings, tmp_path)
    steps: list[str] = []
    report = load_datahub_demo(
        session, home, persons=PERSONS, progress=lambda step, done, total: steps.append(step)
    )
    assert report.sources_written
    assert {"catalog", "generate", "persons", "entities"} <= set(steps)
    assert [b.status for b in report.batches] == ["loaded"] * 6
    assert report.faults["bad_checksum"] > 0
    # Faulty rows were quarantined: reports with failures, open rectification orders.
    failed = session.execute(
        select(func.count()).select_from(QualityReport).where(QualityReport.failed_rows > 0)
    ).scalar_one()
    assert failed >= 5
    orders = session.execute(
        select(func.count())
        .select_from(QualityRectificationOrder)
        .where(QualityRectificationOrder.status == "open")
    ).scalar_one()
    assert orders >= 1
    persons = report.person_build
    assert persons is not None
    assert 0 < report.person_masters == persons.masters < persons.records
    assert report.entity_build is not None
    assert report.entity_build.masters > 0
    actions = set(
        session.execute(
            select(AuditRecord.action).where(AuditRecord.action.like("masterdata.%"))
        ).scalars()
    )
    assert {"masterdata.persons.build", "masterdata.entities.build"} <= actions

    hub = open_hub(home)
    counts = {b.resource_code: hub.count(b.resource_code) for b in report.batches}
    masters = (_count(session, MasterdataPerson), _count(session, MasterdataEntity))
    again = load_datahub_demo(session, home, persons=PERSONS)
    assert not again.sources_written
    assert [b.status for b in again.batches] == ["duplicate"] * 6
    assert again.person_build is None
    assert again.entity_build is None
    assert {b.resource_code: hub.count(b.resource_code) for b in again.batches} == counts
    assert (_count(session, MasterdataPerson), _count(session, MasterdataEntity)) == masters


def test_sources_come_in_the_departments_formats(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    home = hub_settings(settings, tmp_path)
    load_datahub_demo(session, home, persons=100)
    folder = tmp_path / "opened"
    folder.mkdir()
    for sealed in sources_dir(home).glob("*.sm4"):
        (folder / sealed.name.removesuffix(".sm4")).write_bytes(unseal(sealed, home))
    police = (folder / "公安局_户籍人口信息.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        police.decode("utf-8")
    assert police.decode("gbk").startswith("姓名,公民身份号码")
    assert (folder / "民政局_养老服务对象.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    register = load_workbook(folder / "民政局_低保对象花名册.xlsx")
    sheet = register.worksheets[0]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A3:A4", "B3:D3"} <= merged
    assert any(r.startswith("A1:") for r in merged)
    assert zipfile.is_zipfile(folder / "卫健局_家庭医生签约.xlsx")
    firms = (folder / "市场监管局_企业登记.csv").read_bytes().decode("gb18030")
    codes = [row["统一社会信用代码"] for row in csv.DictReader(firms.splitlines())]
    assert sum(validate_uscc(c) is None for c in codes if c) >= 0.9 * len(codes)


def test_sources_are_kept_only_encrypted(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    """Security review: the departments' raw files stayed in clear under the home."""
    home = hub_settings(settings, tmp_path)
    report = load_datahub_demo(session, home, persons=100)
    kept = sorted(p.name for p in sources_dir(home).iterdir())
    assert kept == sorted([f"{name}.sm4" for name in SOURCE_NAMES] + ["manifest.json"])
    # A name of the police file's first person appears in no file under the home in clear.
    first = unseal(sources_dir(home) / "公安局_户籍人口信息.csv.sm4", home).decode("gbk")
    id_number = first.splitlines()[1].split(",")[1]
    assert len(id_number) == 18
    holding = [
        p for p in tmp_path.rglob("*") if p.is_file() and id_number.encode() in p.read_bytes()
    ]
    assert holding == []
    assert [b.status for b in report.batches] == ["loaded"] * 6
    renamed = sources_dir(home) / "卫健局_家庭医生签约.xlsx.sm4"
    renamed.write_bytes((sources_dir(home) / "公安局_户籍人口信息.csv.sm4").read_bytes())
    with pytest.raises(CryptoError):  # swapped or tampered with: refused, not misread
        unseal(renamed, home)


def test_plaintext_sources_of_an_older_version_are_sealed_and_removed(
    session: Session, settings: Settings, tmp_path: Path
) -> None:
    home = hub_settings(settings, tmp_path)
    load_datahub_demo(session, home, persons=100)
    folder = sources_dir(home)
    sealed = folder / "民政局_养老服务对象.csv.sm4"
    plain = folder / "民政局_养老服务对象.csv"
    plain.write_bytes(unseal(sealed, home))  # as an older version left it
    sealed.unlink()
    again = load_datahub_demo(session, home, persons=100)
    assert not plain.exists()
    assert sealed.exists()
    assert [b.status for b in again.batches] == ["duplicate"] * 6


def test_credit_codes_follow_gb32100() -> None:
    rng = random.Random(1)
    for _ in range(200):
        code = make_uscc(rng, "1")
        assert validate_uscc(code) is None, code
    # The published example 91110000600037341L: organisation code 60003734-1, check L.
    assert org_code_check_char("60003734") == "1"
    assert uscc_check_char(normalize_uscc("91 110000 60003734 1")) == "L"
