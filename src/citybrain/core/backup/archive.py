"""The archive: a gzip-compressed tar whose first member is ``manifest.json``, optionally
wrapped in an SM4-GCM envelope keyed from a passphrase.

Invariants:
- The manifest names every other member with its size and SHA-256; :func:`unpack` refuses an
  archive with a missing, extra, unsafe (absolute, ``..``, link, device) or altered member
  before the caller writes anything anywhere but its own scratch folder.
- Archives hold the installation's keys, so every file this module writes is mode 0600.
- Envelope: ``MAGIC || iterations (4, big-endian) || salt (16) || nonce (12) || ciphertext ||
  tag (16)``; key = PBKDF2-HMAC-SM3(passphrase, salt, iterations, 16 bytes). Decryption streams
  into a scratch file that is used only after the tag verified.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from citybrain.core.errors import BadInput

FORMAT: Final = "citybrain-backup"
FORMAT_VERSION: Final = 1
MANIFEST: Final = "manifest.json"
MAGIC: Final = b"CBBACKUP-SM4GCM\x01"
PBKDF2_ITERATIONS: Final = 300_000
_CHUNK: Final = 1 << 20
_SALT: Final = 16
_NONCE: Final = 12
_TAG: Final = 16

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def corrupt(reason: str) -> BadInput:
    return BadInput(f"备份文件已损坏或不是 citybrain 备份: {reason}", code="backup_corrupt")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def private_file(path: Path) -> IO[bytes]:
    """``path`` opened for writing, created with mode 0600 (never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT
    return os.fdopen(fd, "wb")


@dataclass(frozen=True, slots=True)
class Member:
    name: str  # path inside the archive, '/'-separated
    path: Path  # where it lies on disk


def pack(
    output: Path,
    manifest: dict[str, Any],
    members: list[Member],
    *,
    passphrase: str | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write the archive: manifest first, then ``members`` (their checksums are added to the
    manifest here), encrypted when a passphrase is given. ``output`` ends up mode 0600.
    Returns the manifest as written."""
    manifest = {**manifest, "members": {}}
    for member in members:
        manifest["members"][member.name] = {
            "size": member.path.stat().st_size,
            "sha256": sha256_file(member.path),
        }
    manifest["encrypted"] = passphrase is not None
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    plain = output.with_name(output.name + ".part") if passphrase else output
    with private_file(plain) as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        tar.addfile(info, _bytes_io(body))
        for done, member in enumerate(members, 1):
            tar.add(member.path, arcname=member.name, recursive=False, filter=_private)
            if progress:
                progress("pack", done, len(members))
    if passphrase is not None:
        try:
            encrypt_file(plain, output, passphrase)
        finally:
            plain.unlink(missing_ok=True)
    return manifest


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _bytes_io(data: bytes) -> IO[bytes]:
    import io

    return io.BytesIO(data)


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _derive(passphrase: str, salt: bytes, iterations: int) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SM3(), length=16, salt=salt, iterations=iterations)
    return kdf.derive(passphrase.encode("utf-8"))


def encrypt_file(
    source: Path, target: Path, passphrase: str, *, iterations: int = PBKDF2_ITERATIONS
) -> None:
    if not passphrase:
        raise BadInput("加密口令不能为空", code="backup_empty_passphrase")
    salt, nonce = secrets.token_bytes(_SALT), secrets.token_bytes(_NONCE)
    key = _derive(passphrase, salt, iterations)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(MAGIC)
    with source.open("rb") as src, private_file(target) as out:
        out.write(MAGIC + iterations.to_bytes(4, "big") + salt + nonce)
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            out.write(encryptor.update(chunk))
        out.write(encryptor.finalize() + encryptor.tag)


def decrypt_file(source: Path, target: Path, passphrase: str) -> None:
    """Decrypt an envelope into ``target``; a wrong passphrase or any altered byte raises
    ``BadInput`` (``backup_bad_passphrase``) and leaves no ``target`` behind."""
    size = source.stat().st_size
    header = len(MAGIC) + 4 + _SALT + _NONCE
    if size < header + _TAG:
        raise corrupt("加密头不完整")
    with source.open("rb") as src:
        head = src.read(header)
        iterations = int.from_bytes(head[len(MAGIC) : len(MAGIC) + 4], "big")
        salt = head[len(MAGIC) + 4 : len(MAGIC) + 4 + _SALT]
        nonce = head[len(MAGIC) + 4 + _SALT :]
        src.seek(size - _TAG)
        tag = src.read(_TAG)
        src.seek(header)
        key = _derive(passphrase, salt, iterations)
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(MAGIC)
        remaining = size - header - _TAG
        try:
            with private_file(target) as out:
                while remaining:
                    chunk = src.read(min(_CHUNK, remaining))
                    remaining -= len(chunk)
                    out.write(decryptor.update(chunk))
                out.write(decryptor.finalize())
        except InvalidTag:
            target.unlink(missing_ok=True)
            raise BadInput("备份口令错误或加密备份已被改动", code="backup_bad_passphrase") from None


def unpack(archive: Path, into: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Extract a plain archive into the scratch folder ``into`` and check it against its
    manifest; return the manifest. Raises ``backup_corrupt``, ``backup_checksum_mismatch``."""
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            infos = tar.getmembers()
            if not infos or infos[0].name != MANIFEST:
                raise corrupt("缺少清单 manifest.json")
            for info in infos:
                if not info.isfile() or info.name.startswith("/") or ".." in info.name.split("/"):
                    raise corrupt(f"不安全的成员 {info.name}")
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise corrupt(str(exc)) from exc
    try:
        manifest: dict[str, Any] = json.loads((into / MANIFEST).read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise corrupt("清单不是合法的 JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise corrupt("清单格式不符")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BadInput(
            f"备份格式版本 {manifest.get('format_version')} 高于本程序支持的 {FORMAT_VERSION},"
            " 请先升级 citybrain",
            code="backup_newer_than_code",
        )
    database = manifest.get("database")
    if (
        not isinstance(manifest.get("members"), dict)
        or not isinstance(database, dict)
        or database.get("backend") not in ("sqlite", "postgresql")
        or database.get("member") not in manifest["members"]
        or not isinstance(database.get("tables"), dict)
    ):
        raise corrupt("清单内容不完整")
    listed: dict[str, dict[str, Any]] = manifest.get("members", {})
    present = {info.name for info in infos[1:]}
    if present != set(listed):
        raise BadInput(
            "备份成员与清单不符 (缺少或多出文件)",
            code="backup_checksum_mismatch",
            detail={
                "missing": sorted(set(listed) - present),
                "extra": sorted(present - set(listed)),
            },
        )
    for done, (name, entry) in enumerate(sorted(listed.items()), 1):
        actual = sha256_file(into / name)
        if actual != entry.get("sha256"):
            raise BadInput(
                f"备份成员 {name} 的 SHA-256 与清单不符, 备份已被改动或损坏",
                code="backup_checksum_mismatch",
                detail={"member": name, "expected": entry.get("sha256"), "actual": actual},
            )
        if progress:
            progress("verify", done, len(listed))
    return manifest
