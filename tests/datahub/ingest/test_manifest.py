"""One read of a file gives its SM3 checksum and its row estimate."""

from __future__ import annotations

from pathlib import Path

import pytest

from citybrain.datahub.ingest.manifest import estimate_rows, file_checksum, file_manifest


@pytest.mark.parametrize(
    "content", [b"", b"h\n", b"h", b"h\r\na\r\nb\r\n", b"h\na\nb", b"h\n" + b"x\n" * 300_000]
)
@pytest.mark.parametrize("kind", ["csv", "json"])
def test_the_manifest_is_the_checksum_and_the_estimate(
    tmp_path: Path, content: bytes, kind: str
) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    assert file_manifest(path, kind) == (file_checksum(path), estimate_rows(path, kind))
