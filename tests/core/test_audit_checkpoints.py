"""Cutting the newest records off the ledger is noticed: the head is tagged with the audit key
and signed checkpoints outside the database remember how far the chain reached."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from citybrain.core.audit import anchor, checkpoints, service
from citybrain.core.audit.chain import Breach, head_tag
from citybrain.core.audit.config import get_audit_settings
from citybrain.core.audit.models import AuditHead
from citybrain.core.config import Settings, get_settings, load_key_file
from citybrain.core.crypto import generate_sm2_keypair


def _append(session: Session, n: int) -> list[int]:
    return [service.record(session, action="test.touch", object_id=str(i)).seq for i in range(n)]


def _disable_guard(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_record_no_delete"))
    else:
        session.execute(text("ALTER TABLE audit_record DISABLE TRIGGER USER"))


def _anchor_session_head(session: Session, path: Path) -> str:
    head = session.get(AuditHead, 1)
    assert head is not None
    line = anchor.anchor(anchor.Head(head.seq, head.mac, head.tag), path=path)
    assert line is not None
    return line


def _cut_tail(session: Session, keep_through: int, *, retag: bool = False) -> None:
    """Delete every record after ``keep_through`` and point the head at it, as a DBA would."""
    _disable_guard(session)
    session.execute(text("DELETE FROM audit_record WHERE seq > :s"), {"s": keep_through})
    mac = session.execute(
        text("SELECT mac FROM audit_record WHERE seq = :s"), {"s": keep_through}
    ).scalar_one()
    values = {"s": keep_through, "m": mac}
    assignments = "seq = :s, mac = :m"
    if retag:  # an insider who also holds the audit key
        values["t"] = head_tag(get_settings().key("audit_key"), keep_through, mac)
        assignments += ", tag = :t"
    session.execute(text(f"UPDATE audit_head SET {assignments} WHERE id = 1"), values)
    session.expire_all()


def test_intact_chain_with_checkpoint_verifies(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    _append(session, 3)
    _anchor_session_head(session, path)
    _append(session, 2)
    result = service.verify(session, checkpoint_file=path)
    assert result.ok, result.message
    assert result.checkpoint_seq is not None
    assert result.checkpoint_seq < result.checked


@pytest.mark.parametrize("retag", [False, True], ids=["without-key", "with-key"])
def test_truncation_is_named(session: Session, tmp_path: Path, retag: bool) -> None:
    path = tmp_path / "cp.jsonl"
    seqs = _append(session, 60)
    _anchor_session_head(session, path)
    _cut_tail(session, seqs[-1] - 50, retag=retag)
    result = service.verify(session, checkpoint_file=path)
    assert (result.ok, result.breach) == (False, Breach.truncated)
    assert result.message == (
        f"审计链被截断: 检查点记录到第 {seqs[-1]} 条, 数据库只有 {seqs[-1] - 50} 条"
    )


def test_head_moved_back_without_key_is_named(session: Session, tmp_path: Path) -> None:
    seqs = _append(session, 5)
    _cut_tail(session, seqs[2])
    result = service.verify(session, checkpoint_file=tmp_path / "none.jsonl")
    assert (result.ok, result.breach, result.seq) == (False, Breach.head_forged, seqs[2])
    assert "审计链头" in result.message


def test_head_mac_swapped_is_named(session: Session, tmp_path: Path) -> None:
    _append(session, 3)
    session.execute(text("UPDATE audit_head SET mac = :m WHERE id = 1"), {"m": "a" * 64})
    session.expire_all()
    result = service.verify(session, checkpoint_file=tmp_path / "none.jsonl")
    assert result.breach == Breach.head_forged


def test_forged_head_is_never_signed(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    _append(session, 2)
    head = session.get(AuditHead, 1)
    assert head is not None
    assert anchor.anchor(anchor.Head(head.seq + 5, head.mac, head.tag), path=path) is None
    assert not path.exists()


def _three_checkpoints(session: Session, path: Path) -> list[str]:
    lines = []
    for _ in range(3):
        _append(session, 2)
        lines.append(_anchor_session_head(session, path))
    return lines


def test_checkpoint_edited_is_forgery(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    lines = _three_checkpoints(session, path)
    edited = json.loads(lines[1])
    edited["seq"] += 1000
    path.write_text("\n".join([lines[0], json.dumps(edited), lines[2]]) + "\n", "utf-8")
    result = service.verify(session, checkpoint_file=path)
    assert (result.ok, result.breach) == (False, Breach.checkpoint_forged)
    assert result.message.startswith("检查点文件第 2 行签名无效")


def test_checkpoint_signed_with_another_key_is_forgery(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    seqs = _append(session, 2)
    other = generate_sm2_keypair()
    mac = session.execute(
        text("SELECT mac FROM audit_record WHERE seq = :s"), {"s": seqs[-1]}
    ).scalar_one()
    line = checkpoints.sign(
        other.private_key, other.public_key, seq=seqs[-1] + 40, mac=mac, at="x", prev="0" * 64
    )
    path.write_text(line + "\n", "utf-8")
    result = service.verify(session, checkpoint_file=path)
    assert (result.ok, result.breach) == (False, Breach.checkpoint_forged)


def test_checkpoint_line_removed_from_the_middle_is_noticed(
    session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "cp.jsonl"
    lines = _three_checkpoints(session, path)
    path.write_text(f"{lines[0]}\n{lines[2]}\n", "utf-8")
    result = service.verify(session, checkpoint_file=path)
    assert (result.ok, result.breach) == (False, Breach.checkpoint_forged)
    assert "第 2 行与前一行不衔接" in result.message


def test_last_checkpoint_lines_removed_with_the_tail_go_unnoticed(
    session: Session, tmp_path: Path
) -> None:
    """The documented limit: the file alone cannot show that its own last lines are gone.
    Whoever removes them together with the newest records and holds the audit key (to re-tag
    the head) is caught only by a receiver off the machine (syslog, HTTP)."""
    path = tmp_path / "cp.jsonl"
    lines = _three_checkpoints(session, path)
    first_seq = json.loads(lines[0])["seq"]
    path.write_text(lines[0] + "\n", "utf-8")
    _cut_tail(session, first_seq, retag=True)
    result = service.verify(session, checkpoint_file=path)
    assert result.ok
    assert result.checkpoint_seq == first_seq


def test_rewritten_chain_is_named(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "cp.jsonl"
    seqs = _append(session, 3)
    private, public = anchor.signing_keys()
    path.write_text(
        checkpoints.sign(private, public, seq=seqs[1], mac="b" * 64, at="t", prev="0" * 64) + "\n",
        "utf-8",
    )
    result = service.verify(session, checkpoint_file=path)
    assert (result.ok, result.breach, result.seq) == (False, Breach.rewritten, seqs[1])


def test_signing_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, audit_sign_key="")
    private, public = anchor.signing_keys(settings)
    assert load_key_file(settings.key_file) == {"audit_sign_key": private.hex()}
    assert anchor.signing_keys(settings) == (private, public)
    assert oct(settings.key_file.stat().st_mode & 0o777) == "0o600"


# --- committed checkpoints through the CLI and the receivers -----------------------------------


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from citybrain.cli import context

    monkeypatch.setenv("CITYBRAIN_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CITYBRAIN_HOME", str(tmp_path))
    get_settings.cache_clear()
    get_audit_settings.cache_clear()
    context.cli_engine.cache_clear()
    yield tmp_path
    context.cli_engine().dispose()
    context.cli_engine.cache_clear()
    get_settings.cache_clear()
    get_audit_settings.cache_clear()


def test_cli_verify_names_truncation_after_its_checkpoint(cli_home: Path) -> None:
    from citybrain.cli.context import cli_session
    from citybrain.cli.main import app

    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    with cli_session() as session:
        _append(session, 60)
    first = runner.invoke(app, ["audit", "verify"])
    assert first.exit_code == 0, first.output
    log = cli_home / "audit" / "checkpoints.jsonl"
    assert json.loads(log.read_text("utf-8").splitlines()[-1])["seq"] == 60
    with sqlite3.connect(cli_home / "cli.db") as raw:
        raw.execute("DROP TRIGGER audit_record_no_delete")
        raw.execute("DELETE FROM audit_record WHERE seq > 10")
        raw.execute(
            "UPDATE audit_head SET seq = 10, mac = (SELECT mac FROM audit_record WHERE seq = 10)"
        )
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "审计链被截断: 检查点记录到第 60 条, 数据库只有 10 条" in broken.output


def test_checkpoint_every_n_records_after_commit(
    cli_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from citybrain.cli.context import cli_session
    from citybrain.cli.main import app

    monkeypatch.setenv("CITYBRAIN_AUDIT_CHECKPOINT_EVERY", "5")
    get_audit_settings.cache_clear()
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    monkeypatch.setattr(anchor, "_last_attempt", time.monotonic())  # the time trigger not due
    log = cli_home / "audit" / "checkpoints.jsonl"
    with cli_session() as session:
        _append(session, 4)
    assert not log.exists()
    with cli_session() as session:
        _append(session, 3)  # crosses seq 5; the checkpoint holds the committed head, 7
    assert [json.loads(line)["seq"] for line in log.read_text("utf-8").splitlines()] == [7]


def test_checkpoint_reaches_syslog_and_http_receivers(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(5)
    try:
        monkeypatch.setenv("CITYBRAIN_AUDIT_CHECKPOINT_SYSLOG", f"127.0.0.1:{udp.getsockname()[1]}")
        monkeypatch.setenv(
            "CITYBRAIN_AUDIT_CHECKPOINT_URL", f"http://127.0.0.1:{server.server_port}/"
        )
        get_audit_settings.cache_clear()
        _append(session, 2)
        line = _anchor_session_head(session, tmp_path / "cp.jsonl")
        datagram = udp.recv(4096).decode()
        thread.join(timeout=5)
    finally:
        udp.close()
        server.server_close()
        get_audit_settings.cache_clear()
    assert datagram == f"<110>citybrain-audit: {line}"
    assert received == [line.encode()]


def test_one_signature_vouches_for_the_whole_log(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SM2 verification costs ~0.1 s in gmssl; a year of checkpoints must not cost hours."""
    path = tmp_path / "cp.jsonl"
    for _ in range(6):
        _append(session, 1)
        _anchor_session_head(session, path)
    calls: list[int] = []
    real = checkpoints.sm2_verify

    def counting(public_key: bytes, message: bytes, signature: bytes) -> bool:
        calls.append(1)
        return real(public_key, message, signature)

    monkeypatch.setattr(checkpoints, "sm2_verify", counting)
    assert service.verify(session, checkpoint_file=path).ok
    assert len(calls) == 1


def test_init_key_file_carries_a_valid_sm2_signing_key(tmp_path: Path) -> None:
    from citybrain.core.config import KEY_NAMES, ensure_key_file
    from citybrain.core.crypto import sm2_public_key_from_private

    path = tmp_path / "keys.json"
    assert ensure_key_file(path)
    keys = load_key_file(path)
    assert set(keys) == set(KEY_NAMES)
    assert len(sm2_public_key_from_private(bytes.fromhex(keys["audit_sign_key"]))) == 64
    assert not ensure_key_file(path)  # never rotated
