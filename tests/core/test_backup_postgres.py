"""The backup drill on PostgreSQL: an installation in a schema of its own, dumped with
``pg_dump`` from the manifest's snapshot while it serves; the schema is then lost and restored
with ``pg_restore`` into the same database. Runs when ``CITYBRAIN_TEST_DATABASE_URL`` is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from test_backup_fixtures import (
    Drill,
    audit_count,
    back_up_while_serving,
    build,
    hub_rows,
    installation_env,
    runner,
)

from citybrain.cli import context as cli_context
from citybrain.cli import main as cli_main
from citybrain.core.backup import service
from citybrain.core.backup.database import describe_postgres
from citybrain.core.errors import Conflict
from citybrain.iam import auth
from citybrain.iam.models import User

BASE_URL = os.environ.get("CITYBRAIN_TEST_DATABASE_URL", "")
pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not BASE_URL, reason="needs CITYBRAIN_TEST_DATABASE_URL (PostgreSQL)"),
]


def _drop(schema: str) -> None:
    engine = create_engine(BASE_URL)
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    name = f"cbbk_{uuid.uuid4().hex[:10]}"
    engine = create_engine(BASE_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    yield name
    _drop(name)


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory, schema: str) -> Iterator[Drill]:
    root = tmp_path_factory.mktemp("pgbackup")
    home = root / "home"
    url = make_url(BASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    with (
        pytest.MonkeyPatch.context() as mp,
        installation_env(mp, home, url.render_as_string(hide_password=False)),
    ):
        secret, ids = build(home)
        result = back_up_while_serving(home, root / "city.tar.gz")
        result.totp_secret, result.user_ids = secret, ids
        yield result


def test_the_dump_holds_the_schema_as_of_the_snapshot(drill: Drill, schema: str) -> None:
    manifest = drill.result.manifest
    assert manifest["database"]["backend"] == "postgresql"
    assert manifest["database"]["schema"] == schema
    assert "database/citybrain.pgdump" in manifest["members"]
    assert manifest["database"]["tables"]["iam_user"]["rows"] == 6
    assert drill.written_while_backing_up >= 2
    rows = manifest["database"]["tables"]["audit_record"]["rows"]
    assert drill.audit_before < rows < drill.audit_after


def test_drill_restores_the_lost_schema_as_of_the_backup(
    drill: Drill, schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(Conflict) as refused:  # the live schema is not overwritten
        service.restore_backup(drill.archive, home=tmp_path / "first", database_url=BASE_URL)
    assert refused.value.code == "restore_target_not_empty"
    assert not (tmp_path / "first").exists()

    _drop(schema)  # the database is lost; the DBA prepares an empty schema of that name
    engine = create_engine(BASE_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    # the hub comes back as the DuckDB file of the new home, whichever store it left (on the
    # PostgreSQL pass: from a PostgreSQL hub; PostgreSQL to PostgreSQL is test_backup_hub_store)
    monkeypatch.delenv("CITYBRAIN_HUB_URL", raising=False)
    new_home = tmp_path / "restored"
    result = runner.invoke(
        cli_main.app,
        ["restore", str(drill.archive), "--home", str(new_home), "--database-url", BASE_URL],
    )
    assert result.exit_code == 0, result.output
    assert f"search_path%3D{schema}" in result.output  # the URL the restored home must use

    manifest = drill.result.manifest
    assert describe_postgres(BASE_URL, schema).tables == manifest["database"]["tables"]
    assert (new_home / "keys.json").read_bytes() == (drill.home / "keys.json").read_bytes()
    assert hub_rows(new_home) == drill.hub_rows
    url = make_url(BASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    with installation_env(monkeypatch, new_home, url.render_as_string(hide_password=False)):
        verified = runner.invoke(cli_main.app, ["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        assert audit_count() == manifest["database"]["tables"]["audit_record"]["rows"]
        with cli_context.cli_session() as session:
            user = session.get(User, drill.user_ids[0])
            assert user is not None
            assert auth.totp_secret_of(user) == drill.totp_secret

    # --force replaces a populated schema (dropped, then created by the dump itself)
    again = service.restore_backup(drill.archive, home=new_home, database_url=BASE_URL, force=True)
    assert again.tables_checked == len(manifest["database"]["tables"])
    assert describe_postgres(BASE_URL, schema).tables == manifest["database"]["tables"]
