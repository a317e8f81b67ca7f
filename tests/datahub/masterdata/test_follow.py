"""Master data follow the hub: a loaded batch is announced after commit (never on rollback), the
subscriber queues one link job per batch of a resource that feeds 人口库, and the job links only
that batch's new and changed records into the existing masters, ids stable."""

from __future__ import annotations

import json
from pathlib import Path

from follow_helpers import (
    WJ,
    following,
    known_not_signed,
    links,
    master_of_id,
    newcomer_id,
    runs,
    wj_file,
)
from masterdata_fixtures import *  # noqa: F403
from masterdata_fixtures import Demo
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from citybrain.analytics.hub import HubStore
from citybrain.core import domain_events
from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.core.domain_events import DomainEvent
from citybrain.core.jobs.models import JobRun
from citybrain.datahub.demo.files import write_csv
from citybrain.datahub.ingest.resources import field_cipher
from citybrain.datahub.ingest.schemas import BatchResult
from citybrain.datahub.ingest.service import ingest_file
from citybrain.datahub.masterdata import tasks
from citybrain.datahub.masterdata.models import MasterdataPerson, MasterdataPersonLink

_SEEN: list[DomainEvent] = []
domain_events.subscribe(tasks.BATCH_LOADED, _SEEN.append)


def _ingest(
    connection: Connection, settings: Settings, hub: HubStore, code: str, path: Path
) -> BatchResult:
    """Ingest ``path`` in a transaction of its own, committed (the way a job does)."""
    with make_session_factory(connection)() as session, session.begin():
        set_actor(session, actor="test:follow", role="cli")
        return ingest_file(session, resource_code=code, path=path, settings=settings, store=hub)


def _link_runs(session: Session) -> list[JobRun]:
    run = JobRun
    return list(session.execute(select(run).where(run.job_name == tasks.LINK_BATCH_JOB)).scalars())


def test_a_loaded_batch_is_announced_after_commit_and_never_on_rollback(
    demo: Demo, connection: Connection, hub_copy: tuple[Settings, HubStore], tmp_path: Path
) -> None:
    settings, hub = hub_copy
    path = wj_file(demo, tmp_path / "wj.csv", [("新来甲", newcomer_id(701), None)])
    _SEEN.clear()
    with make_session_factory(connection)() as session:
        session.begin()
        set_actor(session, actor="test:follow", role="cli")
        dropped = ingest_file(session, resource_code=WJ, path=path, settings=settings, store=hub)
        assert dropped.status == "loaded"
        assert _SEEN == []  # not before the commit
        session.rollback()
    assert _SEEN == []  # and never for a rolled-back batch
    with make_session_factory(connection)() as session:
        with session.begin():
            set_actor(session, actor="test:follow", role="cli")
            kept = ingest_file(session, resource_code=WJ, path=path, settings=settings, store=hub)
            assert _SEEN == []
        (event,) = _SEEN
    assert event.payload["batch_id"] == kept.batch_id
    assert event.payload["resource_code"] == WJ
    assert event.payload["region_code"] == "620722"
    assert event.payload["rows"] == 1
    assert event.payload["inserted"] + event.payload["updated"] == 1


def test_one_link_job_per_batch_and_only_for_resources_that_feed_a_master(
    demo: Demo,
    connection: Connection,
    session: Session,
    hub_copy: tuple[Settings, HubStore],
    tmp_path: Path,
) -> None:
    settings, hub = hub_copy
    path = wj_file(demo, tmp_path / "wj.csv", [("新来乙", newcomer_id(703), None)])
    clinics = write_csv(
        tmp_path / "clinics.csv",
        [{"机构代码": "WSY620722001", "机构名称": "洪水镇卫生院", "机构类别": "卫生院",
          "地址": "民乐县洪水镇", "服务电话": "0936-4400120", "所属乡镇": "620722100"}],
        encoding="utf-8",
    )  # fmt: skip
    with following(settings, connection):
        loaded = _ingest(connection, settings, hub, WJ, path)
        (run,) = _link_runs(session)
        assert run.run_key == f"batch:{loaded.batch_id}"
        assert run.outcome == "ok", run.error
        # The same announcement again (a re-delivery) queues nothing more.
        tasks.on_batch_loaded(
            DomainEvent(tasks.BATCH_LOADED, {"batch_id": loaded.batch_id, "resource_code": WJ,
                                             "inserted": 1, "updated": 0})
        )  # fmt: skip
        assert len(_link_runs(session)) == 1
        # A resource that feeds no master (the clinics' directory) queues nothing.
        other = _ingest(connection, settings, hub, "620722-WJ-002", clinics)
        assert other.status == "loaded"
        assert other.inserted_rows == 1
        assert len(_link_runs(session)) == 1
    # Without a follower nothing is queued.
    again = wj_file(demo, tmp_path / "wj2.csv", [("新来丙", newcomer_id(705), None)])
    _ingest(connection, settings, hub, WJ, again)
    assert len(_link_runs(session)) == 1


def test_a_second_batch_joins_existing_masters_and_keeps_every_id(
    demo: Demo,
    connection: Connection,
    session: Session,
    hub_copy: tuple[Settings, HubStore],
    tmp_path: Path,
) -> None:
    settings, hub = hub_copy
    before = links(session)
    last = max(before.values())
    known = known_not_signed(demo, 3)
    newcomers = [newcomer_id(711), newcomer_id(713)]
    people = [(name, number, None) for name, number in known]
    people += [(f"新来{i}", number, None) for i, number in enumerate(newcomers)]
    masters_of_known = {n: master_of_id(demo, session, n) for _, n in known}
    with following(settings, connection):
        loaded = _ingest(connection, settings, hub, WJ, wj_file(demo, tmp_path / "wj.csv", people))
    assert loaded.inserted_rows == 5
    after = links(session)
    assert {k: after[k] for k in before} == before  # every earlier record kept its master
    for _, number in known:
        assert master_of_id(demo, session, number, WJ) == masters_of_known[number]
    minted = {master_of_id(demo, session, n, WJ) for n in newcomers}
    assert len(minted) == 2
    assert all(m > last for m in minted)
    run = runs(session)[-1]
    assert (run.kind, run.batch_id) == ("batch", loaded.batch_id)
    # Only the batch's records were linked, not the population.
    assert (run.records, run.new_records, run.new_masters) == (5, 5, 2)
    assert run.pairs_scored >= 3
    actions = [
        r.action
        for r in session.execute(select(AuditRecord).order_by(AuditRecord.id)).scalars()
        if r.action.startswith("masterdata.persons.")
    ]
    assert actions[-1] == "masterdata.persons.link_batch"
    detail = json.loads(
        session.execute(
            select(AuditRecord.detail)
            .where(AuditRecord.action == "masterdata.persons.link_batch")
            .order_by(AuditRecord.id.desc())
            .limit(1)
        ).scalar_one()
    )
    assert detail["resources"] == [WJ]
    # The new records carry their linkage features, so the next batch finds them.
    link = session.get(
        MasterdataPersonLink, f"{WJ}:{field_cipher(settings).blind_index(newcomers[0])}"
    )
    assert link is not None
    assert link.id_number_valid is True
    assert link.name_norm == "新来0"


def test_a_changed_record_keeps_its_master_and_its_new_values_are_linked(
    demo: Demo,
    connection: Connection,
    session: Session,
    hub_copy: tuple[Settings, HubStore],
    tmp_path: Path,
) -> None:
    settings, hub = hub_copy
    ((name, number),) = known_not_signed(demo, 1)
    master = master_of_id(demo, session, number)
    with following(settings, connection):
        _ingest(
            connection, settings, hub, WJ, wj_file(demo, tmp_path / "a.csv", [(name, number, None)])
        )
        newer = wj_file(demo, tmp_path / "b.csv", [(name, number, "13909361234")])
        changed = _ingest(connection, settings, hub, WJ, newer)
    assert changed.updated_rows == 1
    run = runs(session)[-1]
    assert (run.batch_id, run.new_records, run.changed_records) == (changed.batch_id, 0, 1)
    srid = f"{WJ}:{field_cipher(settings).blind_index(number)}"
    link = session.get(MasterdataPersonLink, srid)
    assert link is not None
    assert (link.master_id, link.batch_id) == (master, changed.batch_id)
    assert link.phone_bidx == field_cipher(settings).blind_index("13909361234")
    person = session.get(MasterdataPerson, master)
    assert person is not None
    assert person.record_count >= 2
