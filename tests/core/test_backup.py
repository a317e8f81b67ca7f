"""The backup drill on SQLite: an installation backed up while it serves, restored into a fresh
home, and found equal as of the backup; and the refusals, each before anything is written."""

from __future__ import annotations

import io
import json
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from test_backup_fixtures import (
    Drill,
    audit_count,
    back_up_while_serving,
    build,
    hub_rows,
    installation_env,
    runner,
)

from citybrain.analytics.hub import DuckHubStore
from citybrain.cli import context as cli_context
from citybrain.cli import main as cli_main
from citybrain.core.audit.models import AuditRecord
from citybrain.core.backup import archive, service
from citybrain.core.backup.database import table_digests
from citybrain.core.errors import BadInput, Conflict
from citybrain.iam import auth
from citybrain.iam.models import User
from hub_testing import PG_URL, new_schema


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    root = tmp_path_factory.mktemp("backup")
    home = root / "home"
    with pytest.MonkeyPatch.context() as mp, installation_env(mp, home):
        secret, ids = build(home)
        result = back_up_while_serving(home, root / "city.tar.gz")
        result.totp_secret, result.user_ids = secret, ids
        yield result


def test_the_archive_is_private_and_names_every_part(drill: Drill) -> None:
    assert stat.S_IMODE(drill.archive.stat().st_mode) == 0o600
    manifest = drill.result.manifest
    assert set(manifest["members"]) == {
        "keys/keys.json",
        "audit/checkpoints.jsonl",
        "database/citybrain.db",
        "hub/hub.duckdb",
    }
    with tarfile.open(drill.archive) as tar:
        assert tar.getnames()[0] == "manifest.json"
        assert all(info.mode == 0o600 for info in tar.getmembers())
    assert manifest["alembic_revision"] == service.code_heads()[0]
    assert manifest["source_home"] == str(drill.home.resolve())
    assert manifest["database"]["tables"]["iam_user"]["rows"] == 6  # three admins, three users
    assert manifest["hub"]["tables"]["hub_drill_pop"]["rows"] == 3
    # taken while serving: the writer committed records during the copy
    assert drill.written_while_backing_up >= 2
    rows = manifest["database"]["tables"]["audit_record"]["rows"]
    assert drill.audit_before < rows < drill.audit_after
    assert any("未加密" in w for w in drill.result.warnings)


def test_drill_restores_the_installation_as_of_the_backup(
    drill: Drill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hub comes back as the DuckDB file of the new home, whichever store it left (on the
    # PostgreSQL pass: from a PostgreSQL hub; PostgreSQL to PostgreSQL is test_backup_hub_store)
    monkeypatch.delenv("CITYBRAIN_HUB_URL", raising=False)
    new_home = tmp_path / "restored"
    result = runner.invoke(cli_main.app, ["restore", str(drill.archive), "--home", str(new_home)])
    assert result.exit_code == 0, result.output
    assert "恢复完成" in result.output
    assert f"CITYBRAIN_HOME={new_home.resolve()}" in result.output

    manifest = drill.result.manifest
    engine = create_engine(f"sqlite:///{new_home / 'citybrain.db'}")
    with engine.connect() as connection:
        assert table_digests(connection) == manifest["database"]["tables"]
    engine.dispose()
    assert (new_home / "keys.json").read_bytes() == (drill.home / "keys.json").read_bytes()
    assert stat.S_IMODE((new_home / "keys.json").stat().st_mode) == 0o600
    assert hub_rows(new_home) == drill.hub_rows
    # as restored: verify below anchors the head it checks with a checkpoint of its own
    restored_checkpoints = (new_home / "audit" / "checkpoints.jsonl").read_text("utf-8")

    with installation_env(monkeypatch, new_home):
        verified = runner.invoke(cli_main.app, ["audit", "verify"])
        assert verified.exit_code == 0, verified.output
        assert "审计链完整" in verified.output
        assert audit_count() == manifest["database"]["tables"]["audit_record"]["rows"]
        with cli_context.cli_session() as session:
            user = session.get(User, drill.user_ids[0])
            assert user is not None
            assert auth.totp_secret_of(user) == drill.totp_secret  # the key file decrypts
            _every_checkpoint_names_a_restored_record(session, restored_checkpoints)


def _every_checkpoint_names_a_restored_record(session: Session, checkpoints: str) -> None:
    lines = checkpoints.splitlines()
    assert lines
    macs = {seq: mac for seq, mac in session.execute(select(AuditRecord.seq, AuditRecord.mac))}
    for line in lines:
        point = json.loads(line)
        assert macs.get(point["seq"]) == point["mac"]
    # records committed after the checkpoint copy but before the snapshot are restored too
    assert max(macs) > max(json.loads(line)["seq"] for line in lines)


def _rewrite(source: Path, target: Path, **replace: bytes) -> None:
    """A copy of the archive with members' bytes replaced (the manifest left as it was)."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            handle = old.extractfile(info)
            assert handle is not None
            data = replace.get(info.name, handle.read())
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_a_tampered_member_is_refused_before_anything_is_written(
    drill: Drill, tmp_path: Path
) -> None:
    keys = json.loads((drill.home / "keys.json").read_text("utf-8"))
    keys["audit_key"] = "00" * 32
    forged = tmp_path / "forged.tar.gz"
    _rewrite(drill.archive, forged, **{"keys/keys.json": json.dumps(keys).encode()})
    target = tmp_path / "target"

    with pytest.raises(BadInput) as refused:
        service.restore_backup(forged, home=target)

    assert refused.value.code == "backup_checksum_mismatch"
    assert refused.value.detail["member"] == "keys/keys.json"
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["forged.tar.gz"]  # scratch cleaned up


def test_a_non_empty_home_is_refused_unless_forced(drill: Drill, tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "citybrain.db").write_bytes(b"someone's data")

    with pytest.raises(Conflict) as refused:
        service.restore_backup(drill.archive, home=target)

    assert refused.value.code == "restore_target_not_empty"
    assert (target / "citybrain.db").read_bytes() == b"someone's data"
    (target / "audit").mkdir()
    (target / "audit" / "someone-else.jsonl").write_text("{}\n")
    (target / "hub.duckdb.wal").write_bytes(b"a stale log")
    restored = service.restore_backup(drill.archive, home=target, force=True)
    assert restored.tables_checked == len(drill.result.manifest["database"]["tables"])
    assert sorted(p.name for p in (target / "audit").iterdir()) == ["checkpoints.jsonl"]
    assert not (target / "hub.duckdb.wal").exists()
    assert hub_rows(target) == drill.hub_rows


def test_an_existing_sqlite_file_named_by_url_is_refused(drill: Drill, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.db"
    elsewhere.write_bytes(b"another installation")
    with pytest.raises(Conflict) as refused:
        service.restore_backup(
            drill.archive, home=tmp_path / "target", database_url=f"sqlite:///{elsewhere}"
        )
    assert refused.value.code == "restore_target_not_empty"
    assert elsewhere.read_bytes() == b"another installation"
    assert not (tmp_path / "target").exists()


def test_a_truncated_archive_or_a_hollow_manifest_is_corrupt(drill: Drill, tmp_path: Path) -> None:
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(drill.archive.read_bytes()[:2000])
    hollow = tmp_path / "hollow.tar.gz"
    manifest = {"format": archive.FORMAT, "format_version": 1, "members": {}}
    with tarfile.open(hollow, "w:gz") as tar:
        body = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    for bad in (broken, hollow):
        with pytest.raises(BadInput) as refused:
            service.restore_backup(bad, home=tmp_path / "target")
        assert refused.value.code == "backup_corrupt"
    assert not (tmp_path / "target").exists()


def test_an_archive_from_newer_code_is_refused(drill: Drill, tmp_path: Path) -> None:
    with tarfile.open(drill.archive) as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest = json.loads(handle.read())
    manifest["alembic_revision"] = "29991231_future"
    newer = tmp_path / "newer.tar.gz"
    _rewrite(drill.archive, newer, **{"manifest.json": json.dumps(manifest).encode()})

    with pytest.raises(BadInput) as refused:
        service.restore_backup(newer, home=tmp_path / "target")

    assert refused.value.code == "backup_newer_than_code"
    assert not (tmp_path / "target").exists()


def test_an_encrypted_archive_needs_its_passphrase(drill: Drill, tmp_path: Path) -> None:
    sealed = tmp_path / "city.tar.gz.sm4"
    archive.encrypt_file(drill.archive, sealed, "正确的口令")
    assert archive.is_encrypted(sealed)
    assert b"audit_key" not in sealed.read_bytes()

    for wrong, code in ((None, "backup_passphrase_required"), ("错误", "backup_bad_passphrase")):
        with pytest.raises(BadInput) as refused:
            service.restore_backup(sealed, home=tmp_path / "target", passphrase=wrong)
        assert refused.value.code == code
    assert not (tmp_path / "target").exists()

    restored = service.restore_backup(sealed, home=tmp_path / "target", passphrase="正确的口令")
    assert hub_rows(restored.home) == drill.hub_rows


def test_the_cli_backup_is_audited_and_can_be_encrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    with installation_env(monkeypatch, home):
        build(home)
        output = tmp_path / "sealed.tar.gz.sm4"
        result = runner.invoke(
            cli_main.app,
            ["backup", str(output), "--encrypt", "--passphrase-stdin"],
            input="城市大脑-口令\n",
        )
        assert result.exit_code == 0, result.output
        assert "备份完成" in result.output
        assert archive.is_encrypted(output)
        with cli_context.cli_session() as session:
            last = session.scalars(select(AuditRecord).order_by(AuditRecord.seq.desc())).first()
            assert last is not None
            assert last.action == "ops.backup.create"
            assert json.loads(last.detail)["sha256"] == archive.sha256_file(output)
        again = runner.invoke(cli_main.app, ["backup", str(output)])
        assert again.exit_code != 0  # never overwrites an archive
    if PG_URL:  # the hub goes back into a PostgreSQL schema of its own (CITYBRAIN_HUB_URL)
        monkeypatch.setenv("CITYBRAIN_HUB_SCHEMA", new_schema())
    restored = runner.invoke(
        cli_main.app,
        ["restore", str(output), "--home", str(tmp_path / "new"), "--passphrase-stdin"],
        input="城市大脑-口令\n",
    )
    assert restored.exit_code == 0, restored.output


def test_an_older_archive_is_migrated_forward_after_it_is_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citybrain.core.config import ensure_key_file, get_settings
    from citybrain.core.db import make_engine
    from citybrain.core.migrate import current_revision, upgrade

    home = tmp_path / "old"
    with installation_env(monkeypatch, home):
        settings = get_settings()
        ensure_key_file(settings.key_file)
        old = make_engine(settings.resolved_database_url)  # as `init` of that version made it
        upgrade(old, "20261122_0001")
        old.dispose()
        made = service.create_backup(
            settings,
            cli_context.cli_engine(),
            hub_store=DuckHubStore(home / "hub.duckdb"),
            output=tmp_path / "old.tar.gz",
        )
    assert made.manifest["alembic_revision"] == "20261122_0001"
    assert made.manifest["hub"] is None  # never loaded: nothing to copy

    stale = tmp_path / "new" / "hub.duckdb"
    stale.parent.mkdir()
    stale.write_bytes(b"a hub of another installation")
    restored = service.restore_backup(made.path, home=tmp_path / "new", force=True)

    assert not stale.exists()  # the archive has no hub, so none may be left beside it

    assert restored.migrated_from == "20261122_0001"
    assert [restored.revision] == service.code_heads()
    engine = create_engine(restored.database_url)
    assert current_revision(engine) == service.code_heads()[0]
    engine.dispose()


def test_the_cli_refuses_in_chinese_with_the_code_and_exit_2(
    drill: Drill,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    forged = tmp_path / "forged.tar.gz"
    _rewrite(drill.archive, forged, **{"hub/hub.duckdb": b"not the hub"})
    target = tmp_path / "target"
    monkeypatch.setattr("sys.argv", ["citybrain", "restore", str(forged), "--home", str(target)])

    with pytest.raises(SystemExit) as exited:
        cli_main.main()

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "hub/hub.duckdb 的 SHA-256 与清单不符" in err
    assert "backup_checksum_mismatch" in err
    assert not target.exists()


def test_a_hub_fingerprint_changes_with_any_value(tmp_path: Path) -> None:
    import duckdb

    from citybrain.core.backup.hub import describe_hub

    path = tmp_path / "hub.duckdb"
    con = duckdb.connect(str(path))
    con.execute('CREATE TABLE hub_x ("t" VARCHAR, "cb row" BIGINT)')
    con.execute("INSERT INTO hub_x VALUES ('a', 1), ('b', NULL)")
    con.close()
    before = describe_hub(path)["hub_x"]
    con = duckdb.connect(str(path))
    con.execute("UPDATE hub_x SET \"cb row\" = 2 WHERE t = 'a'")
    con.close()
    after = describe_hub(path)["hub_x"]
    assert before["rows"] == after["rows"] == 2
    assert before["fingerprint"] != after["fingerprint"]
