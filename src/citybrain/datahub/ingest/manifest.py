"""The manifest of a batch: SM3 over the source bytes (files) or over the canonical rows
(database and HTTP sources, whose bytes are not ours to hash), and a cheap row estimate."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import hashes

_CHUNK = 1 << 20


class Sm3Stream:
    """Incremental SM3 (the core crypto provider offers one-shot digests only)."""

    __slots__ = ("_hash",)

    def __init__(self) -> None:
        self._hash = hashes.Hash(hashes.SM3())

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.finalize().hex()


def file_checksum(path: Path) -> str:
    """Lower-case hex SM3 of the file's bytes, read in 1 MiB chunks."""
    digest = Sm3Stream()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_manifest(path: Path, kind: str) -> tuple[str, int | None]:
    """:func:`file_checksum` and :func:`estimate_rows` in one read of the file."""
    digest = Sm3Stream()
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk
    if kind != "csv":
        return digest.hexdigest(), None
    if last and not last.endswith(b"\n"):
        lines += 1
    return digest.hexdigest(), max(lines - 1, 0)


def estimate_rows(path: Path, kind: str) -> int | None:
    """Data rows of a CSV file (line breaks minus the header), for progress bars; None for
    other kinds. Quoted line breaks make it an over-estimate, which a progress bar survives."""
    if kind != "csv":
        return None
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk
    if last and not last.endswith(b"\n"):
        lines += 1
    return max(lines - 1, 0)
