"""Synthetic monthly economy, budget and employment statistics by town (合成数据).

Magnitudes of a county of about 180,000 people in 张掖: GDP near 90 亿元 a year, fixed-asset
investment near 40 亿元, retail sales near 25 亿元, general budget revenue near 4 亿元 (万元 in the
files). The industrial park holds 15 % of output and 30 % of investment with 2 % of residents.
One town's budget revenue falls short of its target from the second year on (warning data).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from citybrain.datahub.demo.stats_common import Town, growth, month_label, months, rng_for, season

Row = tuple[object, ...]
YEAR_GDP, YEAR_FAI, YEAR_RETAIL, YEAR_REVENUE = 900_000.0, 400_000.0, 250_000.0, 40_000.0


def _share(town: Town, towns: Sequence[Town], park: float) -> float:
    """The town's share of an economic total when the park takes ``park`` of it."""
    residents = sum(t.weight for t in towns if not t.park) or 1.0
    parks = sum(1 for t in towns if t.park) or 1
    return park / parks if town.park else (1 - park) * town.weight / residents


def _noise(rng: random.Random, spread: float = 0.06) -> float:
    return rng.gauss(1.0, spread)


def economy_rows(towns: Sequence[Town], seed: int) -> list[Row]:
    rng = rng_for(seed, "economy")
    rows: list[Row] = []
    for index, month in enumerate(months()):
        for town in towns:
            gdp = YEAR_GDP / 12 * _share(town, towns, 0.15) * season(month) * growth(index)
            fai = YEAR_FAI / 12 * _share(town, towns, 0.30) * growth(index, 0.04)
            retail = YEAR_RETAIL / 12 * _share(town, towns, 0.03) * season(month)
            people = town.population * (1 - 0.002 * index / 12)
            rows.append((
                f"{town.code}-{month_label(month)}", town.code, month,
                round(gdp * _noise(rng), 1), round(fai * _noise(rng, 0.25), 1),
                round(retail * growth(index, 0.05) * _noise(rng), 1),
                round(people + rng.randint(-40, 40)), True,
            ))  # fmt: skip
    return rows


def budget_rows(towns: Sequence[Town], seed: int, *, short_town: int = 3) -> list[Row]:
    """``short_town``: index of the town whose revenue falls to ~80 % of target in year two."""
    rng = rng_for(seed, "budget")
    rows: list[Row] = []
    for index, month in enumerate(months()):
        for position, town in enumerate(towns):
            target = YEAR_REVENUE / 12 * _share(town, towns, 0.20) * growth(index // 12 * 12)
            ratio = 0.8 if position == short_town and index >= 12 else 1.03
            revenue = target * ratio * _noise(rng, 0.08)
            tax = revenue * rng.uniform(0.62, 0.78)
            rows.append((
                f"{town.code}-{month_label(month)}", town.code, month, round(revenue, 1),
                round(tax, 1), round(target, 1), True,
            ))  # fmt: skip
    return rows


def employment_rows(towns: Sequence[Town], seed: int) -> list[Row]:
    rng = rng_for(seed, "employment")
    rows: list[Row] = []
    for index, month in enumerate(months()):
        for town in towns:
            labor = round(town.population * 0.22 * (1 + 0.01 * index / 12))
            jobs = max(0, round(2_000 / 12 * town.weight * season(month) * _noise(rng, 0.2)))
            if town.park:
                jobs += rng.randint(5, 25)
            # around 3 %; the winter months a little higher (seasonal work ends)
            rate = 0.028 + (0.008 if month.month in (1, 2, 12) else 0) + rng.uniform(-0.004, 0.004)
            rows.append((
                f"{town.code}-{month_label(month)}", town.code, month, jobs, round(labor * rate),
                labor, True,
            ))  # fmt: skip
    return rows
