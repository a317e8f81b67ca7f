"""Pure rules of 专报: who sees and changes a report, the HTML a body may hold, its text, and
which files may be attached. No session, no I/O."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from pathlib import PurePosixPath, PureWindowsPath

import nh3

from citybrain.core.scope import Scope
from citybrain.regions import scope as regions_scope
from citybrain.reports.permissions import PUBLISH, READ, WRITE


class ReportStatus(StrEnum):
    draft = "draft"  # 草稿: its writers and publishers only
    published = "published"  # 已发布: every reader of its region and below


# --- who -----------------------------------------------------------------------------------


def canonical(code: str) -> str:
    text = code.strip()
    return regions_scope.try_normalise(text) or text


def covers_region(scope: Scope, region_code: str) -> bool:
    """The report's region is the caller's or below it (canonical codes)."""
    if scope.unrestricted:
        return True
    mine = canonical(scope.region_code) if scope.region_code.strip() else ""
    return bool(mine) and canonical(region_code).startswith(mine)


def may_read(scope: Scope, *, status: str, region_code: str, department_code: str | None) -> bool:
    """A published report: any holder of a reports code in its region or above. A draft: a
    writer or publisher who also covers its department."""
    if not covers_region(scope, region_code):
        return False
    if status == ReportStatus.published:
        return scope.has(READ) or scope.has(WRITE) or scope.has(PUBLISH)
    return (scope.has(WRITE) or scope.has(PUBLISH)) and scope.covers_department(department_code)


def may_change(scope: Scope, *, code: str, region_code: str, department_code: str | None) -> bool:
    """Holds ``code`` (write or publish) and covers the report's region and department."""
    return (
        scope.has(code)
        and covers_region(scope, region_code)
        and scope.covers_department(department_code)
    )


# --- body ----------------------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "div", "span", "strong", "b", "em", "i", "u", "s", "sub", "sup",
        "h1", "h2", "h3", "h4", "ul", "ol", "li", "blockquote", "pre", "code",
        "table", "thead", "tbody", "tr", "th", "td", "caption", "a",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
BLOCK_TAGS = frozenset(
    {"p", "br", "hr", "div", "h1", "h2", "h3", "h4", "li", "blockquote", "pre", "tr", "table"}
)


def sanitise_html(html: str) -> str:
    """The body with only formatting kept: no scripts, styles, event handlers, images or
    frames; links only to http(s) and mailto, opened without referrer (nh3, i.e. ammonia)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_BLANK_LINES = re.compile(r"[ \t]*\n[\s]*")


def html_to_text(html: str) -> str:
    """The text of (sanitised) HTML, one line per block."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return _BLANK_LINES.sub("\n", "".join(parser.parts)).strip()


# --- attachments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileKind:
    content_type: str
    magic: bytes = b""
    zip_member: str = ""  # an Office Open XML / OFD package must hold this entry
    text: bool = False


FILE_KINDS: dict[str, FileKind] = {
    ".pdf": FileKind("application/pdf", magic=b"%PDF-"),
    ".png": FileKind("image/png", magic=b"\x89PNG\r\n\x1a\n"),
    ".jpg": FileKind("image/jpeg", magic=b"\xff\xd8\xff"),
    ".jpeg": FileKind("image/jpeg", magic=b"\xff\xd8\xff"),
    ".docx": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        magic=b"PK\x03\x04", zip_member="word/document.xml",
    ),
    ".xlsx": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        magic=b"PK\x03\x04", zip_member="xl/workbook.xml",
    ),
    ".pptx": FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        magic=b"PK\x03\x04", zip_member="ppt/presentation.xml",
    ),
    ".ofd": FileKind("application/ofd", magic=b"PK\x03\x04", zip_member="OFD.xml"),
    ".txt": FileKind("text/plain", text=True),
    ".csv": FileKind("text/csv", text=True),
}  # fmt: skip


class FileProblem(StrEnum):
    not_allowed = "attachment_type_not_allowed"
    mismatch = "attachment_type_mismatch"
    empty = "attachment_empty"


def clean_filename(raw: str) -> str:
    """What the uploader called the file, without folders, control characters or surrounding
    dots and spaces, at most 200 characters (the extension kept); never empty."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "附件"


def extension_of(filename: str) -> str:
    return PurePosixPath(filename.lower()).suffix


def check_file(filename: str, data: bytes) -> tuple[FileKind | None, FileProblem | None]:
    """The kind of an upload by its extension, confirmed by its content."""
    kind = FILE_KINDS.get(extension_of(filename))
    if kind is None:
        return None, FileProblem.not_allowed
    if not data:
        return kind, FileProblem.empty
    if kind.magic and not data.startswith(kind.magic):
        return kind, FileProblem.mismatch
    if kind.zip_member and not _zip_holds(data, kind.zip_member):
        return kind, FileProblem.mismatch
    if kind.text and not _is_text(data):
        return kind, FileProblem.mismatch
    return kind, None


def _zip_holds(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False
