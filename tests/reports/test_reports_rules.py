"""Pure rules of 专报: sanitising, text, file checks, who reads and changes."""

from __future__ import annotations

import io
import zipfile

import pytest

from citybrain.core.scope import Scope
from citybrain.reports import rules
from citybrain.reports.rules import FileProblem


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>正文<script>alert(1)</script></p>", "<p>正文</p>"),
        ('<p onclick="x()">点</p>', "<p>点</p>"),
        (
            '<a href="javascript:alert(1)">链接</a>',
            '<a rel="noopener noreferrer nofollow">链接</a>',
        ),
        ('<img src="http://t/x.png" onerror="x()">', ""),
        ("<iframe src='https://x'></iframe><p>留</p>", "<p>留</p>"),
        ('<p style="position:fixed">样式</p>', "<p>样式</p>"),
        ("<h2>标题</h2><ul><li>一</li></ul>", "<h2>标题</h2><ul><li>一</li></ul>"),
    ],
)
def test_the_body_keeps_formatting_only(dirty: str, clean: str) -> None:
    assert rules.sanitise_html(dirty) == clean


def test_links_keep_https_and_get_rel() -> None:
    out = rules.sanitise_html('<a href="https://www.gov.cn/">中国政府网</a>')
    assert 'href="https://www.gov.cn/"' in out
    assert "noopener" in out


def test_text_of_html_has_one_line_per_block_and_no_entities() -> None:
    html = "<h2>一、总体情况</h2><p>满意率&gt;95%&nbsp;好差评</p><ul><li>甲</li><li>乙</li></ul>"
    assert rules.html_to_text(html) == "一、总体情况\n满意率>95%\xa0好差评\n甲\n乙"


def _zip(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "problem"),
    [
        ("a.pdf", b"%PDF-1.7 ...", None),
        ("a.PDF", b"%PDF-1.7 ...", None),
        ("a.pdf", b"<html>", FileProblem.mismatch),
        ("a.docx", _zip("word/document.xml"), None),
        ("a.docx", _zip("xl/workbook.xml"), FileProblem.mismatch),
        ("a.xlsx", _zip("xl/workbook.xml"), None),
        ("a.ofd", _zip("OFD.xml"), None),
        ("a.png", b"\x89PNG\r\n\x1a\n....", None),
        ("a.jpg", b"\xff\xd8\xff\xe0", None),
        ("a.txt", "说明".encode("gb18030"), None),
        ("a.csv", b"a,b\x00", FileProblem.mismatch),
        ("a.exe", b"MZ", FileProblem.not_allowed),
        ("a.html", b"<script>", FileProblem.not_allowed),
        ("a.svg", b"<svg/>", FileProblem.not_allowed),
        ("noext", b"%PDF-", FileProblem.not_allowed),
        ("a.pdf", b"", FileProblem.empty),
    ],
)
def test_files_are_checked_by_extension_and_content(
    name: str, data: bytes, problem: FileProblem | None
) -> None:
    assert rules.check_file(name, data)[1] == problem


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\报告.pdf", "报告.pdf"),
        ("a\x00b\n.pdf", "ab.pdf"),
        ("  ..  ", "附件"),
        ("长" * 300 + ".pdf", "长" * 196 + ".pdf"),  # 200 characters in all
    ],
)
def test_filenames_lose_folders_and_control_characters(raw: str, clean: str) -> None:
    assert rules.clean_filename(raw) == clean


def _scope(region: str, *codes: str, department: str | None = None) -> Scope:
    return Scope(
        region_code=region, department_code=department, all_departments=department is None,
        permissions=frozenset(codes),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("scope", "status", "department", "readable"),
    [
        (_scope("620722", "reports:read"), "published", "620722-MZ", True),
        (_scope("620722", "reports:read"), "draft", "620722-MZ", False),
        (_scope("620722", "reports:write", department="620722-MZ"), "draft", "620722-MZ", True),
        (_scope("620722", "reports:write", department="620722-GA"), "draft", "620722-MZ", False),
        (_scope("620722", "reports:write", department="620722-GA"), "draft", None, False),
        (_scope("620722", "reports:write"), "draft", "620722-MZ", True),  # the bureau
        (_scope("620722", "reports:read", department="620722-GA"), "published", "620722-MZ", True),
        (_scope("510903", "reports:read"), "published", "620722-MZ", False),
        (_scope("620722100", "reports:read"), "published", None, False),  # county report
        (_scope("", "reports:read"), "published", None, False),
        (_scope("620722"), "published", None, False),  # no reports code
    ],
)
def test_who_reads_a_report(
    scope: Scope, status: str, department: str | None, readable: bool
) -> None:
    assert (
        rules.may_read(scope, status=status, region_code="620722", department_code=department)
        is readable
    )
