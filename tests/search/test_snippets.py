"""Marking hits in titles and snippets: pure."""

from __future__ import annotations

from citybrain.search.snippets import ELLIPSIS, Part, mark, snippet


def test_marks_cut_the_text_longest_first() -> None:
    assert mark("网格员报告网格问题", ["网格", "网格员"]) == [
        Part("网格员", True), Part("报告", False), Part("网格", True), Part("问题", False),
    ]  # fmt: skip


def test_marks_ignore_case_and_keep_the_original_spelling() -> None:
    assert mark("APP 报错", ["app"]) == [Part("APP", True), Part(" 报错", False)]


def test_no_marks_leaves_the_text_whole() -> None:
    assert mark("文本", []) == [Part("文本", False)]
    assert mark("", ["x"]) == []


def test_a_snippet_is_a_window_around_the_first_hit() -> None:
    text = "甲" * 300 + "网格员" + "乙" * 300
    parts = snippet(text, ["网格员"], width=60)
    joined = "".join(p.text for p in parts)
    assert joined.startswith(ELLIPSIS)
    assert joined.endswith(ELLIPSIS)
    assert Part("网格员", True) in parts
    assert len(joined) == 60 + 2


def test_a_snippet_without_hit_starts_at_the_beginning_and_collapses_space() -> None:
    parts = snippet("第一段\n\n\t第二段" + "丙" * 200, ["无"], width=20)
    assert parts[0].text.startswith("第一段 第二段")
    assert parts[0].text.endswith(ELLIPSIS)
