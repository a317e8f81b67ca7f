"""Helpers of the follow-the-hub tests (no tests here): department files of new batches, the
links and runs they leave, and a job system that follows loaded batches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from masterdata_fixtures import DEMO_PERSONS, Demo
from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.jobs.registry import Registry
from citybrain.core.jobs.system import JobSystem
from citybrain.datahub.demo.files import write_csv
from citybrain.datahub.demo.load import DEFAULT_SEED
from citybrain.datahub.demo.people import generate_people
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.masterdata import tasks
from citybrain.datahub.masterdata.models import MasterdataLinkageRun, MasterdataPersonLink
from citybrain.datahub.masterdata.sources import checksum_ok
from citybrain.datahub.quality.validators import id_check_char

WJ = "620722-WJ-001"
GA = "620722-GA-001"
Row = dict[str, object]


def demo_rows(settings: Settings) -> dict[str, list[Row]]:
    return generate_people(DEMO_PERSONS, seed=DEFAULT_SEED, data_dir=settings.data_dir).rows


def valid_ids(rows: list[Row]) -> set[str]:
    return {
        str(r["公民身份号码"])
        for r in rows
        if r.get("公民身份号码") and checksum_ok(str(r["公民身份号码"]))
    }


def newcomer_id(sequence: int) -> str:
    body = f"62072219900101{sequence:03d}"
    return body + id_check_char(body)


def wj_file(demo: Demo, path: Path, people: list[tuple[str, str, str | None]]) -> Path:
    """A 卫健 签约 file of (name, ID number, phone) rows."""
    template = demo_rows(demo.settings)["WJ-001"][0]
    rows = [
        {**template, "姓名": name, "公民身份号码": number, "联系电话": phone}
        for name, number, phone in people
    ]
    return write_csv(path, rows, encoding="utf-8")


def known_not_signed(demo: Demo, count: int) -> list[tuple[str, str]]:
    """(name, ID number) of residents in 户籍 with no 卫健 record."""
    rows = demo_rows(demo.settings)
    signed = valid_ids(rows["WJ-001"])
    by_id = {str(r["公民身份号码"]): r for r in rows["GA-001"] if r.get("公民身份号码")}
    chosen = sorted(valid_ids(rows["GA-001"]) - signed)[:count]
    return [(str(by_id[n]["姓名"]), n) for n in chosen]


def links(session: Session) -> dict[str, str]:
    link = MasterdataPersonLink
    return {
        str(s): str(m) for s, m in session.execute(select(link.source_record_id, link.master_id))
    }


def master_of_id(demo: Demo, session: Session, number: str, resource: str = GA) -> str:
    """The master holding ``resource``'s record of ID ``number``."""
    index = field_cipher(demo.settings).blind_index(number)
    return str(
        session.execute(
            text(
                "select master_id from masterdata_person_link"
                " where id_number_bidx = :i and resource_code = :r"
            ),
            {"i": index, "r": resource},
        ).scalar_one()
    )


def runs(session: Session) -> list[MasterdataLinkageRun]:
    run = MasterdataLinkageRun
    return list(session.execute(select(run).order_by(run.id)).scalars())


@contextmanager
def following(settings: Settings, connection: Connection) -> Iterator[JobSystem]:
    """A job system on the test's connection (jobs run at once) that follows loaded batches."""
    registry = Registry()
    tasks.register_jobs(registry)
    jobs = JobSystem(settings, make_session_factory(connection), registry=registry)
    tasks.follow_batches(jobs)
    try:
        yield jobs
    finally:
        tasks.stop_following(jobs)
