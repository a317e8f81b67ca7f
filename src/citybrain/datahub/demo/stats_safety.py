"""Synthetic public-safety events and 三源治理 matters by town (合成数据), no person data.

About 150 events a month (traffic accidents most, fires peaking in the dry spring, a flood in
July 2023), and about 600 matters a month from the three sources: 诉源 (disputes headed to
court), 警源 (disputes found in police calls), 访源 (petitions). Warning data: the flood month
spikes events and arrival times; the town at ``petition_town`` has repeated petitions in the
second year.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from citybrain.datahub.demo.stats_common import Town, months, rng_for

Row = tuple[object, ...]
STAMP = "%Y-%m-%d %H:%M:%S"
# Base weights; fires weigh more in the dry spring, disasters in the flood month.
EVENT_TYPES = (("道路交通事故", 0.5), ("火灾", 0.2), ("安全生产事故", 0.12), ("自然灾害", 0.08),
               ("公共卫生事件", 0.1))  # fmt: skip
SOURCES = (("诉源", 0.3), ("警源", 0.45), ("访源", 0.25))
DISPUTES = ("邻里纠纷", "婚姻家庭纠纷", "土地承包纠纷", "劳资纠纷", "物业纠纷", "征地拆迁纠纷")
FLOOD = date(2023, 7, 1)


def _moment(rng: random.Random, month: date) -> datetime:
    return datetime(month.year, month.month, 1) + timedelta(
        days=rng.randrange(28), minutes=rng.randrange(24 * 60)
    )


def _count(rng: random.Random, mean: float) -> int:
    return max(2, round(rng.gauss(mean, mean**0.5)))  # no town-month without records


def event_rows(towns: Sequence[Town], seed: int, *, scale: float = 1.0) -> list[Row]:
    rng = rng_for(seed, "safety")
    rows: list[Row] = []
    kinds = [kind for kind, _ in EVENT_TYPES]
    for month in months():
        flood = month == FLOOD
        dry = month.month in (3, 4, 5)
        for town in towns:
            mean = 150 * scale * (0.04 if town.park else town.weight) * (1.6 if flood else 1)
            for _ in range(_count(rng, mean)):
                kind = rng.choices(
                    kinds, (0.5, 0.3 if dry else 0.2, 0.12, 0.5 if flood else 0.08, 0.1)
                )[0]
                major = rng.random() < (0.1 if flood else 0.015)
                minutes = rng.randint(8, 28) if rng.random() < 0.9 else rng.randint(31, 70)
                if flood:
                    minutes += rng.randint(10, 40)
                casualties = rng.choices((0, 1, 2, 3, 5), (0.7, 0.18, 0.07, 0.03, 0.02))[0]
                loss = round(rng.expovariate(1 / (30 if major else 2.5)), 2)
                rows.append((
                    f"AQ{month:%Y%m}{len(rows):07d}", town.code, kind,
                    "较大" if major else "一般", _moment(rng, month).strftime(STAMP), minutes,
                    rng.random() < 0.97, casualties + (3 if major else 0), loss, True,
                ))  # fmt: skip
    return rows


def matter_rows(
    towns: Sequence[Town], seed: int, *, scale: float = 1.0, petition_town: int = 5
) -> list[Row]:
    rng = rng_for(seed, "governance")
    rows: list[Row] = []
    sources = [source for source, _ in SOURCES]
    weights = [weight for _, weight in SOURCES]
    for index, month in enumerate(months()):
        for position, town in enumerate(towns):
            troubled = position == petition_town and index >= 12
            mean = 600 * scale * (0.05 if town.park else town.weight)
            for _ in range(_count(rng, mean)):
                source = rng.choices(sources, weights)[0]
                resolved = rng.random() < (0.82 if troubled else 0.94)
                on_time = resolved and rng.random() < 0.95
                litigated = source == "诉源" and not resolved and rng.random() < 0.8
                repeat = source == "访源" and rng.random() < (0.3 if troubled else 0.08)
                satisfied = (
                    None if rng.random() < 0.3 else rng.random() < (0.95 if resolved else 0.4)
                )
                rows.append((
                    f"SY{month:%Y%m}{len(rows):07d}", town.code, source, rng.choice(DISPUTES),
                    _moment(rng, month).strftime(STAMP), resolved, on_time, litigated, repeat,
                    satisfied, True,
                ))  # fmt: skip
    return rows
