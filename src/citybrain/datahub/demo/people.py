"""The persons of the demo departments' sources, as the departments would export them.

True persons and their per-department records come from the seeded synthetic generator of
:mod:`citybrain.datahub.demo.synthetic` (households, name typos, missing ID numbers, birth
dates and phones, address variants, duplicate registrations), so one person appears in 公安,
民政, 卫健 and 人社 with the differences linkage has to see through. This module adds what the
generator does not: each department's own columns, the 养老 register's age limit, and faults
that the quality rules catch (ID numbers with a wrong check character, impossible dates).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from citybrain.datahub.demo.synthetic import (
    DepartmentProfile,
    generate_person_records,
    load_minle_villages,
)
from citybrain.datahub.quality.validators import gender_from_id

Row = dict[str, object]

# Synthetic department profiles: (code, source, coverage, name typo, ID missing, birth missing,
# phone missing, phone transposed, address variant). ``code`` is the catalog serial.
DEMO_DEPARTMENTS = (
    DepartmentProfile("GA-001", "公安 户籍", 0.97, 0.005, 0.005, 0.01, 0.20, 0.01, 0.30),
    DepartmentProfile("MZ-001", "民政 低保", 0.08, 0.03, 0.03, 0.05, 0.10, 0.03, 0.70),
    DepartmentProfile("MZ-002", "民政 养老", 0.50, 0.03, 0.03, 0.05, 0.10, 0.03, 0.70),
    DepartmentProfile("WJ-001", "卫健 签约", 0.55, 0.04, 0.04, 0.06, 0.08, 0.04, 0.70),
    DepartmentProfile("RS-001", "人社 参保", 0.60, 0.02, 0.02, 0.04, 0.30, 0.02, 0.50),
)
RECORDS_PER_PERSON = 2.8  # the coverages sum to 2.70; the rest are duplicate registrations
BAD_CHECKSUM_RATE = 0.015
BAD_DATE_RATE = 0.01
ELDERLY_BORN_BY = dt.date(1964, 6, 30)  # 60 or older on the reference date 2024-06-30
_ETHNICITIES = (("汉族", 0.90), ("回族", 0.05), ("藏族", 0.03), ("裕固族", 0.02))
_INSURANCE = ("城乡居民基本养老保险", "城镇职工基本养老保险", "城乡居民基本医疗保险")
_PACKAGES = ("基础包", "老年人服务包", "慢病管理包", "孕产妇服务包", "儿童服务包")
_DOCTOR_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何"


@dataclass
class PersonSources:
    """Rows per catalog serial (GA-001, …), keyed by the column titles of each file."""

    rows: dict[str, list[Row]] = field(default_factory=dict)
    persons: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    legal_rep_names: list[str] = field(default_factory=list)


def town_codes(data_dir: Path) -> dict[str, str]:
    """Town name → 9-digit code from the shared village list (empty when it is absent)."""
    path = data_dir / "admin_divisions" / "villages2021_minle_620722.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {r["name"]: r["code"] for r in csv.DictReader(fh) if r["level"] == "town"}


def _villages(data_dir: Path) -> list[tuple[str, str]] | None:
    path = data_dir / "admin_divisions" / "villages2021_minle_620722.csv"
    return load_minle_villages(path) if path.exists() else None


def _bad_checksum(rng: random.Random, id_number: str) -> str:
    wrong = [c for c in "0123456789X" if c != id_number[17]]
    return id_number[:17] + rng.choice(wrong)


def _town(address: str | None, towns: dict[str, str]) -> str | None:
    if not address:
        return None
    return next((code for name, code in towns.items() if name in address), None)


def generate_people(persons: int, *, seed: int, data_dir: Path) -> PersonSources:
    """The person rows of the five person resources (see the module doc)."""
    data = generate_person_records(
        persons,
        seed=seed,
        records_per_person=RECORDS_PER_PERSON,
        departments=DEMO_DEPARTMENTS,
        villages=_villages(data_dir),
    )
    rng = random.Random(seed + 1)  # noqa: S311  # synthetic data: reproducible, not secret
    towns = town_codes(data_dir)
    cols = data.columns
    truth: dict[str, tuple[str, str]] = {}  # person → (id number, birth date) from any record
    for i, person in enumerate(data.true_person_id):
        number, birth = cols["id_number"][i], cols["birth_date"][i]
        if number and birth and person not in truth:
            truth[person] = (number, birth)
    out = PersonSources(persons=data.n_persons)
    out.faults.update({k: v for k, v in data.fault_counts.items() if v})
    for i, person in enumerate(data.true_person_id):
        serial = str(cols["source_record_id"][i]).split(":")[0]
        true_id, true_birth = truth.get(person, (None, None))
        if serial == "MZ-002" and (true_birth is None or true_birth > ELDERLY_BORN_BY.isoformat()):
            continue  # the 养老 register holds the elderly only
        id_number = cols["id_number"][i]
        if id_number and rng.random() < BAD_CHECKSUM_RATE:
            id_number = _bad_checksum(rng, id_number)
            out.faults["bad_checksum"] += 1
        base = {
            "name": cols["name"][i],
            "id_number": id_number,
            "gender": ("男" if gender_from_id(true_id).value == "male" else "女")
            if true_id
            else None,
            "birth_date": cols["birth_date"][i],
            "phone": cols["phone"][i],
            "address": cols["address"][i],
            "town_code": _town(cols["address"][i], towns),
            "town_name": next((t for t in towns if t in (cols["address"][i] or "")), None),
        }
        if serial == "GA-001" and cols["name"][i]:
            out.legal_rep_names.append(str(cols["name"][i]))
        out.rows.setdefault(serial, []).append(_department_row(serial, base, rng, out.faults))
    return out


def _department_row(
    serial: str, base: dict[str, str | None], rng: random.Random, faults: Counter[str]
) -> Row:
    """One row with the columns of the department's file (titles as the catalog names them)."""
    common: Row = {"姓名": base["name"], "公民身份号码": base["id_number"]}
    day = dt.date(2024, 6, 30) - dt.timedelta(days=rng.randrange(0, 2000))
    if serial == "GA-001":
        ethnicity = rng.choices([e for e, _ in _ETHNICITIES], weights=[w for _, w in _ETHNICITIES])[
            0
        ]
        updated = dt.datetime(2024, 6, 1, 8) + dt.timedelta(minutes=rng.randrange(0, 40_000))
        return {
            **common, "性别": base["gender"], "出生日期": base["birth_date"], "民族": ethnicity,
            "户籍地址": base["address"], "联系电话": base["phone"], "所属乡镇": base["town_code"],
            "更新时间": updated.strftime("%Y-%m-%d %H:%M:%S"),
        }  # fmt: skip
    if serial == "MZ-001":
        approved: object = day
        if rng.random() < BAD_DATE_RATE:
            approved = f"{day.year}-02-30"  # typed by hand, impossible
            faults["bad_date"] += 1
        return {
            **common, "性别": base["gender"], "家庭人口数": rng.randint(1, 6),
            "月保障金额": rng.choice((320, 385, 450, 515, 560)), "批准日期": approved,
            "保障状态": rng.choices(("在保", "停保"), weights=(9, 1))[0],
            "户籍地址": base["address"], "所属乡镇": base["town_code"],
        }  # fmt: skip
    if serial == "MZ-002":
        return {
            **common, "出生日期": base["birth_date"],
            "服务类型": rng.choice(("居家养老", "社区养老", "机构养老")),
            "照护等级": rng.choice(("一级", "二级", "三级")), "联系电话": base["phone"],
            "户籍地址": base["address"], "所属乡镇": base["town_code"],
        }  # fmt: skip
    if serial == "WJ-001":
        doctor = rng.choice(_DOCTOR_SURNAMES) + rng.choice(("医生", "大夫"))
        return {
            **common, "联系电话": base["phone"], "签约医生": doctor,
            "签约团队": f"{base['town_name'] or '县'}卫生院家庭医生团队",
            "服务包": rng.choice(_PACKAGES), "签约日期": f"{day.year}/{day.month}/{day.day}",
            "到期日期": f"{day.year + 1}/{day.month}/{min(day.day, 28)}",
            "所属乡镇": base["town_code"],
        }  # fmt: skip
    return {  # RS-001, a JSON API: English item names as keys
        "name": base["name"], "id_number": base["id_number"],
        "insurance_type": rng.choice(_INSURANCE), "insured_on": day.strftime("%Y%m%d"),
        "payment_status": rng.choices(("正常", "中断"), weights=(17, 3))[0],
        "employer": None, "town_code": base["town_code"],
    }  # fmt: skip
