"""The CLI finds its installation from any directory and never creates one outside init/demo."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from citybrain.cli import context
from citybrain.cli.main import app
from citybrain.core.config import (
    HomeSource,
    find_home,
    get_settings,
    record_home,
    recorded_home_file,
)

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory, no CITYBRAIN_HOME and an empty user config folder."""
    monkeypatch.delenv("CITYBRAIN_HOME", raising=False)
    monkeypatch.delenv("CITYBRAIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    get_settings.cache_clear()
    yield work
    get_settings.cache_clear()  # the next caller reads the restored environment
    context.cli_engine.cache_clear()


def test_find_home_order(elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_home() is None
    (elsewhere / "var").mkdir()
    found = find_home()
    assert found is not None
    assert (found.source, found.path) == (HomeSource.local, (elsewhere / "var").resolve())
    recorded = elsewhere.parent / "installed"
    record_home(recorded)
    found = find_home()
    assert found is not None
    assert (found.source, found.path) == (HomeSource.recorded, recorded.resolve())
    monkeypatch.setenv("CITYBRAIN_HOME", "/srv/citybrain")
    found = find_home()
    assert found is not None
    assert (found.source, found.path) == (HomeSource.env, Path("/srv/citybrain"))


def test_command_without_installation_says_so_in_one_line(elsewhere: Path) -> None:
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == context.NO_HOME_EXIT
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "未找到 citybrain 安装目录" in lines[0]
    assert lines[0].endswith("(home_not_found)")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert list(elsewhere.iterdir()) == []  # no ./var, no database created
    assert not recorded_home_file().exists()


def test_home_without_database_is_not_filled_implicitly(elsewhere: Path) -> None:
    (elsewhere / "var").mkdir()
    result = CliRunner().invoke(app, ["migrate"])
    assert result.exit_code == context.NO_HOME_EXIT
    assert "(database_not_found)" in result.output
    assert list((elsewhere / "var").iterdir()) == []


def test_init_records_its_home_for_commands_run_elsewhere(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    installed = runner.invoke(app, ["init"])
    assert installed.exit_code == 0, installed.output
    home = (elsewhere / "var").resolve()
    assert (home / "citybrain.db").exists()
    assert recorded_home_file().read_text("utf-8").strip() == str(home)

    other = elsewhere.parent / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    get_settings.cache_clear()
    context.cli_engine.cache_clear()  # as a new process would: nothing remembered but the file
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert list(other.iterdir()) == []  # found the recorded home; made nothing here


def test_real_process_from_a_temp_directory_prints_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CITYBRAIN_HOME",)}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["PYTHONPATH"] = str(SRC)
    done = subprocess.run(
        [sys.executable, "-c", "from citybrain.cli.main import main; main()", "audit", "verify"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == context.NO_HOME_EXIT
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("(home_not_found)")
    assert len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == []
