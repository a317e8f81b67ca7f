"""Builders of the sharing test world. The world is built through the real services:
departments (iam), a resource (catalog), hub rows (the ingest pipeline from a CSV file).

Hub tables live in one DuckDB file for the whole run and are not rolled back with the test's
transaction, so every resource gets a fresh code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from citybrain.core.clock import utcnow
from citybrain.core.scope import Scope
from citybrain.datahub.sharing import ratelimit
from citybrain.datahub.sharing.rules import china_today

REAL_COUNTER = ratelimit.counter  # kept before the autouse fixture of conftest replaces it

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(first17: str) -> str:
    """A GB 11643 number with its check character."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


_HEADER = ("姓名", "公民身份号码", "联系电话", "户籍地址", "性别", "备注", "所属乡镇", "单位地址")
_ROWS = (
    ("张三丰", resident_id("62072219900101123"), "13912345678", "甘肃省张掖市民乐县洪水镇城关路1号",
     "男", "重点关注", "620722100", "甘肃省张掖市民乐县洪水镇南大街8号"),
    ("欧阳修远", resident_id("62072219851231456"), "18893101234",
     "甘肃省张掖市民乐县六坝镇六坝村三社", "男", "一般", "620722101",
     "甘肃省张掖市民乐县六坝镇政府"),
    ("李梅", resident_id("62072220000229002"), "15109367788", "甘肃省张掖市民乐县三堡镇", "女",
     "重点关注", "620722102", "甘肃省张掖市民乐县三堡镇卫生院"),
)  # fmt: skip
PEOPLE: list[dict[str, str]] = [dict(zip(_HEADER, row, strict=True)) for row in _ROWS]

ITEMS: list[dict[str, Any]] = [
    {"name": "name", "title": "姓名", "sensitivity": "sensitive", "mask": "name"},
    {"name": "id_number", "title": "公民身份号码", "sensitivity": "sensitive", "mask": "id_number"},
    {"name": "phone", "title": "联系电话", "sensitivity": "sensitive", "mask": "mobile"},
    {"name": "address", "title": "户籍地址", "sensitivity": "sensitive", "mask": "address"},
    {"name": "gender", "title": "性别", "sensitivity": "internal", "mask": "none"},
    {"name": "remark", "title": "备注", "sensitivity": "core", "mask": "none"},
    {"name": "town_code", "title": "所属乡镇", "sensitivity": "public", "mask": "none"},
    {"name": "office_address", "title": "单位地址", "sensitivity": "internal", "mask": "address"},
]


@dataclass
class World:
    code: str
    provider: str
    consumer: str
    other_consumer: str
    batch_id: int
    source_name: str
    checksum: str
    people: list[dict[str, str]] = field(default_factory=lambda: PEOPLE)

    def ask(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments of ``request_share`` for all items over the next 30 days."""
        today = china_today(utcnow())
        args: dict[str, Any] = {
            "resource_code": self.code, "requester_code": self.consumer,
            "items": [i["name"] for i in ITEMS], "purpose": "社会救助资格核查",
            "legal_basis": "《社会救助暂行办法》第五十六条", "period_start": today,
            "period_end": today + timedelta(days=30), "scope": Scope.system(),
        }  # fmt: skip
        if "actor" in overrides:  # a caller's principal stands for its scope
            overrides["scope"] = Scope.of(overrides.pop("actor"))
        args.update(overrides)
        return args


MakeWorld = Callable[..., World]


def today() -> date:
    return china_today(utcnow())
