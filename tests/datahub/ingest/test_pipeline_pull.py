"""Incremental pulls from registered database sources by watermark, now and on a schedule,
against the real PostgreSQL and MariaDB on 127.0.0.1 (opened to sources by the test settings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import MakeResource, person

from citybrain.analytics.hub import HubStore
from citybrain.core.audit.models import AuditRecord
from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.core.errors import BadInput, InvalidState, NotFound, PermissionDenied
from citybrain.datahub.datasources.schemas import DatasourceUpdate
from citybrain.datahub.datasources.service import update_source
from citybrain.datahub.ingest import pulls, tasks
from citybrain.datahub.ingest.errors import BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestSourceSchedule, IngestWatermark
from citybrain.datahub.ingest.schemas import BatchResult, BatchStatus
from fixtures_datasources import SourceTable, local_settings, register, source_table

MAPPING = {
    "xm": "name", "sfzh": "id_number", "xb": "gender", "csrq": "birth_date", "lxdh": "phone",
    "xzqh": "region_code", "dz": "address", "gxrq": "updated_on",
}  # fmt: skip


@pytest.fixture(params=["postgresql", "mysql"])
def dept(request: pytest.FixtureRequest) -> Iterator[SourceTable]:
    yield from source_table(request.param)


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Iterator[SourceTable]:
    yield from source_table("postgresql")


@pytest.fixture
def local(settings: Settings) -> Settings:
    return local_settings(settings)


def _people(*pairs: tuple[int, str]) -> list[dict[str, str]]:
    return [person(n, updated=updated) for n, updated in pairs]


def _pull(
    session: Session, hub: HubStore, local: Settings, code: str, source_id: int, table: SourceTable
) -> BatchResult:
    return pulls.pull_incremental(
        session,
        resource_code=code,
        source_id=source_id,
        options=table.options,
        region_code="620722",
        mapping=MAPPING,
        settings=local,
        store=hub,
    )


def test_pull_takes_only_rows_above_the_watermark(
    session: Session,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
    dept: SourceTable,
) -> None:
    code = make_resource()
    source = register(session, settings, dept.driver)
    dept.add(_people((1, "2024-01-01"), (2, "2024-01-01")))

    first = _pull(session, hub, local, code, source.id, dept)
    dept.add(_people((3, "2024-02-01"), (1, "2024-02-01")))
    second = _pull(session, hub, local, code, source.id, dept)
    third = _pull(session, hub, local, code, source.id, dept)

    assert (first.row_count, first.inserted_rows) == (2, 2)
    assert (second.row_count, second.inserted_rows, second.updated_rows) == (2, 1, 1)
    assert third.status is BatchStatus.loaded
    assert third.row_count == 0
    assert hub.count(code) == 3
    mark = session.execute(select(IngestWatermark)).scalar_one()
    assert (mark.column_name, mark.value) == ("seq", "4")
    uses = session.execute(
        select(AuditRecord.detail).where(AuditRecord.action == "datasource.use")
    ).scalars()
    assert [u.count('"purpose": "pull"') for u in uses] == [1, 1, 1]


def test_a_rejected_pull_keeps_the_watermark(
    session: Session,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
    pg: SourceTable,
) -> None:
    code = make_resource()
    source = register(session, settings)
    pg.add(_people((1, "2024-01-01")))
    _pull(session, hub, local, code, source.id, pg)

    with pytest.raises(BatchRejected) as rejected:
        pulls.pull_incremental(
            session,
            resource_code=code,
            source_id=source.id,
            options=pg.options,
            region_code="620722",
            mapping={},
            settings=local,
            store=hub,
        )

    assert rejected.value.code == "missing_column"
    assert session.execute(select(IngestWatermark.value)).scalar_one() == "1"


def test_a_pull_takes_no_connection_options(
    session: Session,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
) -> None:
    code = make_resource()
    source = register(session, settings)
    options = {"table": "iam_user", "watermark_column": "id", "url": "sqlite:////etc/passwd"}
    with pytest.raises(BadInput) as caught:
        pulls.pull_incremental(
            session,
            resource_code=code,
            source_id=source.id,
            options=options,
            region_code="620722",
            settings=local,
            store=hub,
        )
    assert caught.value.code == "bad_option"
    assert "url" in caught.value.message


def test_a_source_of_another_region_cannot_be_pulled(
    session: Session,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
) -> None:
    code = make_resource()
    other = register(session, settings, region_code="620723")  # 临泽县, beside 民乐县
    with pytest.raises(NotFound) as caught:
        _pull_options(session, hub, local, code, other.id)
    assert caught.value.code == "datasource_not_found"
    assert session.execute(select(func.count()).select_from(IngestBatch)).scalar_one() == 0


def test_a_source_pulls_only_into_a_resource_of_its_own_line(
    session: Session,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
) -> None:
    code = make_resource()  # a 民乐县 resource
    linze = register(session, settings, region_code="620723")
    with pytest.raises(PermissionDenied) as caught:  # 张掖市 sees both, but 临泽 is not 民乐
        _pull_options(session, hub, local, code, linze.id, region_code="6207")
    assert caught.value.code == "datasource_region_mismatch"


def test_a_disabled_source_is_refused(
    session: Session,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
) -> None:
    code = make_resource()
    source = register(session, settings)
    update_source(
        session,
        source_id=source.id,
        changes=DatasourceUpdate(enabled=False),
        region_code="620722",
        settings=local,
    )
    with pytest.raises(InvalidState) as caught:
        _pull_options(session, hub, local, code, source.id)
    assert caught.value.code == "datasource_disabled"


def _pull_options(
    session: Session,
    hub: HubStore,
    local: Settings,
    code: str,
    source_id: int,
    *,
    region_code: str = "620722",
) -> BatchResult:
    return pulls.pull_incremental(
        session,
        resource_code=code,
        source_id=source_id,
        options={"table": "rk", "watermark_column": "seq"},
        region_code=region_code,
        settings=local,
        store=hub,
    )


def test_scheduled_pulls_run_when_due_and_move_on(
    session: Session,
    connection: Connection,
    hub: HubStore,
    local: Settings,
    settings: Settings,
    make_resource: MakeResource,
    monkeypatch: pytest.MonkeyPatch,
    pg: SourceTable,
) -> None:
    code = make_resource()
    source = register(session, settings)
    pg.add(_people((1, "2024-01-01"), (2, "2024-01-01")))
    schedule = pulls.schedule_pull(
        session,
        resource_code=code,
        source_id=source.id,
        options=pg.options,
        interval_minutes=30,
        region_code="620722",
        mapping=MAPPING,
        settings=local,
    )
    assert pg.table.schema not in schedule.options_token  # the options are stored encrypted
    assert schedule.source_id == source.id
    session.flush()
    monkeypatch.setattr(pulls, "_defaults", lambda settings, store: (settings or local, hub))
    factory = make_session_factory(connection)
    now = schedule.next_run_at + dt.timedelta(seconds=1)

    done = tasks.run_due_pulls(factory, now=now, settings=local)
    again = tasks.run_due_pulls(factory, now=now + dt.timedelta(minutes=5), settings=local)

    outcome = done[schedule.id]
    assert isinstance(outcome, BatchResult)
    assert outcome.inserted_rows == 2
    assert again == {}
    session.expire_all()
    stored = session.get(IngestSourceSchedule, schedule.id)
    assert stored is not None
    assert stored.last_batch_id == outcome.batch_id
    assert stored.next_run_at == now + dt.timedelta(minutes=30)
    batch = session.get(IngestBatch, outcome.batch_id)
    assert batch is not None
    assert batch.created_by == "scheduler"
    assert hub.count(code) == 2
    use = session.execute(
        select(AuditRecord).where(AuditRecord.action == "datasource.use")
    ).scalar_one()
    assert (use.actor, use.outcome) == ("scheduler", "success")
    assert '"purpose": "scheduled_pull"' in use.detail


def test_a_scheduled_pull_is_checked_again_at_every_run(
    session: Session,
    connection: Connection,
    hub: HubStore,
    settings: Settings,
    local: Settings,
    make_resource: MakeResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Set up while loopback was open; run after it was closed: refused before connecting,
    recorded, and the schedule keeps its interval (an attacker's interval repeats nothing)."""
    code = make_resource()
    source = register(session, settings)
    schedule = pulls.schedule_pull(
        session,
        resource_code=code,
        source_id=source.id,
        options={"table": "rk", "watermark_column": "seq"},
        interval_minutes=5,
        region_code="620722",
        settings=local,
    )
    session.flush()
    monkeypatch.setattr(pulls, "_defaults", lambda settings, store: (settings, hub))
    factory = make_session_factory(connection)

    done = tasks.run_due_pulls(factory, now=schedule.next_run_at, settings=settings)

    assert done == {schedule.id: "outbound_refused"}
    assert session.execute(select(func.count()).select_from(IngestBatch)).scalar_one() == 0
    refused = session.execute(
        select(AuditRecord).where(
            AuditRecord.action == "datasource.use", AuditRecord.outcome == "failure"
        )
    ).scalar_one()
    assert '"code": "outbound_refused"' in refused.detail
    session.expire_all()
    stored = session.get(IngestSourceSchedule, schedule.id)
    assert stored is not None
    assert stored.last_error == "outbound_refused"


def test_a_schedule_from_before_sources_never_runs(
    session: Session, connection: Connection, settings: Settings, make_resource: MakeResource
) -> None:
    """What the migration leaves: a schedule whose options held a connection string."""
    code = make_resource()
    from citybrain.datahub.ingest.resources import field_cipher

    token = field_cipher(settings).encrypt(
        '{"options": {"url": "sqlite:////var/citybrain.db", "table": "iam_user",'
        ' "watermark_column": "id"}, "mapping": {}}',
        context=pulls.SCHEDULE_CONTEXT,
    )
    now = dt.datetime.now(dt.UTC)
    old = IngestSourceSchedule(
        resource_code=code,
        source_key="0" * 64,
        options_token=token,
        interval_minutes=1,
        enabled=True,
        next_run_at=now,
    )
    session.add(old)
    session.flush()

    done = tasks.run_due_pulls(make_session_factory(connection), now=now, settings=settings)

    assert done == {old.id: "datasource_required"}
    session.expire_all()
    stored = session.get(IngestSourceSchedule, old.id)
    assert stored is not None
    assert stored.enabled is False
    assert session.execute(select(func.count()).select_from(IngestBatch)).scalar_one() == 0
