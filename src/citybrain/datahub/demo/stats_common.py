"""Shared pieces of the demo's synthetic statistics (合成数据): the 24-month window, the towns'
weights, a seeded random source per table and the CSV a department sends.

Every table is a function of (seed, towns): the same bytes on every run, so a second demo load
sees duplicate batches and nothing changes. The window ends with the demo data's month
(2024-06, like the 低保 register) so it does not move with the calendar.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

FIRST_MONTH = date(2022, 7, 1)
MONTHS = 24
SYNTHETIC = "合成数据"
# The industrial park (4xx) has few residents and much of the county's investment and output.
PARK_SHARE = 0.02
COUNTY_POPULATION = 180_000


def months() -> list[date]:
    """First days of the window's months, oldest first."""
    out = []
    year, month = FIRST_MONTH.year, FIRST_MONTH.month
    for _ in range(MONTHS):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def rng_for(seed: int, table: str) -> random.Random:
    """A random source of its own per table, so adding a table changes no other."""
    return random.Random(f"{seed}:{table}")  # noqa: S311  # synthetic data: reproducible, not secret


@dataclass(frozen=True, slots=True)
class Town:
    code: str
    name: str
    weight: float  # share of the county's residents
    park: bool = False

    @property
    def population(self) -> int:
        return round(COUNTY_POPULATION * self.weight)


def towns_with_weights(towns: Sequence[tuple[str, str]], seed: int) -> list[Town]:
    """Towns in code order with seeded population shares adding to 1 (the park gets
    ``PARK_SHARE``)."""
    rng = rng_for(seed, "towns")
    ordered = sorted(towns)
    raw = {code: rng.uniform(0.6, 1.6) for code, _ in ordered if not code[6:].startswith("4")}
    rest = 1.0 - PARK_SHARE * (len(ordered) - len(raw))
    total = sum(raw.values()) or 1.0
    return [
        Town(code, name, raw[code] / total * rest)
        if code in raw
        else Town(code, name, PARK_SHARE, park=True)
        for code, name in ordered
    ]


def season(day: date) -> float:
    """A mild yearly cycle: busy in spring and before the Spring Festival, slow in summer."""
    return (1.0, 0.85, 1.1, 1.08, 1.05, 1.0, 0.92, 0.9, 1.0, 1.02, 1.0, 1.12)[day.month - 1]


def growth(index: int, per_year: float = 0.06) -> float:
    return float((1 + per_year) ** (index / 12))


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """UTF-8 with BOM and CRLF, as Excel saves it; None as an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return path
