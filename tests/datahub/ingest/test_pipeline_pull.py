"""Incremental pulls from a database by watermark, now and on a schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import MakeResource, person

from citybrain.analytics.hub import HubStore
from citybrain.core.db import make_session_factory
from citybrain.core.scope import Scope
from citybrain.datahub.ingest import pulls, tasks
from citybrain.datahub.ingest.errors import BatchRejected
from citybrain.datahub.ingest.models import IngestBatch, IngestSourceSchedule, IngestWatermark
from citybrain.datahub.ingest.schemas import BatchResult, BatchStatus

MAPPING = {
    "xm": "name", "sfzh": "id_number", "xb": "gender", "csrq": "birth_date", "lxdh": "phone",
    "xzqh": "region_code", "dz": "address", "gxrq": "updated_on",
}  # fmt: skip


def _source(path: Path, people: list[tuple[int, str]]) -> dict[str, Any]:
    """A department SQLite database with table ``rk`` (pinyin columns); ``seq`` grows."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS rk (seq INTEGER PRIMARY KEY, xm TEXT, sfzh TEXT, xb TEXT,"
            " csrq TEXT, lxdh TEXT, xzqh TEXT, dz TEXT, gxrq TEXT)"
        )
        for n, updated in people:
            p = person(n, updated=updated)
            conn.execute(
                sa.text("INSERT INTO rk VALUES (NULL, :a, :b, :c, :d, :e, :f, :g, :h)"),
                dict(zip("abcdefgh", p.values(), strict=True)),
            )
    engine.dispose()
    return {"url": f"sqlite:///{path}", "table": "rk", "watermark_column": "seq"}


def _pull(session: Session, hub: HubStore, code: str, options: dict[str, Any]) -> BatchResult:
    return pulls.pull_incremental(
        session, resource_code=code, source_options=options, mapping=MAPPING, store=hub
    )


def test_pull_takes_only_rows_above_the_watermark(
    tmp_path: Path, session: Session, hub: HubStore, make_resource: MakeResource
) -> None:
    code = make_resource()
    options = _source(tmp_path / "dept.db", [(1, "2024-01-01"), (2, "2024-01-01")])

    first = _pull(session, hub, code, options)
    _source(tmp_path / "dept.db", [(3, "2024-02-01"), (1, "2024-02-01")])
    second = _pull(session, hub, code, options)
    third = _pull(session, hub, code, options)

    assert (first.row_count, first.inserted_rows) == (2, 2)
    assert (second.row_count, second.inserted_rows, second.updated_rows) == (2, 1, 1)
    assert third.status is BatchStatus.loaded
    assert third.row_count == 0
    assert hub.count(code) == 3
    mark = session.execute(select(IngestWatermark)).scalar_one()
    assert (mark.column_name, mark.value) == ("seq", "4")
    assert "sqlite" not in mark.source_key  # the key is a hash of the source, not the URL


def test_a_rejected_pull_keeps_the_watermark(
    tmp_path: Path, session: Session, hub: HubStore, make_resource: MakeResource
) -> None:
    code = make_resource()
    options = _source(tmp_path / "dept.db", [(1, "2024-01-01")])
    _pull(session, hub, code, options)

    with pytest.raises(BatchRejected) as rejected:
        pulls.pull_incremental(
            session, resource_code=code, source_options=options, mapping={}, store=hub
        )

    assert rejected.value.code == "missing_column"
    assert session.execute(select(IngestWatermark.value)).scalar_one() == "1"


def test_scheduled_pulls_run_when_due_and_move_on(
    tmp_path: Path,
    session: Session,
    connection: Connection,
    hub: HubStore,
    make_resource: MakeResource,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code = make_resource()
    options = _source(tmp_path / "dept.db", [(1, "2024-01-01"), (2, "2024-01-01")])
    schedule = pulls.schedule_pull(
        session,
        resource_code=code,
        source_options=options,
        interval_minutes=30,
        mapping=MAPPING,
        scope=Scope.system(),
    )
    assert "dept.db" not in schedule.options_token  # the options are stored encrypted
    session.flush()
    monkeypatch.setattr(pulls, "_defaults", lambda settings, store: (_settings(), hub))
    factory = make_session_factory(connection)
    now = schedule.next_run_at + dt.timedelta(seconds=1)

    done = tasks.run_due_pulls(factory, now=now)
    again = tasks.run_due_pulls(factory, now=now + dt.timedelta(minutes=5))

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


def _settings() -> Any:
    from citybrain.core.config import get_settings

    return get_settings()
