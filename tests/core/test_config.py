from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from citybrain.core.config import Environment, Settings, ensure_key_file, load_key_file


def test_retention_below_180_days_is_refused() -> None:
    with pytest.raises(ValidationError, match="180"):
        Settings(audit_retention_days=90)
    assert Settings(audit_retention_days=365).audit_retention_days == 365


def test_placeholder_secrets_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="占位密钥"):
        Settings(environment=Environment.production, audit_key="changeme")


def test_placeholder_allowed_only_outside_production() -> None:
    assert Settings(environment=Environment.development, audit_key="changeme").audit_key


def test_keys_come_from_key_file(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, audit_key="", field_key="")
    with pytest.raises(RuntimeError, match="citybrain init"):
        settings.key("audit_key")
    assert ensure_key_file(settings.key_file) is True
    assert ensure_key_file(settings.key_file) is False  # never rotates silently
    assert len(settings.key("audit_key")) == 32
    assert len(settings.key("field_key")) == 16
    assert load_key_file(settings.key_file)["audit_key"] == settings.key("audit_key").hex()


def test_default_database_is_sqlite_under_home(tmp_path: Path) -> None:
    url = Settings(home=tmp_path, database_url="").resolved_database_url
    assert url == f"sqlite:///{tmp_path.resolve() / 'citybrain.db'}"


def test_cli_config_lists_every_setting_and_hides_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from citybrain.cli.context import console
    from citybrain.cli.main import app
    from citybrain.core.config import Settings

    monkeypatch.setattr(console, "width", 240)  # the table must not fold the variable names
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    for name in Settings.model_fields:
        assert f"CITYBRAIN_{name.upper()}" in result.output
    assert Settings().audit_key not in result.output  # the key itself is never printed
