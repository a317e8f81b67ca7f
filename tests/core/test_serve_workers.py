"""``citybrain serve --workers N``: several uvicorn processes on PostgreSQL, refused on SQLite,
and the embedded job consumer started only by a single-process server."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from citybrain.cli import context as cli_context
from citybrain.cli import main
from citybrain.core.config import Settings
from citybrain.core.jobs.system import JobSystem

runner = CliRunner()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What serve hands to uvicorn and whether it starts the job consumer; no server runs."""
    seen: dict[str, Any] = {"scheduler": 0}

    def run(app: object, **kwargs: object) -> None:
        seen["app"], seen["kwargs"] = app, kwargs

    def start_embedded(self: JobSystem) -> None:
        seen["scheduler"] += 1

    monkeypatch.setattr(main.uvicorn, "run", run)
    monkeypatch.setattr(JobSystem, "start_embedded", start_embedded)
    monkeypatch.setattr(main, "require_installation", lambda: None)
    monkeypatch.setattr(cli_context, "require_installation", lambda: None)
    return seen


def _on(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setattr(main, "settings", lambda: Settings(database_url=url))


def test_several_workers_on_sqlite_are_refused(monkeypatch, started):
    _on(monkeypatch, "sqlite:///var/citybrain.db")
    result = runner.invoke(main.app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
    assert "app" not in started
    assert started["scheduler"] == 0


def test_several_workers_on_postgresql_run_without_the_in_process_scheduler(monkeypatch, started):
    _on(monkeypatch, "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    result = runner.invoke(main.app, ["serve", "--workers", "3", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert started["app"] == "citybrain.app:create_app"
    assert started["kwargs"] == {
        "factory": True,
        "host": "127.0.0.1",
        "port": 8123,
        "workers": 3,
        "access_log": True,
        "timeout_worker_healthcheck": 60,
    }
    assert started["scheduler"] == 0
    assert "citybrain worker" in result.output


def test_one_process_is_the_default_and_runs_the_scheduler(monkeypatch, started):
    _on(monkeypatch, "sqlite:///:memory:")
    result = runner.invoke(main.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert not isinstance(started["app"], str)  # the app object itself, one process
    assert started["kwargs"]["access_log"] is True
    assert started["scheduler"] == 1


def test_the_access_log_can_be_left_to_the_proxy(monkeypatch, started):
    _on(monkeypatch, "sqlite:///:memory:")
    result = runner.invoke(main.app, ["serve", "--no-access-log"])
    assert result.exit_code == 0, result.output
    assert started["kwargs"]["access_log"] is False
