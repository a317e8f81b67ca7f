"""``citybrain ingest file``: a summary table on success, the row and field on refusal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_pipeline_fixtures import *  # noqa: F403
from test_pipeline_fixtures import MakeResource, person, write_csv
from typer.testing import CliRunner

from citybrain.analytics.hub import HubStore
from citybrain.cli import ingest as ingest_cli
from citybrain.core.config import Settings
from citybrain.datahub.ingest import pulls, service
from citybrain.datahub.ingest.models import IngestBatch, IngestSourceSchedule
from citybrain.datahub.ingest.transactions import Transactions
from fixtures_datasources import SourceTable, local_settings, register, source_table


@pytest.fixture
def cli(session: Session, hub: HubStore, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI on the test's session: each short transaction of a batch is a savepoint."""

    @contextmanager
    def test_session() -> Iterator[Session]:
        with session.begin_nested():
            yield session

    real = service.ingest_file_phased
    monkeypatch.setattr(ingest_cli, "cli_session", test_session)
    monkeypatch.setattr(ingest_cli, "cli_transactions", lambda: Transactions(test_session))
    monkeypatch.setattr(service, "ingest_file_phased", lambda t, **kw: real(t, store=hub, **kw))
    return CliRunner()


def test_ingest_file_prints_the_summary(
    tmp_path: Path, cli: CliRunner, make_resource: MakeResource
) -> None:
    code = make_resource()
    header = ["证件号码" if h == "公民身份号码" else h for h in person(1)]
    rows = [{**person(n), "证件号码": person(n)["公民身份号码"]} for n in (1, 2)]
    rows.append({**person(3), "证件号码": "123"})
    path = write_csv(tmp_path / "a.csv", rows, header=header)

    result = cli.invoke(ingest_cli.app, ["file", code, str(path), "-m", "证件号码=id_number"])

    assert result.exit_code == 0, result.output
    assert "已入库" in result.output
    assert "66.67" in result.output


def test_a_rejected_file_exits_2_naming_row_and_field_and_keeps_its_record(
    tmp_path: Path, cli: CliRunner, session: Session, make_resource: MakeResource
) -> None:
    code = make_resource()
    path = write_csv(tmp_path / "r.csv", [person(1), person(2)])
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([*lines[:2], lines[2].rsplit(",", 2)[0]]) + "\n", "utf-8")

    result = cli.invoke(ingest_cli.app, ["file", code, str(path)])

    assert result.exit_code == 2
    assert "ragged_row" in result.output
    assert "行 3" in result.output
    statuses = session.execute(select(IngestBatch.status)).scalars()
    assert list(statuses) == ["rejected"]


@pytest.fixture
def pg() -> Iterator[SourceTable]:
    yield from source_table("postgresql")


def test_ingest_pull_takes_a_registered_source(
    cli: CliRunner,
    session: Session,
    settings: Settings,
    hub: HubStore,
    make_resource: MakeResource,
    monkeypatch: pytest.MonkeyPatch,
    pg: SourceTable,
) -> None:
    code = make_resource()
    source = register(session, settings)
    pg.add([person(1), person(2)])
    real = pulls.pull_incremental_phased
    monkeypatch.setattr(
        pulls,
        "pull_incremental_phased",
        lambda t, **kw: real(t, store=hub, settings=local_settings(settings), **kw),
    )
    mapping = [f"-m{column}={item}" for column, item in PULL_MAPPING.items()]
    args = [
        "pull",
        code,
        "--source",
        str(source.id),
        "--table",
        "rk",
        "--schema",
        str(pg.table.schema),
    ]

    result = cli.invoke(
        ingest_cli.app, [*args, "--watermark-column", "seq", *mapping, "--every", "30"]
    )

    assert result.exit_code == 0, result.output
    assert "已入库" in result.output
    assert hub.count(code) == 2
    schedule = session.execute(select(IngestSourceSchedule)).scalar_one()
    assert (schedule.source_id, schedule.interval_minutes) == (source.id, 30)


def test_ingest_pull_refuses_a_closed_address_before_connecting(
    cli: CliRunner, session: Session, settings: Settings, make_resource: MakeResource
) -> None:
    code = make_resource()
    source = register(session, settings)  # registered while 127.0.0.1 was opened

    args = ["pull", code, "--source", str(source.id), "--table", "rk", "--watermark-column", "seq"]
    result = cli.invoke(ingest_cli.app, args)

    assert result.exit_code == 2
    assert "outbound_refused" in result.output
    assert "本机回环地址" in result.output
    assert session.execute(select(IngestBatch)).first() is None


PULL_MAPPING = {
    "xm": "name", "sfzh": "id_number", "xb": "gender", "csrq": "birth_date", "lxdh": "phone",
    "xzqh": "region_code", "dz": "address", "gxrq": "updated_on",
}  # fmt: skip
