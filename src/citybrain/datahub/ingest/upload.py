"""Receiving an uploaded file: the multipart body streams from the socket straight into a file
under the upload folder, chunk by chunk, so no upload is ever held in memory, and the size cap
is enforced while the bytes arrive (a body announced or found larger is refused with 413 and
leaves no partial file).

Only two parts are read: ``file`` (the data) and ``mapping`` (a short JSON text); any other part
is skipped. This is HTTP plumbing of the ingest upload route, kept out of ``router.py`` so the
route stays an adapter.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from citybrain.core.audit.denials import record_denial
from citybrain.core.errors import BadInput, TooLarge

# Room for the multipart framing and the mapping field around the file itself.
BODY_OVERHEAD: Final = 1024 * 1024
MAX_TEXT_FIELD: Final = 64 * 1024
PART_SUFFIX: Final = ".part"

OPENAPI_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV、XLSX 或 JSON 文件",
                        },
                        "mapping": {
                            "type": "string",
                            "description": '可选: {"列名": "信息项"} JSON',
                        },
                    },
                }
            }
        },
    }
}


@dataclass(slots=True)
class ReceivedUpload:
    """A file written under the upload folder as ``<uuid>.part``; whoever keeps it renames it
    (``service.queue_upload``), and the route's dependency deletes it otherwise."""

    path: Path
    filename: str
    size: int
    fields: dict[str, str] = field(default_factory=dict)


def too_large(limit_mb: int) -> TooLarge:
    return TooLarge(f"文件超过 {limit_mb} MB 上限，请拆分后分批上传", code="upload_too_large")


class _Receiver:
    """python-multipart callbacks writing the ``file`` part to disk and keeping text parts."""

    def __init__(self, destination: Path, limit: int) -> None:
        self.destination, self.limit = destination, limit
        self.filename: str | None = None
        self.size = 0
        self.fields: dict[str, str] = {}
        self._file: IO[bytes] | None = None
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._text = bytearray()
        self._kind: str | None = None  # "file", "text" or None (skipped part)
        self.error: Exception | None = None

    def on_part_begin(self) -> None:
        self._headers, self._kind, self._text = {}, None, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._name == "file" and b"filename" in options and self._file is None:
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self._file = self.destination.open("xb")
            self._kind = "file"
        elif self._name == "mapping":
            self._kind = "text"

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.error is not None:
            return
        if self._kind == "file" and self._file is not None:
            self.size += end - start
            if self.size > self.limit:
                self.error = OverflowError("file part too large")
                return
            self._file.write(data[start:end])
        elif self._kind == "text":
            self._text += data[start:end]
            if len(self._text) > MAX_TEXT_FIELD:
                self.error = ValueError("text part too large")

    def on_part_end(self) -> None:
        if self._kind == "text":
            self.fields[self._name] = self._text.decode("utf-8", "replace")
        self._kind = None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


@asynccontextmanager
async def receive_upload(
    request: Request, *, folder: Path, limit_mb: int
) -> AsyncIterator[ReceivedUpload]:
    """Stream the request's multipart body into ``folder`` and give what arrived; the partial
    or unclaimed file is deleted on leaving, whatever happened.

    Raises TooLarge ``upload_too_large`` (413: Content-Length or the bytes received exceed the
    cap, or the block's code refused the file as too large; audited as ``security.denied``),
    BadInput ``bad_upload`` (not multipart, no ``file``
    part, or a text part over 64 KB)."""
    limit = limit_mb * 1024 * 1024
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise BadInput("请以 multipart/form-data 上传文件", code="bad_upload")
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit + BODY_OVERHEAD:
        await _refuse(request, too_large(limit_mb))
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / f"{uuid.uuid4().hex}{PART_SUFFIX}"
    receiver = _Receiver(destination, limit)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": receiver.on_part_begin,
            "on_part_data": receiver.on_part_data,
            "on_part_end": receiver.on_part_end,
            "on_header_field": receiver.on_header_field,
            "on_header_value": receiver.on_header_value,
            "on_header_end": receiver.on_header_end,
            "on_headers_finished": receiver.on_headers_finished,
        },
    )
    try:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit + BODY_OVERHEAD:
                receiver.error = OverflowError("body too large")
            if receiver.error is None:
                try:
                    parser.write(chunk)
                except MultipartParseError as exc:
                    raise BadInput("上传内容格式不正确", code="bad_upload") from exc
            if isinstance(receiver.error, OverflowError):
                receiver.close()
                destination.unlink(missing_ok=True)
                await _refuse(request, too_large(limit_mb))
            if receiver.error is not None:
                raise BadInput("上传内容格式不正确", code="bad_upload")
        parser.finalize()
        receiver.close()
        if receiver.filename is None:
            raise BadInput("请求中没有名为 file 的文件", code="bad_upload")
        try:
            yield ReceivedUpload(destination, receiver.filename, receiver.size, receiver.fields)
        except TooLarge as exc:  # the service refused the file (archive limits): record it
            await run_in_threadpool(record_denial, request, exc)
            raise
    finally:
        receiver.close()
        destination.unlink(missing_ok=True)


async def _refuse(request: Request, error: TooLarge) -> None:
    await run_in_threadpool(record_denial, request, error)
    raise error
