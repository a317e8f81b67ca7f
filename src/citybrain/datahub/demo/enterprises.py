"""Enterprises registered in 民乐县 (市场监管 企业登记) with GB 32100 credit codes.

A unified social credit code is: registration authority (9 市场监管), organisation type (1
企业, 2 个体工商户, 3 农民专业合作社), the 6-digit region code of the registering authority,
the 9-character organisation code (GB 11714: 8 characters and a MOD 11 check), and the MOD 31
check character over the first 17. Faults: codes with a wrong check character, rows without a
code, and the same enterprise registered twice in one file.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from faker import Faker

from citybrain.datahub.quality.validators import USCC_CHARSET

Row = dict[str, object]
_USCC_VALUES = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_INDUSTRIES = (
    ("马铃薯种植", "农民专业合作社", "3"), ("中药材种植", "农民专业合作社", "3"),
    ("农机服务", "有限公司", "1"), ("商贸", "有限公司", "1"), ("建材", "有限责任公司", "1"),
    ("餐饮", "店", "2"), ("物流", "有限公司", "1"), ("文化旅游", "有限公司", "1"),
    ("牛羊养殖", "农民专业合作社", "3"), ("汽车修理", "部", "2"), ("食品加工", "有限公司", "1"),
)  # fmt: skip
BAD_CHECK_RATE = 0.02
MISSING_CODE_RATE = 0.01
DUPLICATE_RATE = 0.01


def uscc_check_char(body17: str) -> str:
    """GB 32100 check character: 31 − (Σ value × 3^i mod 31) mod 31, over the 31-char set."""
    total = sum(_USCC_VALUES[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character: 11 − (Σ value × weight mod 11); 10 → X, 11 → 0."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_uscc(rng: random.Random, org_type: str, region: str = "620722") -> str:
    body8 = "".join(rng.choice(_ORG_CHARS[:10] if i < 2 else _ORG_CHARS) for i in range(8))
    body17 = f"9{org_type}{region}{body8}{org_code_check_char(body8)}"
    return body17 + uscc_check_char(body17)


@dataclass
class EnterpriseSources:
    rows: list[Row] = field(default_factory=list)
    enterprises: int = 0
    faults: Counter[str] = field(default_factory=Counter)


def generate_enterprises(
    count: int,
    *,
    seed: int,
    legal_rep_names: Sequence[str],
    towns: Sequence[str],
) -> EnterpriseSources:
    """``count`` enterprises (plus duplicate rows), legal representatives taken from the
    county's residents so 一企一档 and 一人一档 share people."""
    rng = random.Random(seed)  # noqa: S311  # synthetic data: reproducible, not secret
    faker = Faker("zh_CN")
    faker.seed_instance(seed)
    company = faker.provider("faker.providers.company")
    prefixes: list[str] = list(company.company_prefixes) if company is not None else ["民乐"]
    out = EnterpriseSources(enterprises=count)
    used: set[str] = set()
    for _ in range(count):
        industry, suffix, org_type = rng.choice(_INDUSTRIES)
        name = f"民乐县{rng.choice(prefixes)}{industry}{suffix}"
        while name in used:
            name = f"民乐县{rng.choice(prefixes)}{rng.choice(prefixes)}{industry}{suffix}"
        used.add(name)
        valid = make_uscc(rng, org_type)
        roll = rng.random()
        code: str | None = valid
        if roll < BAD_CHECK_RATE:
            code = valid[:17] + rng.choice([c for c in USCC_CHARSET if c != valid[17]])
            out.faults["bad_uscc_checksum"] += 1
        elif roll < BAD_CHECK_RATE + MISSING_CODE_RATE:
            code = None
            out.faults["uscc_missing"] += 1
        town = rng.choice(towns) if towns else "洪水镇"
        established = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(0, 8900))
        updated = dt.datetime(2024, 6, 1, 9) + dt.timedelta(minutes=rng.randrange(0, 40_000))
        row: Row = {
            "统一社会信用代码": code,
            "企业名称": name,
            "法定代表人": rng.choice(legal_rep_names) if legal_rep_names else faker.name(),
            "注册地址": f"甘肃省张掖市民乐县{town}{faker.street_name()}{rng.randint(1, 200)}号",
            "成立日期": established.isoformat(),
            "注册资本": rng.choice((10, 50, 100, 200, 500, 1000, 3000)),
            "经营状态": rng.choices(("存续", "注销", "吊销"), weights=(18, 1, 1))[0],
            "更新时间": updated.strftime("%Y-%m-%d %H:%M:%S"),
        }
        out.rows.append(row)
        if rng.random() < DUPLICATE_RATE:
            out.rows.append(dict(row))  # exported twice: the second is a duplicate key
            out.faults["duplicate_row"] += 1
    return out
