"""True persons of the synthetic population: households, names, ID numbers, addresses.

Faker (zh_CN) supplies the pools (surnames with their weights, given-name characters, phone
prefixes); a seeded ``random.Random`` combines them. Used by
:mod:`citybrain.datahub.demo.synthetic`, which turns persons into department records.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from faker import Faker

from citybrain.datahub.demo.synthetic_faults import cn_number

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


_OTHER_REGIONS = ("620702", "620721", "620723", "620724", "620725")
_HOME_REGION = "620722"
_TOWNS = (
    "洪水镇", "六坝镇", "新天镇", "南古镇", "永固镇",
    "三堡镇", "南丰镇", "民联镇", "顺化镇", "丰乐镇",
)  # fmt: skip
REFERENCE_DATE = dt.date(2024, 6, 30)


def fallback_villages(rng: random.Random, surnames: Sequence[str]) -> list[tuple[str, str]]:
    """Invented village names per real town, used when the shared data is absent."""
    out: list[tuple[str, str]] = []
    for town in _TOWNS:
        for _ in range(15):
            out.append((town, f"{rng.choice(surnames)}{rng.choice('家庄寨湾营堡')}村"))
    return out


@dataclass
class Person:
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


class Pools:
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


def _given_name(rng: random.Random, pools: Pools, male: bool) -> str:
    chars = pools.male_chars if male else pools.female_chars
    roll = rng.random()
    if roll < 0.30:
        return rng.choice(chars)
    if roll < 0.42:
        return rng.choice(pools.male_full if male else pools.female_full)
    return rng.choice(chars) + rng.choice(chars)


def address(rng: random.Random, p: Person, variant: bool) -> str:
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
            group = f"{cn_number(p.group_no)}组"
    return f"{prefix}{town}{village}{group}{p.house_no}号"


class PersonFactory:
    def __init__(self, rng: random.Random, pools: Pools, villages: Sequence[tuple[str, str]]):
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
    ) -> Person:
        """A new person; ``taken`` holds full names already used in the household."""
        self.count += 1
        if given is None:
            given = _given_name(self.rng, self.pools, male)
            while taken is not None and surname + given in taken:
                given = _given_name(self.rng, self.pools, male)
        if taken is not None:
            taken.add(surname + given)
        age = (REFERENCE_DATE - birth).days // 365
        own_phone = self.phone() if age >= 16 else None
        return Person(
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
    return REFERENCE_DATE - dt.timedelta(days=age_days)


def _surname(rng: random.Random, pools: Pools) -> str:
    return rng.choices(pools.surnames, weights=pools.surname_weights)[0]


def households(n_persons: int, rng: random.Random, factory: PersonFactory) -> list[Person]:
    """Households of a head, maybe a spouse, children (twins now and then), a parent."""
    pools = factory.pools
    persons: list[Person] = []
    while len(persons) < n_persons:
        home = (rng.choice(factory.villages), rng.randint(1, 12), rng.randint(1, 150))
        head_male = rng.random() < 0.8
        head_birth = _birth(rng, 22, 80)
        head_age = (REFERENCE_DATE - head_birth).days // 365
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
