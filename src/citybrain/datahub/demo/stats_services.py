"""Synthetic 办件 and 12345 hotline records by town (合成数据), without any person data.

About 2,000 办件 and 500 hotline tickets a month for the county (``scale`` multiplies both).
Warning data: the town at ``slow_town`` has a backlog in months 18–20 of the window (on-time
rate falls below 85 %, ratings drop); hotline response slips county-wide in the two Spring
Festival months.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from citybrain.datahub.demo.stats_common import Town, months, rng_for, season

Row = tuple[object, ...]
ITEMS = (  # (code, name, promised working days, share)
    ("GA-HJ-01", "户口迁移", 5, 0.10), ("GA-SF-02", "居民身份证换领", 20, 0.12),
    ("SB-YL-01", "城乡居民养老保险参保登记", 1, 0.12), ("YB-CB-01", "医保参保登记", 1, 0.10),
    ("SJ-QY-01", "企业设立登记", 1, 0.06), ("SJ-GT-02", "个体工商户登记", 1, 0.08),
    ("MZ-DB-01", "最低生活保障申请", 30, 0.04), ("MZ-HY-02", "婚姻登记", 1, 0.05),
    ("ZJ-SG-01", "建筑工程施工许可", 7, 0.03), ("BDC-01", "不动产登记", 5, 0.12),
    ("SW-01", "税费申报缴纳", 1, 0.10), ("NY-01", "农机购置补贴申请", 15, 0.08),
)  # fmt: skip
RATINGS = ((5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意"))
CATEGORIES = ("城乡建设", "环境保护", "劳动保障", "市场监管", "交通运输", "农业农村", "教育卫生",
              "供水供暖")  # fmt: skip
STAMP = "%Y-%m-%d %H:%M:%S"


def _moment(rng: random.Random, month: date) -> datetime:
    days = (month.replace(year=month.year + 1, month=1) if month.month == 12
            else month.replace(month=month.month + 1)) - month  # fmt: skip
    return datetime(month.year, month.month, 1, 8, 30) + timedelta(
        days=rng.randrange(days.days), minutes=rng.randrange(9 * 60)
    )


def _count(rng: random.Random, mean: float) -> int:
    return max(2, round(rng.gauss(mean, mean**0.5)))  # no town-month without records


def case_rows(
    towns: Sequence[Town], seed: int, *, scale: float = 1.0, slow_town: int = 3
) -> list[Row]:
    rng = rng_for(seed, "cases")
    weights = [share for *_, share in ITEMS]
    rows: list[Row] = []
    for index, month in enumerate(months()):
        backlog_months = index in (17, 18, 19)
        for position, town in enumerate(towns):
            slow = backlog_months and position == slow_town
            mean = 2_000 * scale * (0.05 if town.park else town.weight) * season(month)
            for _ in range(_count(rng, mean)):
                code, name, limit, _share = rng.choices(ITEMS, weights)[0]
                received = _moment(rng, month)
                channel = rng.choices(
                    ("网办", "窗口", "自助"), (0.45 + 0.01 * index / 2, 0.45, 0.1)
                )[0]
                finished_at: datetime | None = None
                hours = on_time = None
                if rng.random() < (0.93 if slow else 0.985):
                    late = rng.random() < (0.22 if slow else 0.03)
                    days = limit * (rng.uniform(1.1, 1.8) if late else rng.uniform(0.05, 0.9))
                    finished_at = received + timedelta(days=days * 1.4)  # working → calendar
                    hours = round((finished_at - received).total_seconds() / 3600, 1)
                    on_time = not late
                score = label = None
                if finished_at is not None and rng.random() < 0.7:
                    bad = 0.25 if slow else 0.02
                    score, label = rng.choices(
                        RATINGS, (0.62, 0.25, 0.13 - bad / 2, bad / 2, bad / 2)
                    )[0]
                rows.append((
                    f"BJ{received:%Y%m%d}{len(rows):07d}", town.code, code, name, channel,
                    received.strftime(STAMP),
                    finished_at.strftime(STAMP) if finished_at else None, limit, hours,
                    on_time, label, score, True,
                ))  # fmt: skip
    return rows


def hotline_rows(towns: Sequence[Town], seed: int, *, scale: float = 1.0) -> list[Row]:
    rng = rng_for(seed, "hotline")
    rows: list[Row] = []
    for index, month in enumerate(months()):
        festival = month.month in (1, 2)
        for town in towns:
            mean = 500 * scale * (0.03 if town.park else town.weight) * (1.2 if festival else 1)
            for _ in range(_count(rng, mean)):
                received = _moment(rng, month)
                slow = rng.random() < (0.25 if festival else 0.04)
                responded = received + timedelta(minutes=rng.randint(130, 600) if slow
                                                 else rng.randint(5, 110))  # fmt: skip
                closed = None
                if rng.random() < 0.96:
                    closed = responded + timedelta(hours=rng.uniform(2, 24 * 12))
                closed_on_time = None if closed is None else (closed - received).days <= 10
                satisfied = None if closed is None or rng.random() < 0.35 else rng.random() < 0.93
                rows.append((
                    f"RX{received:%Y%m%d}{len(rows):07d}", town.code, rng.choice(CATEGORIES),
                    received.strftime(STAMP), responded.strftime(STAMP),
                    closed.strftime(STAMP) if closed else None, not slow, closed_on_time,
                    satisfied, rng.random() < 0.06 + 0.002 * index, True,
                ))  # fmt: skip
    return rows
