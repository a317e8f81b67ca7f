"""Seeded synthetic person records for 人口库 linkage tests and benchmarks.

True persons of 民乐县 (620722) live in households; three departments (公安 户籍, 民政,
卫健) each hold records of part of them, with the faults real department data has:
missing phone, birth date or ID number, one-character name typos between commonly
confused characters, transposed phone digits, addresses written with or without the
province and city prefix, and duplicate registrations inside one department.

Faker (zh_CN) only supplies pools (surnames with their weights, given-name characters,
phone prefixes); ``random.Random(seed)`` combines them, so a million records take
seconds and the same seed gives the same data.  The truth (``true_person_id``) is
returned apart from the records so linkage never sees it.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from citybrain.datahub.demo.synthetic_faults import transpose, typo
from citybrain.datahub.demo.synthetic_households import (
    PersonFactory,
    Pools,
    address,
    fallback_villages,
    gb11643_check_char,
    households,
    make_id_number,
)
from citybrain.datahub.masterdata.linkage_eval import PairwiseScores, pairwise_scores

# ruff: noqa: S608  # SQL is composed from table names chosen by the calling code only

__all__ = [
    "DEPARTMENTS",
    "DepartmentProfile",
    "PairwiseScores",
    "SyntheticPersonData",
    "gb11643_check_char",
    "generate_person_records",
    "load_minle_villages",
    "make_id_number",
    "pairwise_scores",
]


@dataclass(frozen=True)
class DepartmentProfile:
    """How one department's records of a person come out.

    ``coverage`` is the share of true persons it holds a record of; the other fields
    are per-record fault probabilities.
    """

    code: str  # resource code used in source_record_id
    name: str  # the ``source`` column
    coverage: float
    name_typo: float
    id_missing: float
    birth_missing: float
    phone_missing: float
    phone_transposed: float
    address_variant: float


DEPARTMENTS: tuple[DepartmentProfile, ...] = (
    DepartmentProfile("gaj_hj", "公安 户籍", 0.97, 0.01, 0.01, 0.01, 0.20, 0.02, 0.30),
    DepartmentProfile("mz_dbjz", "民政", 0.40, 0.04, 0.06, 0.10, 0.10, 0.04, 0.70),
    DepartmentProfile("wj_jkda", "卫健", 0.88, 0.04, 0.10, 0.06, 0.08, 0.04, 0.70),
)


# 张掖市 counties other than 民乐县: people born or first registered there keep that
# region code in their ID number.
def load_minle_villages(csv_path: Path) -> list[tuple[str, str]]:
    """(town, village) pairs from ``villages2021_minle_620722.csv`` in the shared data.

    Village names lose their 村民委员会 / 居民委员会 suffix, as people write them.
    """
    towns: dict[str, str] = {}
    villages: list[tuple[str, str]] = []
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["level"] == "town":
            towns[row["code"]] = row["name"]
    for row in rows:
        if row["level"] == "village" and row["parent_code"] in towns:
            name = row["name"]
            if name.endswith("村民委员会"):
                name = name.removesuffix("村民委员会")
                name = name if name.endswith("村") else name + "村"
            elif name.endswith("居民委员会"):
                name = name.removesuffix("居民委员会")
                name = name if name.endswith("社区") else name + "社区"
            villages.append((towns[row["parent_code"]], name))
    return villages


@dataclass
class SyntheticPersonData:
    """Column-wise records plus the truth, ready to load into DuckDB."""

    columns: dict[str, list[str | None]]
    true_person_id: list[str]
    n_persons: int
    fault_counts: dict[str, int] = field(default_factory=dict)

    @property
    def n_records(self) -> int:
        return len(self.true_person_id)

    def load_into(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        records_table: str,
        truth_table: str,
    ) -> None:
        """Create (replace) ``records_table`` and ``truth_table`` in ``con``.

        ``truth_table`` has ``source_record_id``, ``true_person_id`` and ``batch``.
        """
        cols = self.columns
        names = list(cols)
        select = ", ".join(f"unnest(${i + 1}::varchar[]) as {n}" for i, n in enumerate(names))
        con.execute(
            f"create or replace table {records_table} as select {select}",
            [cols[n] for n in names],
        )
        con.execute(
            f"""create or replace table {truth_table} as
            select unnest($1::varchar[]) as source_record_id,
                   unnest($2::varchar[]) as true_person_id""",
            [cols["source_record_id"], self.true_person_id],
        )
        con.execute(
            f"""alter table {truth_table} add column batch varchar;
            update {truth_table} set batch = split_part(source_record_id, ':', 2)"""
        )


def generate_person_records(
    n_persons: int,
    *,
    seed: int = 20240630,
    records_per_person: float = 2.5,
    departments: Sequence[DepartmentProfile] = DEPARTMENTS,
    villages: Sequence[tuple[str, str]] | None = None,
    second_batch_fraction: float = 0.0,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyntheticPersonData:
    """Records of ``n_persons`` true persons over ``departments``.

    Exactly ``round(n_persons * records_per_person)`` records come out: each
    department holds ``coverage`` of the persons (a seeded shuffle), and the rest up to
    the total are duplicate registrations inside a department.  A record goes to batch
    ``b2`` with probability ``second_batch_fraction``, else ``b1``; its
    ``source_record_id`` is ``<department code>:<batch>:<row>``.  ``on_progress``
    is called with (records done, records total) every 50,000 records and at the end.
    """
    rng = random.Random(seed)  # noqa: S311  # synthetic data: reproducible, not secret
    pools = Pools(seed)
    village_pool = list(villages) if villages else fallback_villages(rng, pools.surnames)
    factory = PersonFactory(rng, pools, village_pool)
    persons = households(n_persons, rng, factory)

    order = list(range(len(persons)))
    base: list[tuple[int, int]] = []  # (department index, person index)
    for d_idx, dept in enumerate(departments):
        rng.shuffle(order)
        base.extend((d_idx, p_idx) for p_idx in order[: round(dept.coverage * len(persons))])
    total = round(n_persons * records_per_person)
    if total < len(base):
        raise ValueError(
            f"records_per_person={records_per_person} is below the departments' coverage"
        )
    emitted = base + [rng.choice(base) for _ in range(total - len(base))]
    rng.shuffle(emitted)

    names = ("source_record_id", "source", "name", "id_number", "birth_date", "phone", "address")
    cols: dict[str, list[str | None]] = {n: [] for n in names}
    truth: list[str] = []
    faults = dict.fromkeys(
        ("name_typo", "id_missing", "birth_missing", "phone_missing", "phone_transposed"), 0
    )
    row_counter = [0] * len(departments)
    for done, (d_idx, p_idx) in enumerate(emitted):
        if on_progress is not None and done % 50_000 == 0:
            on_progress(done, total)
        dept = departments[d_idx]
        p = persons[p_idx]
        row_counter[d_idx] += 1
        batch = "b2" if rng.random() < second_batch_fraction else "b1"
        name = p.name
        if rng.random() < dept.name_typo:
            name = typo(rng, name, pools.male_chars + pools.female_chars)
            faults["name_typo"] += 1
        id_number: str | None = p.id_number
        if rng.random() < dept.id_missing:
            id_number = None
            faults["id_missing"] += 1
        birth: str | None = p.birth.isoformat()
        if rng.random() < dept.birth_missing:
            birth = None
            faults["birth_missing"] += 1
        # Children have no phone of their own; elderly often give a child's number.
        phone: str | None = p.phone if p.phone is not None else p.household_phone
        if p.phone is not None and p.birth.year < 1950 and rng.random() < 0.5:
            phone = p.household_phone
        if rng.random() < dept.phone_missing:
            phone = None
            faults["phone_missing"] += 1
        elif rng.random() < dept.phone_transposed:
            phone = transpose(rng, phone or p.household_phone)
            faults["phone_transposed"] += 1
        cols["source_record_id"].append(f"{dept.code}:{batch}:{row_counter[d_idx]}")
        cols["source"].append(dept.name)
        cols["name"].append(name)
        cols["id_number"].append(id_number)
        cols["birth_date"].append(birth)
        cols["phone"].append(phone)
        cols["address"].append(address(rng, p, rng.random() < dept.address_variant))
        truth.append(p.pid)
    if on_progress is not None:
        on_progress(total, total)
    return SyntheticPersonData(
        columns=cols, true_person_id=truth, n_persons=len(persons), fault_counts=faults
    )
