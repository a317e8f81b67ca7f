"""``create_backup`` and ``restore_backup``: the whole installation in one archive and back.

Order of the copy, and why the parts agree (every later part only points back at earlier ones):
1. the key file (changes only when ``citybrain init`` adds a key);
2. the files under ``audit/`` (append-only checkpoints: each names an audit record committed
   before it was written) and ``ingest/`` (uploaded files, written before the batch row that
   names them);
3. the operational database at one commit: every checkpoint and upload copied in step 2 refers
   to a row committed earlier, so the snapshot holds it; records newer than the last checkpoint
   are simply not checkpointed yet, which verification accepts;
4. the hub at one later commit: it holds at least every merge of a batch the database calls
   ``loaded`` (the merge commits before the batch row settles). It may hold a merge whose batch
   row was still ``running`` at step 3 — the state a crash between merge and settle leaves,
   which loading the same source again repairs (equal versions are skipped).
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Final

import duckdb
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from citybrain.analytics.hub import HUB_FILE_NAME, DuckHubStore, HubStore
from citybrain.core.backup import archive, database, hub
from citybrain.core.backup.archive import Member, Progress
from citybrain.core.clock import utcnow
from citybrain.core.config import KEY_FILE_NAME, KEY_NAMES, Settings
from citybrain.core.errors import BadInput, Conflict, InvalidState

COPIED_FOLDERS: Final = ("audit", "ingest")
KEY_MEMBER: Final = f"keys/{KEY_FILE_NAME}"


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    sha256: str
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RestoreResult:
    home: Path
    database_url: str
    manifest: dict[str, Any]
    tables_checked: int
    hub_tables_checked: int
    migrated_from: str | None  # the archive's revision when migrations ran, else None
    revision: str | None
    warnings: list[str] = field(default_factory=list)


def code_heads() -> list[str]:
    from citybrain.core.migrate import alembic_config

    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def _known_revision(revision: str | None) -> bool:
    from alembic.util import CommandError

    from citybrain.core.migrate import alembic_config

    if revision is None:
        return True
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _versions() -> dict[str, str]:
    return {
        "citybrain": package_version("citybrain"),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def _copy_folder_files(home: Path, folder: str, into: Path) -> list[Member]:
    """Regular files under ``home/folder`` copied now. An append-only ``.jsonl`` caught while a
    line was being appended keeps its complete lines only."""
    root = home / folder
    members: list[Member] = []
    if not root.is_dir():
        return members
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(home).as_posix()
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        data = path.read_bytes()
        if path.suffix == ".jsonl" and data and not data.endswith(b"\n"):
            data = data[: data.rfind(b"\n") + 1]
        with archive.private_file(target) as out:
            out.write(data)
        members.append(Member(relative, target))
    return members


@contextmanager
def _scratch(near: Path) -> Iterator[Path]:
    """A private (0700) scratch folder beside ``near``, removed afterwards."""
    near.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".citybrain-backup-", dir=near))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_backup(
    settings: Settings,
    engine: Engine,
    *,
    hub_store: HubStore,
    output: Path,
    passphrase: str | None = None,
    progress: Progress | None = None,
) -> BackupResult:
    """Write the archive of the installation at ``settings.home`` while it keeps serving.

    Side effects: ``output`` (mode 0600; refused with ``backup_output_exists`` if present).
    Raises ``backup_unsupported_database``, ``backup_tool_missing``,
    ``backup_database_tool_failed``, ``backup_hub_busy``. Does not write the audit record;
    the caller records ``ops.backup.create`` with the archive's checksum.
    """
    if output.exists():
        raise Conflict(f"备份文件已存在: {output}", code="backup_output_exists")
    home = settings.home.resolve()
    url = settings.resolved_database_url
    backend = database.backend_of(url)
    warnings: list[str] = []
    from_env = [name for name in KEY_NAMES if getattr(settings, name)]
    if from_env:
        warnings.append(
            "以下密钥来自环境变量而非密钥文件, 不在备份中, 须另行保管: "
            + ", ".join(f"CITYBRAIN_{n.upper()}" for n in from_env)
        )
    with _scratch(output.parent) as scratch:
        members: list[Member] = []
        if settings.key_file.exists():
            (scratch / "keys").mkdir()
            key_copy = scratch / KEY_MEMBER
            with archive.private_file(key_copy) as out:
                out.write(settings.key_file.read_bytes())
            members.append(Member(KEY_MEMBER, key_copy))
        else:
            warnings.append("密钥文件不存在, 备份中没有密钥")
        for folder in COPIED_FOLDERS:
            members += _copy_folder_files(home, folder, scratch)
        if progress:
            progress("files", 1, 1)
        (scratch / "database").mkdir()
        if backend == "sqlite":
            db_member = database.SQLITE_MEMBER
            snapshot = database.backup_sqlite(url, scratch / db_member, progress=progress)
        else:
            db_member = database.PG_MEMBER
            snapshot = database.backup_postgres(engine, scratch / db_member, progress=progress)
        members.append(Member(db_member, scratch / db_member))
        hub_tables: dict[str, Any] | None = None
        (scratch / "hub").mkdir()
        hub_tables = hub.backup_store(hub_store, scratch / hub.HUB_MEMBER)
        if hub_tables is not None:
            members.append(Member(hub.HUB_MEMBER, scratch / hub.HUB_MEMBER))
        if progress:
            progress("hub", 1, 1)
        manifest = {
            "format": archive.FORMAT,
            "format_version": archive.FORMAT_VERSION,
            "created_at": utcnow().isoformat(),
            "created_by": getpass.getuser(),
            "host": socket.gethostname(),
            "source_home": str(home),
            "versions": {**_versions(), "database_server": snapshot.server_version},
            "alembic_revision": snapshot.revision,
            "alembic_heads": code_heads(),
            "database": {
                "backend": snapshot.backend,
                "schema": snapshot.schema,
                "member": db_member,
                "tables": snapshot.tables,
            },
            "hub": None
            if hub_tables is None
            else {"backend": hub_store.backend, "member": hub.HUB_MEMBER, "tables": hub_tables},
            "copy_order": ["keys", *COPIED_FOLDERS, "database", "hub"],
        }
        manifest = archive.pack(output, manifest, members, passphrase=passphrase, progress=progress)
    if passphrase is None:
        warnings.append("备份未加密且含全部密钥: 请按密钥文件的要求保管 (权限 0600, 离线介质)")
    return BackupResult(
        output, output.stat().st_size, archive.sha256_file(output), manifest, warnings
    )


def _home_is_empty(home: Path) -> bool:
    return not home.exists() or not any(home.iterdir())


def restore_backup(
    source: Path,
    *,
    home: Path,
    database_url: str = "",
    hub_store: HubStore | None = None,
    force: bool = False,
    passphrase: str | None = None,
    progress: Progress | None = None,
) -> RestoreResult:
    """Restore an archive into ``home`` (and the PostgreSQL database of ``database_url`` when
        the archive came from PostgreSQL), and its hub into ``hub_store`` (default: the DuckDB file
    under ``home``; a PostgreSQL hub schema is replaced), then migrate forward when older.

        Everything is checked before anything is written to ``home`` or the database: the envelope
        (``backup_bad_passphrase``, ``backup_passphrase_required``), the archive and every
        member's SHA-256 (``backup_corrupt``, ``backup_checksum_mismatch``), versions
        (``backup_newer_than_code``), the target (``restore_target_not_empty`` unless ``force``;
        ``restore_backend_mismatch``, ``restore_database_url_required``). After writing, the
        restored database's table digests must equal the manifest's (``restore_verify_failed``).
    """
    from citybrain.core.migrate import upgrade

    if not source.is_file():
        raise BadInput(f"备份文件不存在: {source}", code="backup_not_found")
    home = home.resolve()
    with _scratch(home.parent) as scratch:
        plain = source
        if archive.is_encrypted(source):
            if not passphrase:
                raise BadInput("备份已加密, 请提供口令", code="backup_passphrase_required")
            plain = scratch / "archive.tar.gz"
            archive.decrypt_file(source, plain, passphrase)
        content = scratch / "content"
        content.mkdir()
        manifest = archive.unpack(plain, content, progress=progress)
        revision = manifest.get("alembic_revision")
        if not _known_revision(revision):
            raise BadInput(
                f"备份的数据库版本 {revision} 比本程序新, 请先升级 citybrain 再恢复",
                code="backup_newer_than_code",
                detail={"revision": revision, "heads": code_heads()},
            )
        db = manifest["database"]
        backend, schema = db["backend"], db.get("schema")
        target_url = _target_url(backend, database_url, home, schema)
        if not force and not _home_is_empty(home):
            raise Conflict(
                f"目标目录 {home} 不为空, 拒绝覆盖 (确认覆盖请加 --force)",
                code="restore_target_not_empty",
            )
        if backend == "sqlite" and not force and database.sqlite_path(target_url).exists():
            raise Conflict(
                f"目标数据库文件 {database.sqlite_path(target_url)} 已存在, 拒绝覆盖"
                " (确认覆盖请加 --force)",
                code="restore_target_not_empty",
            )
        if backend == "postgresql" and not force and database.schema_tables(database_url, schema):
            raise Conflict(
                f"目标数据库的模式 {schema} 中已有数据表, 拒绝覆盖 (确认覆盖请加 --force)",
                code="restore_target_not_empty",
            )
        if hub_store is not None and not force:
            hub.refuse_filled(hub_store)
        # --- from here on the target is written ---
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o700)
        # With --force, whatever the archive lacks must not survive from the old home either:
        # a stale key file or hub beside the restored database would silently disagree with it.
        _replace_file(content / KEY_MEMBER, home / KEY_FILE_NAME)
        for folder in COPIED_FOLDERS:
            shutil.rmtree(home / folder, ignore_errors=True)
            if (content / folder).is_dir():
                shutil.copytree(content / folder, home / folder)
        hub_manifest = manifest.get("hub")
        warnings: list[str] = []
        hub_checked = hub.restore_store(
            content / hub_manifest["member"] if hub_manifest else None,
            hub_manifest,
            hub_store or DuckHubStore(home / HUB_FILE_NAME),
            same_engine=manifest["versions"].get("duckdb") == duckdb.__version__,
            force=force,
            warnings=warnings,
        )
        if backend == "sqlite":
            database.restore_sqlite(content / db["member"], database.sqlite_path(target_url))
            restored = database.describe_sqlite(database.sqlite_path(target_url))
        else:
            database.restore_postgres(content / db["member"], database_url, schema, replace=force)
            restored = database.describe_postgres(database_url, schema)
        if restored.tables != db["tables"]:
            differing = sorted(
                name
                for name in set(restored.tables) | set(db["tables"])
                if restored.tables.get(name) != db["tables"].get(name)
            )
            raise InvalidState(
                "恢复后的数据库与备份清单不一致", code="restore_verify_failed", detail=differing
            )
        if progress:
            progress("restore", 1, 1)
    migrated_from = None
    from citybrain.core.db import make_engine

    engine = make_engine(target_url)
    try:
        if revision not in code_heads():
            upgrade(engine)
            migrated_from = revision
        from citybrain.core.migrate import current_revision

        now_revision = current_revision(engine)
    finally:
        engine.dispose()
    if "ingest" in {p.name for p in home.iterdir()} and manifest["source_home"] != str(home):
        warnings.append(
            f"排队中的上传批次仍指向原目录 {manifest['source_home']}/ingest 下的文件;"
            " 如需继续处理, 请在该路径放置这些文件或重新上传"
        )
    return RestoreResult(
        home,
        target_url,
        manifest,
        len(restored.tables),
        hub_checked,
        migrated_from,
        now_revision,
        warnings,
    )


def _replace_file(member: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    if member.exists():
        shutil.copyfile(member, target)
        os.chmod(target, 0o600)


def _target_url(backend: str, database_url: str, home: Path, schema: str | None) -> str:
    """The URL the restored installation will use (``CITYBRAIN_DATABASE_URL``)."""
    if backend == "sqlite":
        if database_url and database.backend_of(database_url) != "sqlite":
            raise BadInput("SQLite 备份只能恢复为 SQLite 数据库", code="restore_backend_mismatch")
        return database_url or f"sqlite:///{home / 'citybrain.db'}"
    if not database_url:
        raise BadInput(
            "PostgreSQL 备份须用 --database-url 指定目标数据库",
            code="restore_database_url_required",
        )
    if database.backend_of(database_url) != "postgresql":
        raise BadInput("PostgreSQL 备份只能恢复到 PostgreSQL", code="restore_backend_mismatch")
    url = make_url(database_url)
    if schema and schema != "public":
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def summary_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, ensure_ascii=False, indent=2)
