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
import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from faker import Faker

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

# ISO 7064 MOD 11-2 as used by GB 11643: weight of position i (0-based, 17 digits) is
# 2^(17-i) mod 11 and the check character is "10X98765432"[sum % 11].
_GB11643_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_GB11643_CHECK = "10X98765432"


def gb11643_check_char(first17: str) -> str:
    """Check character of an 18-character resident ID number given its first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11]


def make_id_number(region: str, birth: dt.date, sequence: int) -> str:
    """18-character GB 11643 number: region (6), birth date (8), sequence (3), check."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + gb11643_check_char(first17)


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

# Commonly confused characters (homophones or near-homophones that clerks mix up when
# a name is said aloud).  Each group is symmetric: any member may replace another.
_CONFUSABLE_GROUPS = (
    "伟玮炜巍",
    "静婧晶",
    "丽莉俐",
    "芳方",
    "明铭鸣",
    "红宏洪",
    "华桦",
    "军君",
    "俊骏峻",
    "杰洁捷",
    "涛滔",
    "峰锋丰",
    "刚钢",
    "平萍",
    "磊蕾",
    "霞侠",
    "建健剑",
    "文雯",
    "兰岚",
    "梅玫",
    "娟鹃",
    "斌彬",
    "辉晖",
    "鹏朋",
    "勇永",
    "毅艺",
    "鑫欣馨",
    "宇雨羽",
    "浩昊皓",
    "晨辰琛",
    "婷亭",
    "雪学",
    "慧惠",
    "佳嘉家",
    "志智",
    "玲琳",
    "燕艳",
    "英瑛",
    "云芸",
    "颖莹",
    "秀绣",
    "珍真",
    "凤风",
    "荣蓉",
    "琴芹",
    "龙隆",
    "波博",
    "宁凝",
    "阳洋扬",
    "飞菲",
    "帆凡",
    "旭煦",
    "瑞睿",
    "东冬",
    "彬斌",
    "楠南",
    "倩茜",
    "畅昌",
    "欢焕",
    "张章",
    "王汪",
    "刘柳",
    "杨阳",
    "徐许",
    "周邹",
    "吴伍武",
    "李黎",
    "何贺",
    "郭国",
    "胡扈",
    "陈程",
    "林凌",
    "黄皇",
    "于余",
    "谢解",
    "肖萧",
)
_CONFUSABLE: dict[str, str] = {}
for _group in _CONFUSABLE_GROUPS:
    for _ch in _group:
        _CONFUSABLE[_ch] = _CONFUSABLE.get(_ch, "") + _group.replace(_ch, "")

# 张掖市 counties other than 民乐县: people born or first registered there keep that
# region code in their ID number.
_OTHER_REGIONS = ("620702", "620721", "620723", "620724", "620725")
_HOME_REGION = "620722"
_TOWNS = (
    "洪水镇", "六坝镇", "新天镇", "南古镇", "永固镇",
    "三堡镇", "南丰镇", "民联镇", "顺化镇", "丰乐镇",
)  # fmt: skip
_CN_NUMERALS = "〇一二三四五六七八九十"
_REFERENCE_DATE = dt.date(2024, 6, 30)


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


def _fallback_villages(rng: random.Random, surnames: Sequence[str]) -> list[tuple[str, str]]:
    """Invented village names per real town, used when the shared data is absent."""
    out: list[tuple[str, str]] = []
    for town in _TOWNS:
        for _ in range(15):
            out.append((town, f"{rng.choice(surnames)}{rng.choice('家庄寨湾营堡')}村"))
    return out


@dataclass
class _Person:
    pid: str
    name: str
    male: bool
    birth: dt.date
    id_number: str
    phone: str | None  # own phone, None for children
    household_phone: str
    village: tuple[str, str]
    group_no: int
    house_no: int


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


class _Pools:
    def __init__(self, seed: int) -> None:
        faker = Faker("zh_CN")
        faker.seed_instance(seed)
        person = faker.provider("faker.providers.person")
        phone = faker.provider("faker.providers.phone_number")
        if person is None or phone is None:
            raise RuntimeError("Faker zh_CN lacks the person or phone_number provider")
        last: dict[str, float] = dict(person.last_names)
        self.surnames = list(last)
        self.surname_weights = list(last.values())
        male_names: list[str] = list(person.first_names_male)
        female_names: list[str] = list(person.first_names_female)
        self.male_full = [n for n in male_names if len(n) == 2]
        self.female_full = [n for n in female_names if len(n) == 2]
        self.male_chars = sorted({c for n in male_names for c in n})
        self.female_chars = sorted({c for n in female_names for c in n})
        prefixes: list[int] = list(phone.phonenumber_prefixes)
        self.phone_prefixes = [str(p) for p in prefixes]


def _given_name(rng: random.Random, pools: _Pools, male: bool) -> str:
    chars = pools.male_chars if male else pools.female_chars
    roll = rng.random()
    if roll < 0.30:
        return rng.choice(chars)
    if roll < 0.42:
        return rng.choice(pools.male_full if male else pools.female_full)
    return rng.choice(chars) + rng.choice(chars)


def _typo(rng: random.Random, name: str, pools: _Pools) -> str:
    """Replace one character by a commonly confused one (or any given-name character)."""
    positions = [i for i, ch in enumerate(name) if ch in _CONFUSABLE]
    if positions:
        i = rng.choice(positions)
        repl = rng.choice(_CONFUSABLE[name[i]])
    else:
        i = rng.randrange(1, len(name)) if len(name) > 1 else 0
        repl = rng.choice(pools.male_chars + pools.female_chars)
        if repl == name[i]:
            repl = "文" if name[i] != "文" else "武"
    return name[:i] + repl + name[i + 1 :]


def _transpose(rng: random.Random, phone: str) -> str:
    candidates = [i for i in range(3, len(phone) - 1) if phone[i] != phone[i + 1]]
    if not candidates:
        return phone
    i = rng.choice(candidates)
    return phone[:i] + phone[i + 1] + phone[i] + phone[i + 2 :]


def _cn_number(n: int) -> str:
    if n <= 10:
        return _CN_NUMERALS[n]
    if n < 20:
        return "十" + _CN_NUMERALS[n - 10]
    tens, ones = divmod(n, 10)
    return _CN_NUMERALS[tens] + "十" + (_CN_NUMERALS[ones] if ones else "")


def _address(rng: random.Random, p: _Person, variant: bool) -> str:
    town, village = p.village
    group = f"{p.group_no}组"
    prefix = "甘肃省张掖市民乐县"
    if variant:
        roll = rng.random()
        if roll < 0.45:
            prefix = "民乐县"
        elif roll < 0.65:
            prefix = ""
        elif roll < 0.80:
            prefix = "张掖市民乐县"
        else:
            group = f"{_cn_number(p.group_no)}组"
    return f"{prefix}{town}{village}{group}{p.house_no}号"


class _PersonFactory:
    def __init__(self, rng: random.Random, pools: _Pools, villages: Sequence[tuple[str, str]]):
        self.rng = rng
        self.pools = pools
        self.villages = villages
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.count = 0

    def phone(self) -> str:
        while True:
            number = self.rng.choice(self.pools.phone_prefixes) + (
                f"{self.rng.randrange(100_000_000):08d}"
            )
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def id_number(self, birth: dt.date, male: bool) -> str:
        rng = self.rng
        region = _HOME_REGION if rng.random() < 0.85 else rng.choice(_OTHER_REGIONS)
        while True:
            seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
            number = make_id_number(region, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def person(
        self,
        *,
        surname: str,
        male: bool,
        birth: dt.date,
        household_phone: str,
        home: tuple[tuple[str, str], int, int],
        given: str | None = None,
        taken: set[str] | None = None,
    ) -> _Person:
        """A new person; ``taken`` holds full names already used in the household."""
        self.count += 1
        if given is None:
            given = _given_name(self.rng, self.pools, male)
            while taken is not None and surname + given in taken:
                given = _given_name(self.rng, self.pools, male)
        if taken is not None:
            taken.add(surname + given)
        age = (_REFERENCE_DATE - birth).days // 365
        own_phone = self.phone() if age >= 16 else None
        return _Person(
            pid=f"T{self.count:09d}",
            name=surname + given,
            male=male,
            birth=birth,
            id_number=self.id_number(birth, male),
            phone=own_phone,
            household_phone=household_phone,
            village=home[0],
            group_no=home[1],
            house_no=home[2],
        )


def _birth(rng: random.Random, age_min: int, age_max: int) -> dt.date:
    age_days = rng.randrange(age_min * 365, age_max * 365 + 365)
    return _REFERENCE_DATE - dt.timedelta(days=age_days)


def _surname(rng: random.Random, pools: _Pools) -> str:
    return rng.choices(pools.surnames, weights=pools.surname_weights)[0]


def _households(n_persons: int, rng: random.Random, factory: _PersonFactory) -> list[_Person]:
    """Households of a head, maybe a spouse, children (twins now and then), a parent."""
    pools = factory.pools
    persons: list[_Person] = []
    while len(persons) < n_persons:
        home = (rng.choice(factory.villages), rng.randint(1, 12), rng.randint(1, 150))
        head_male = rng.random() < 0.8
        head_birth = _birth(rng, 22, 80)
        head_age = (_REFERENCE_DATE - head_birth).days // 365
        surname = _surname(rng, pools)
        head_phone = factory.phone()
        taken: set[str] = set()
        members = [
            factory.person(
                surname=surname,
                male=head_male,
                birth=head_birth,
                household_phone=head_phone,
                home=home,
                taken=taken,
            )
        ]
        members[0].phone = head_phone
        if rng.random() < 0.75:
            spouse_birth = _birth(rng, max(20, head_age - 6), head_age + 4)
            members.append(
                factory.person(
                    surname=_surname(rng, pools),
                    male=not head_male,
                    birth=spouse_birth,
                    household_phone=head_phone,
                    home=home,
                    taken=taken,
                )
            )
        if head_age < 70:
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                lo = max(0, head_age - 40)
                hi = max(lo, head_age - 20)
                child_male = rng.random() < 0.52
                child_birth = _birth(rng, lo, hi)
                child = factory.person(
                    surname=surname,
                    male=child_male,
                    birth=child_birth,
                    household_phone=head_phone,
                    home=home,
                    taken=taken,
                )
                members.append(child)
                twin_given = child.name[1] + rng.choice(
                    pools.male_chars if child_male else pools.female_chars
                )
                if (
                    rng.random() < 0.01
                    and len(child.name) == 3
                    and surname + twin_given not in taken
                ):
                    # Twins: same birth date, names that share the first given character.
                    members.append(
                        factory.person(
                            surname=surname,
                            male=child_male,
                            birth=child_birth,
                            household_phone=head_phone,
                            home=home,
                            given=twin_given,
                            taken=taken,
                        )
                    )
        if head_age < 55 and rng.random() < 0.25:
            members.append(
                factory.person(
                    surname=surname,
                    male=rng.random() < 0.5,
                    birth=_birth(rng, head_age + 20, min(100, head_age + 40)),
                    household_phone=head_phone,
                    home=home,
                    taken=taken,
                )
            )
        persons.extend(members)
    return persons[:n_persons]


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
    pools = _Pools(seed)
    village_pool = list(villages) if villages else _fallback_villages(rng, pools.surnames)
    factory = _PersonFactory(rng, pools, village_pool)
    persons = _households(n_persons, rng, factory)

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
            name = _typo(rng, name, pools)
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
            phone = _transpose(rng, phone or p.household_phone)
            faults["phone_transposed"] += 1
        cols["source_record_id"].append(f"{dept.code}:{batch}:{row_counter[d_idx]}")
        cols["source"].append(dept.name)
        cols["name"].append(name)
        cols["id_number"].append(id_number)
        cols["birth_date"].append(birth)
        cols["phone"].append(phone)
        cols["address"].append(_address(rng, p, rng.random() < dept.address_variant))
        truth.append(p.pid)
    if on_progress is not None:
        on_progress(total, total)
    return SyntheticPersonData(
        columns=cols, true_person_id=truth, n_persons=len(persons), fault_counts=faults
    )


@dataclass(frozen=True)
class PairwiseScores:
    true_positive_pairs: int
    predicted_pairs: int
    true_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0


def pairwise_scores(
    con: duckdb.DuckDBPyConnection,
    *,
    assignment_table: str,
    cluster_column: str,
    truth_table: str,
) -> PairwiseScores:
    """Pairwise precision and recall of a clustering against the synthetic truth.

    A pair of records is predicted when both sit in one cluster and true when both
    belong to one true person; counted per group as k(k-1)/2, without a self-join.
    Only records present in both tables count.
    """
    rows = con.execute(
        f"""
        with j as (
            select a.{cluster_column} as cluster, t.true_person_id as person
            from {assignment_table} a join {truth_table} t using (source_record_id)
        )
        select
            (select coalesce(sum(k * (k - 1) / 2), 0) from
                (select count(*) as k from j group by cluster, person)),
            (select coalesce(sum(k * (k - 1) / 2), 0) from
                (select count(*) as k from j group by cluster)),
            (select coalesce(sum(k * (k - 1) / 2), 0) from
                (select count(*) as k from j group by person))
        """
    ).fetchall()
    tp, predicted, true = rows[0]
    return PairwiseScores(int(tp), int(predicted), int(true))
