"""Synthetic monthly schools and health statistics by town (合成数据): about 60 schools and
22,000 students, 200 health institutions (most of them village clinics) and 1,200 beds for the
county. Counts move slowly (a school merged, a clinic opened); outpatient visits follow the
seasons (winter flu)."""

from __future__ import annotations

from collections.abc import Sequence

from citybrain.datahub.demo.stats_common import Town, month_label, months, rng_for

Row = tuple[object, ...]


def school_rows(towns: Sequence[Town], seed: int) -> list[Row]:
    rng = rng_for(seed, "schools")
    rows: list[Row] = []
    base = {t.code: (max(1, round(60 * t.weight)), round(22_000 * t.weight)) for t in towns}
    for index, month in enumerate(months()):
        for town in towns:
            schools, students = base[town.code]
            if index >= 14 and schools > 3:
                schools -= 1  # a village school merged into the town's centre school
            # the school year starts in September: enrolment steps up then
            students = round(students * (1.02 if month.month >= 9 or month.month <= 6 else 1.0))
            students += rng.randint(-15, 15)
            teachers = round(students / rng.uniform(11.5, 13.5)) if students else 0
            rows.append((f"{town.code}-{month_label(month)}", town.code, month, schools,
                         max(0, students), teachers, True))  # fmt: skip
    return rows


def health_rows(towns: Sequence[Town], seed: int) -> list[Row]:
    rng = rng_for(seed, "health")
    rows: list[Row] = []
    for index, month in enumerate(months()):
        flu = 1.35 if month.month in (12, 1, 2) else 1.0
        for town in towns:
            institutions = max(1, round(200 * town.weight)) + (1 if index >= 10 else 0)
            beds = round(1_200 * town.weight * (1.0 + 0.03 * (index // 12)))
            doctors = max(1, round(380 * town.weight))
            visits = round(town.population * 0.45 * flu * rng.gauss(1.0, 0.07))
            rows.append((f"{town.code}-{month_label(month)}", town.code, month, institutions,
                         beds, doctors, max(0, visits), True))  # fmt: skip
    return rows
