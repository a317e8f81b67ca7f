"""Marking what a query found in a hit's title and text. Pure: no session, no HTML.

The answer is a list of parts, each a piece of text and whether it is a hit, so the front end
renders marks without ever treating stored text as HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    hit: bool


def _pattern(marks: Sequence[str]) -> re.Pattern[str] | None:
    wanted = sorted({m for m in marks if m}, key=lambda m: (-len(m), m))
    if not wanted:
        return None
    return re.compile("|".join(re.escape(m) for m in wanted), re.IGNORECASE)


def mark(text: str, marks: Sequence[str]) -> list[Part]:
    """``text`` cut into parts at every occurrence of a mark (longest first, no overlaps)."""
    pattern = _pattern(marks)
    if pattern is None or not text:
        return [Part(text, False)] if text else []
    parts: list[Part] = []
    at = 0
    for found in pattern.finditer(text):
        if found.start() > at:
            parts.append(Part(text[at : found.start()], False))
        parts.append(Part(found.group(0), True))
        at = found.end()
    if at < len(text):
        parts.append(Part(text[at:], False))
    return parts


def snippet(text: str, marks: Sequence[str], *, width: int = 120) -> list[Part]:
    """A window of about ``width`` characters of ``text`` (whitespace collapsed) around the
    first occurrence of a mark, or its beginning when none occurs, with the marks marked."""
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) > width:
        pattern = _pattern(marks)
        found = pattern.search(flat) if pattern is not None else None
        start = max(0, found.start() - width // 4) if found is not None else 0
        start = min(start, len(flat) - width)
        window = flat[start : start + width]
        prefix = ELLIPSIS if start > 0 else ""
        suffix = ELLIPSIS if start + width < len(flat) else ""
        flat = f"{prefix}{window}{suffix}"
    return mark(flat, marks)
