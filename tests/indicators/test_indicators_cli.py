"""``citybrain indicators`` through Typer's runner on the test's connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from indicator_fixtures import World, create, publish
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.cli import indicators as indicators_cli
from citybrain.core.context import set_actor
from citybrain.core.db import make_session_factory
from citybrain.indicators.models import IndicatorRun

runner = CliRunner()


@pytest.fixture(autouse=True)
def _cli_on_test_connection(
    connection: Connection, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def cli_session() -> Iterator[Session]:
        factory = make_session_factory(connection)
        with factory() as s, s.begin():
            set_actor(s, actor="cli:tester", role="cli", source_ip="local")
            yield s

    monkeypatch.setattr(indicators_cli, "cli_session", cli_session)
    monkeypatch.setattr(indicators_cli, "cli_engine", lambda: connection)
    monkeypatch.setattr(indicators_cli, "open_hub", lambda settings: world.hub)


def test_run_backfills_in_order_and_lists(session: Session, world: World) -> None:
    create(session, world, "t_cli")
    create(session, world, "t_cli2", kind="derived", formula="t_cli + 1")
    publish(session, "t_cli")
    publish(session, "t_cli2")
    session.flush()
    result = runner.invoke(
        indicators_cli.app,
        ["run", "--code", "t_cli2", "--code", "t_cli", "--from", "2024-01", "--to", "2024-03"],
    )
    assert result.exit_code == 0, result.output
    assert "t_cli2" in result.output
    assert "成功" in result.output
    runs = (
        session.execute(select(IndicatorRun).where(IndicatorRun.trigger == "cli")).scalars().all()
    )
    assert sorted((r.position, r.status) for r in runs) == [(0, "ok"), (1, "ok")]
    listed = runner.invoke(indicators_cli.app, ["list"])
    assert listed.exit_code == 0
    assert "t_cli" in listed.output


def test_run_refuses_a_bad_period_with_exit_2(session: Session, world: World) -> None:
    create(session, world, "t_cli3")
    publish(session, "t_cli3")
    session.flush()
    result = runner.invoke(
        indicators_cli.app, ["run", "-c", "t_cli3", "--from", "2024", "--to", "2024"]
    )
    assert result.exit_code == 2
    assert "bad_period" in result.output
