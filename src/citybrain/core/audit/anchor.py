"""Writing checkpoints outside the database: the local JSON-lines file (always; ``audit
verify`` reads it), and a syslog or HTTP receiver when configured.

A checkpoint is taken after a commit, never inside a transaction: a checkpoint of a record
that is then rolled back would later look like truncation. It is read from the *committed*
head through a connection of its own, and only a head whose tag proves it was written with
the audit key is signed. Taking one every N records or M minutes (``AuditSettings``) bounds
what can be cut off unnoticed; ``citybrain audit verify`` and a clean shutdown take one too.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from citybrain.core.audit import checkpoints
from citybrain.core.audit.chain import head_ok
from citybrain.core.audit.config import AuditSettings, get_audit_settings
from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, ensure_key_file, get_settings
from citybrain.core.context import settings_of
from citybrain.core.crypto import sm2_public_key_from_private

log = logging.getLogger(__name__)
_DUE = "citybrain.audit.checkpoint_due"
_SYSLOG_PRIORITY = 13 * 8 + 6  # facility 13 "log audit", severity 6 "informational"
_state_lock = threading.Lock()
_last_attempt = 0.0  # time.monotonic() of this process's last checkpoint attempt


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    mac: str
    tag: str


def checkpoint_path(
    settings: Settings | None = None, audit_settings: AuditSettings | None = None
) -> Path:
    configured = (audit_settings or get_audit_settings()).checkpoint_file
    return configured or (settings or get_settings()).home / "audit" / "checkpoints.jsonl"


def signing_keys(settings: Settings | None = None) -> tuple[bytes, bytes]:
    """The SM2 key pair (private, public) that signs checkpoints. An installation made before
    checkpoints existed has no such key: one is generated into its key file on first use."""
    settings = settings or get_settings()
    try:
        private = settings.key("audit_sign_key")
    except RuntimeError:
        ensure_key_file(settings.key_file, names=("audit_sign_key",))
        private = settings.key("audit_sign_key")
    return private, _public_of(private)


@lru_cache(maxsize=4)
def _public_of(private: bytes) -> bytes:
    return sm2_public_key_from_private(private)  # a few ms in pure Python; cached


def note_append(session: Session, seq: int) -> None:
    """Called by every append: when a checkpoint is due, take one after the session commits."""
    config = get_audit_settings()
    due = seq % config.checkpoint_every == 0
    due = due or time.monotonic() - _last_attempt >= config.checkpoint_minutes * 60
    if due and not session.info.get(_DUE):
        session.info[_DUE] = True
        event.listen(session, "after_commit", _after_commit, once=True)


def _after_commit(session: Session) -> None:
    session.info.pop(_DUE, None)
    bind: Any = session.get_bind()
    checkpoint_committed(bind if isinstance(bind, Engine) else bind.engine, settings_of(session))


def checkpoint_committed(engine: Engine, settings: Settings | None = None) -> str | None:
    """Anchor the committed head; the checkpoint line written, or None when there was nothing
    new or it failed (logged: the caller's request must not fail because of it)."""
    global _last_attempt
    with _state_lock:
        _last_attempt = time.monotonic()
    try:
        return anchor(_committed_head(engine), settings)
    except Exception:
        log.exception("could not write an audit checkpoint")
        return None


def _committed_head(engine: Engine) -> Head | None:
    # A raw DBAPI connection runs the SELECT outside any transaction of ours (no BEGIN
    # IMMEDIATE on SQLite), so it neither waits for nor sees a writer's uncommitted head.
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SELECT seq, mac, tag FROM audit_head WHERE id = 1")
        row = cursor.fetchone()
        cursor.close()
    finally:
        raw.close()
    return Head(int(row[0]), str(row[1]), str(row[2] or "")) if row else None


def anchor(
    head: Head | None, settings: Settings | None = None, *, path: Path | None = None
) -> str | None:
    """Sign ``head`` and append it to the file and the receivers, unless the file already
    holds this or a newer head. A head failing its tag is refused (logged), never signed."""
    settings = settings or get_settings()
    if head is None or head.seq == 0:
        return None
    if not head_ok(settings.key("audit_key"), head.seq, head.mac, head.tag):
        log.error("audit head %s fails its tag; no checkpoint signed", head.seq)
        return None
    private, public = signing_keys(settings)
    path = path or checkpoint_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as log_file:
        fcntl.flock(log_file, fcntl.LOCK_EX)  # concurrent processes keep the links in order
        last = _last_line(path)
        if last and _seq_of(last) >= head.seq:
            return None
        at = utcnow().isoformat(timespec="seconds")
        prev = checkpoints.link_of(last) if last else checkpoints.FIRST_PREV
        line = checkpoints.sign(private, public, seq=head.seq, mac=head.mac, at=at, prev=prev)
        log_file.write(line + "\n")
        log_file.flush()
        os.fsync(log_file.fileno())
    _send(line, get_audit_settings())
    return line


def _seq_of(line: str) -> int:
    try:
        return checkpoints.Checkpoint.from_line(line).seq
    except ValueError:
        return 0


def _last_line(path: Path) -> str:
    with path.open("rb") as raw:
        position = raw.seek(0, os.SEEK_END)
        chunk = b""
        while position > 0 and chunk.rstrip(b"\n").count(b"\n") < 1:
            step = min(4096, position)
            position -= step
            raw.seek(position)
            chunk = raw.read(step) + chunk
    lines = chunk.decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else ""


def read_lines(path: Path) -> list[str] | None:
    """The checkpoint log's lines, or None when there is no file."""
    if not path.exists():
        return None
    return path.read_text("utf-8").splitlines()


def _send(line: str, config: AuditSettings) -> None:
    if config.checkpoint_syslog:
        host, _, port = config.checkpoint_syslog.rpartition(":")
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.settimeout(config.checkpoint_timeout_seconds)
                message = f"<{_SYSLOG_PRIORITY}>citybrain-audit: {line}".encode()
                sock.sendto(message, (host, int(port)))
        except (OSError, ValueError):
            log.exception("could not send the audit checkpoint to syslog %s", host)
    if config.checkpoint_url:
        try:
            httpx.post(
                config.checkpoint_url,
                content=line.encode(),
                headers={"Content-Type": "application/json"},
                timeout=config.checkpoint_timeout_seconds,
            ).raise_for_status()
        except httpx.HTTPError:
            log.exception("could not post the audit checkpoint to %s", config.checkpoint_url)
