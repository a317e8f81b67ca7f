"""Region codes as pure functions: normalisation, level, ancestry and the scope rule.

The canonical code is the short hierarchical form: province 2 digits, city 4, county 6,
township 9, village 12, grid 15 (village code + a 3-digit serial). Every canonical code starts
with the codes of all its ancestors, so "A lies inside B" is ``a.startswith(b)``: the scope
check that runs on every request needs no database.

Accepted on input and normalised:

* the 12-digit statistical form with trailing zero groups (``620722000000`` → ``620722``,
  ``620722100000`` → ``620722100``, ``620700000000`` → ``6207``);
* the 6-digit GB/T 2260 form of provinces and cities (``620000`` → ``62``, ``620700`` →
  ``6207``), except for the pseudo-counties of the cities that have no counties (东莞 441900,
  中山 442000, 儋州 460400), which the national data lists as county-level rows of their own.
"""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise

from citybrain.core.errors import BadInput, PermissionDenied


class Level(StrEnum):
    """The six levels: 省, 市, 县, 乡镇/街道, 村/社区, 网格."""

    province = "province"
    city = "city"
    county = "county"
    town = "town"
    village = "village"
    grid = "grid"


LEVEL_BY_LENGTH: dict[int, Level] = {
    2: Level.province,
    4: Level.city,
    6: Level.county,
    9: Level.town,
    12: Level.village,
    15: Level.grid,
}
LENGTH_BY_LEVEL: dict[Level, int] = {level: length for length, level in LEVEL_BY_LENGTH.items()}
LEVEL_NAMES_ZH: dict[Level, str] = {
    Level.province: "省",
    Level.city: "市",
    Level.county: "县",
    Level.town: "乡镇/街道",
    Level.village: "村/社区",
    Level.grid: "网格",
}
# Cities not divided into counties; the statistical data lists each as a county-level row
# whose county group is "00". They are the only canonical codes with a zero group.
PSEUDO_COUNTIES = frozenset({"441900", "442000", "460400"})

_BOUNDS = (0, 2, 4, 6, 9, 12, 15)
_DIGITS = frozenset("0123456789")


def _bad(raw: object, reason: str) -> BadInput:
    return BadInput(
        f"区划代码格式不正确: {raw!s:.40}（{reason}）",
        code="bad_region_code",
        detail={"code": str(raw)[:40], "reason": reason},
    )


def _strip_zero_groups(code: str) -> str:
    """Drop trailing all-zero groups, but keep a pseudo-county's own code."""
    while len(code) > 2:
        previous = _BOUNDS[_BOUNDS.index(len(code)) - 1]
        if code in PSEUDO_COUNTIES or set(code[previous:]) != {"0"}:
            break
        code = code[:previous]
    return code


def normalise_code(raw: str) -> str:
    """The canonical form of ``raw`` or ``BadInput`` (code ``bad_region_code``).

    Accepts 2, 4, 6, 9, 12 or 15 ASCII digits (surrounding blanks ignored); 12- and 6-digit
    forms lose their trailing zero groups. Refuses any other length, non-digits, and a zero
    group anywhere in the canonical result (no real unit is numbered 0), except the
    pseudo-counties' ``00`` county group.
    """
    if not isinstance(raw, str):
        raise _bad(raw, "不是字符串")
    code = raw.strip()
    if not code or not set(code) <= _DIGITS:
        raise _bad(raw, "只能由数字组成")
    if len(code) not in LEVEL_BY_LENGTH:
        raise _bad(raw, "长度应为 2、4、6、9、12 或 15 位")
    if len(code) in (6, 12):
        code = _strip_zero_groups(code)
    for start, end in pairwise(_BOUNDS):
        if end > len(code):
            break
        if set(code[start:end]) == {"0"} and not (end == 6 and code[:6] in PSEUDO_COUNTIES):
            raise _bad(raw, f"第 {start + 1}–{end} 位不能全为 0")
    return code


def try_normalise(raw: str) -> str | None:
    """``normalise_code`` that answers None instead of raising."""
    try:
        return normalise_code(raw)
    except BadInput:
        return None


def level_of(code: str) -> Level:
    """The level of a code (normalised first; ``BadInput`` when malformed)."""
    return LEVEL_BY_LENGTH[len(normalise_code(code))]


def is_within(code: str, ancestor: str) -> bool:
    """True when canonical ``code`` is ``ancestor`` itself or lies below it.

    Both must already be canonical (this runs on every request, so it does not re-validate);
    an empty ``ancestor`` contains nothing, so a principal without a region sees nothing.
    """
    return bool(ancestor) and code.startswith(ancestor)


def ancestors(code: str) -> list[str]:
    """The proper ancestors of a code, from the province down (the code itself excluded)."""
    canonical = normalise_code(code)
    return [canonical[:n] for n in _BOUNDS[1:] if n < len(canonical)]


def parent_of(code: str) -> str | None:
    """The direct parent's code, or None for a province."""
    chain = ancestors(code)
    return chain[-1] if chain else None


def statistical_code(code: str) -> str:
    """The 12-digit statistical form (zero-padded) of a code above grid level."""
    canonical = normalise_code(code)
    if len(canonical) > 12:
        raise _bad(code, "网格代码没有 12 位统计形式")
    return canonical.ljust(12, "0")


def descendant_upper_bound(code: str) -> str | None:
    """The smallest digit string of the same length above every code starting with ``code``.

    ``code <= x < bound`` then selects the subtree in SQL under any collation (digits sort the
    same everywhere, unlike a ``~`` sentinel). None when ``code`` is all nines.
    """
    if set(code) == {"9"}:
        return None
    return str(int(code) + 1).zfill(len(code))


def ensure_within(code: str, scope_code: str) -> str:
    """Normalise ``code`` and refuse it (``PermissionDenied``, code ``out_of_scope``) unless it
    lies inside ``scope_code``, the caller's region. Returns the canonical code."""
    canonical = normalise_code(code)
    if not is_within(canonical, scope_code):
        raise PermissionDenied(
            "无权访问该区划的数据: 超出本账号的管辖范围",
            code="out_of_scope",
            detail={"code": canonical, "scope": scope_code},
        )
    return canonical
