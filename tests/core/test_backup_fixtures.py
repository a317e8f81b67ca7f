"""A small installation built through the real functions, backed up while a thread keeps
writing audit records (and checkpoints pointing back at them), for the backup drills on SQLite
and PostgreSQL. Everything runs with ``CITYBRAIN_HOME`` pointing at the installation and the
keys read from its key file, as a real deployment does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from citybrain.analytics.hub import DuckHubStore, HubColumn, HubStore, HubTableSpec, open_hub
from citybrain.cli import context as cli_context
from citybrain.cli import main as cli_main
from citybrain.core.audit import service as audit
from citybrain.core.audit.anchor import checkpoint_committed
from citybrain.core.audit.models import AuditRecord
from citybrain.core.backup import service as backup
from citybrain.core.backup.service import BackupResult
from citybrain.core.config import KEY_NAMES, get_settings
from citybrain.iam import auth
from citybrain.iam import service as iam
from citybrain.regions.writes import RegionValues, upsert_regions
from hub_testing import PG_URL, new_schema

runner = CliRunner()
PASSWORD = "Drill-pass-2026!ok"
HUB_SPEC = HubTableSpec(
    "DRILL_POP", (HubColumn("name", "VARCHAR"), HubColumn("born_on", "DATE")), "BIGINT"
)


@contextmanager
def installation_env(
    monkeypatch: pytest.MonkeyPatch, home: Path, database_url: str = ""
) -> Iterator[None]:
    """Point the process at ``home`` (keys from its key file) for the length of the block."""
    for name in KEY_NAMES:
        monkeypatch.delenv(f"CITYBRAIN_{name.upper()}", raising=False)
    monkeypatch.setenv("CITYBRAIN_HOME", str(home))
    if PG_URL:  # the installation's own hub schema on the PostgreSQL pass
        monkeypatch.setenv("CITYBRAIN_HUB_SCHEMA", new_schema())
    if database_url:
        monkeypatch.setenv("CITYBRAIN_DATABASE_URL", database_url)
    else:
        monkeypatch.delenv("CITYBRAIN_DATABASE_URL", raising=False)
    _reset()
    try:
        yield
    finally:
        _reset()


def _reset() -> None:
    if cli_context.cli_engine.cache_info().currsize:
        cli_context.cli_engine().dispose()
    cli_context.cli_engine.cache_clear()
    get_settings.cache_clear()


@dataclass
class Drill:
    home: Path
    database_url: str
    archive: Path
    result: BackupResult
    totp_secret: str
    hub_rows: list[tuple[Any, ...]]
    audit_before: int  # records committed before the backup started
    audit_after: int  # records committed when it had finished
    written_while_backing_up: int
    user_ids: list[int] = field(default_factory=list)


def build(home: Path, database_url: str = "") -> tuple[str, list[int]]:
    """``citybrain init`` + regions + users (one with TOTP) + a hub table; inside
    ``installation_env``. Returns the TOTP secret and the user ids."""
    result = runner.invoke(cli_main.app, ["init"])
    assert result.exit_code == 0, result.output
    with cli_context.cli_session() as session:
        upsert_regions(
            session,
            [
                RegionValues("62", "甘肃省", "province", None, "drill"),
                RegionValues("6207", "张掖市", "city", "62", "drill"),
                RegionValues("620722", "民乐县", "county", "6207", "drill"),
            ],
        )
        users = [
            iam.create_user(
                session,
                username=f"drill{n}",
                password=PASSWORD,
                region_code="620722",
                roles=["analyst"],
                must_change_password=False,
            )
            for n in range(3)
        ]
        secret = auth.enrol_totp(session, user=users[0]).secret
        session.flush()
        ids = [u.id for u in users]
    store = open_hub(get_settings())
    with store.staging(HUB_SPEC) as staging:
        staging.append(
            {
                "name": ["张三", "李四", "王五"],
                "born_on": ["1990-01-02", "1985-05-06", None],
                "_key": ["k1", "k2", "k3"],
                "_version": ["1", "1", "2"],
                "_source_row": ["1", "2", "3"],
            }
        )
        staging.merge(batch_id=1)
    return secret, ids


def hub_rows(where: Path | HubStore) -> list[tuple[Any, ...]]:
    """The drill table's rows in a store, or in the DuckDB hub of a (restored) home."""
    store = DuckHubStore(where / "hub.duckdb") if isinstance(where, Path) else where
    return store.query(f"SELECT * FROM {HUB_SPEC.table} ORDER BY _key")


def audit_count() -> int:
    with cli_context.cli_session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditRecord)) or 0)


class Writer(threading.Thread):
    """Serving traffic: audit records through the real service, each followed by the ledger's
    signed checkpoint of the committed head (so it points backwards) in ``audit/``."""

    def __init__(self, home: Path) -> None:
        super().__init__(daemon=True)
        self.checkpoints = home / "audit" / "checkpoints.jsonl"
        self.checkpoints.parent.mkdir(parents=True, exist_ok=True)
        self.stop = threading.Event()
        self.written = 0
        self.progressed = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with cli_context.cli_session() as session:
                    audit.record(session, action="drill.tick", detail={"n": self.written})
                # the ledger's own signed checkpoint of the committed head, after every record
                if checkpoint_committed(cli_context.cli_engine()) is None:
                    raise RuntimeError("no checkpoint was written")
                with self.progressed:
                    self.written += 1
                    self.progressed.notify_all()
        except BaseException as exc:  # surfaced by the drill, never swallowed
            self.error = exc

    def wait_for(self, more: int) -> None:
        with self.progressed:
            target = self.written + more
            assert self.progressed.wait_for(lambda: self.written >= target, timeout=30)


def back_up_while_serving(home: Path, archive: Path, *, passphrase: str | None = None) -> Drill:
    """Back up ``home`` while a writer appends audit records; inside ``installation_env``."""
    writer = Writer(home)
    writer.start()
    try:
        writer.wait_for(3)
        before = audit_count()
        start = writer.written

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "files":  # between the checkpoint copy and the database snapshot
                writer.wait_for(2)

        settings = get_settings()
        result = backup.create_backup(
            settings,
            cli_context.cli_engine(),
            hub_store=open_hub(settings),
            output=archive,
            passphrase=passphrase,
            progress=progress,
        )
        during = writer.written - start
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    return Drill(
        home=home,
        database_url=get_settings().database_url,
        archive=archive,
        result=result,
        totp_secret="",
        hub_rows=hub_rows(open_hub(get_settings())),
        audit_before=before,
        audit_after=audit_count(),
        written_while_backing_up=during,
    )
