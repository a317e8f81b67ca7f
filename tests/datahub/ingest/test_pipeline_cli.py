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
from citybrain.datahub.ingest import service
from citybrain.datahub.ingest.models import IngestBatch
from citybrain.datahub.ingest.transactions import Transactions


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
