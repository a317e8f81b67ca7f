"""Cutting Chinese text into index terms, and a query into what to match. Pure apart from
loading jieba's dictionary once per process.

* ``jieba``: words in jieba's search mode (a long word also yields its parts, 政务服务中心 →
  政务 服务 中心 政务服务 政务服务中心), with a user dictionary of government terms shipped in
  ``data/userdict.txt`` (网格员, 占道经营, 一网统管, 12345 …). A query is cut in precise mode
  and every word must occur.
* ``bigram``: every run of Chinese characters becomes its overlapping character pairs (网格员 →
  网格 格员); a query's run must occur as a phrase of them, i.e. as a substring.

Latin letters and digits are kept as whole runs (lower-cased) in both. Terms never contain
anything but letters and digits, so the FTS5 and PostgreSQL parsers see exactly our terms.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from citybrain.search.config import Segmenter

USER_DICTIONARY = Path(__file__).resolve().parent / "data" / "userdict.txt"
_TERM = re.compile(r"[^\W_]+")
_HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
_HAN = re.compile(f"[{_HAN_CHARS}]+")
_RUN = re.compile(f"[{_HAN_CHARS}]+|[^\\W_{_HAN_CHARS}]+")
# Dropped from a query that has other words: they occur nearly everywhere and find nothing.
QUERY_STOPWORDS = frozenset(
    [
        "的",
        "了",
        "和",
        "与",
        "及",
        "在",
        "是",
        "吗",
        "呢",
        "啊",
        "把",
        "被",
        "对",
        "有",
        "我",
        "我们",
        "你",
        "请",
        "问",
    ]
)

_lock = threading.Lock()
_tokenizer: object | None = None


def _jieba() -> object:
    """jieba's tokenizer with our user dictionary, built once (about a second, then cached)."""
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba

            logging.getLogger("jieba").setLevel(logging.WARNING)
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.load_userdict(str(USER_DICTIONARY))
            _tokenizer = tokenizer
        return _tokenizer


def _words(pieces: object) -> list[str]:
    """jieba's pieces as terms: letters and digits only, lower-cased; a piece mixing scripts
    (12345热线) stands as it is (an index term) or as its runs (``split_mixed``, a query)."""
    found: list[str] = []
    for piece in pieces:  # type: ignore[attr-defined]  # jieba yields str
        found.extend(match.lower() for match in _TERM.findall(str(piece)))
    return found


def _runs(word: str) -> list[str]:
    return [run.lower() for run in _RUN.findall(word)]


def _index_words(text: str) -> list[str]:
    """Search-mode words, each followed by what a query might name inside it: the runs of a
    mixed word (12345热线 → 12345, 热线) and the dictionary words inside a long one
    (政务服务中心 → 政务服务; jieba's search mode only adds its 2- and 3-character parts)."""
    tokenizer = _jieba()
    known: dict[str, int] = tokenizer.FREQ  # type: ignore[attr-defined]
    terms: list[str] = []
    for word in _words(tokenizer.cut_for_search(text)):  # type: ignore[attr-defined]
        terms.append(word)
        runs = _runs(word)
        if len(runs) > 1:
            terms.extend(runs)
        for run in runs:
            if len(run) > 3 and _HAN.fullmatch(run):
                terms.extend(
                    run[i:j]
                    for size in range(4, len(run))
                    for i in range(len(run) - size + 1)
                    if known.get(run[i : (j := i + size)], 0) > 0
                )
    return terms


def _bigrams(text: str) -> list[str]:
    terms: list[str] = []
    for run in _RUN.findall(text):
        if _HAN.fullmatch(run):
            terms.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
        else:
            terms.append(run.lower())
    return terms


def index_terms(text: str, segmenter: Segmenter) -> list[str]:
    """The terms under which ``text`` is indexed, in order (duplicates kept for ranking)."""
    if not text.strip():
        return []
    if segmenter == Segmenter.bigram:
        return _bigrams(text)
    return _index_words(text)


def index_text(text: str, segmenter: Segmenter) -> str:
    """``text`` as stored for the full-text engine: its terms joined by spaces."""
    return " ".join(index_terms(text, segmenter))


@dataclass(frozen=True, slots=True)
class Query:
    """What a search string asks for: ``groups`` must all match; the terms of one group must
    occur next to each other (``phrase``) or anywhere (not ``phrase``). ``highlight`` is what
    to mark in a hit's title and snippet."""

    groups: tuple[tuple[str, ...], ...]
    phrase: bool
    highlight: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.groups


def parse_query(text: str, segmenter: Segmenter) -> Query:
    """Cut a user's search string. Punctuation-only input gives an empty query."""
    runs = _RUN.findall(text)
    if segmenter == Segmenter.bigram:
        groups = tuple(tuple(_bigrams(run)) for run in runs)
        marks = [run.lower() for run in runs]
        return Query(tuple(g for g in groups if g), phrase=True, highlight=_longest_first(marks))
    words: list[str] = []
    for run in runs:
        for word in _words(_jieba().cut(run)):  # type: ignore[attr-defined]
            words.extend(_runs(word))
    kept = [w for w in words if w not in QUERY_STOPWORDS] or words
    unique = tuple(dict.fromkeys(kept))
    marks = [w for w in unique if len(w) > 1 or len(unique) == 1]
    return Query(tuple((w,) for w in unique), phrase=False, highlight=_longest_first(marks))


def _longest_first(marks: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(m for m in marks if m), key=lambda m: (-len(m), m)))
