"""Faults a clerk makes in person records: confusable name characters, transposed phone
digits, group numbers written in Chinese numerals. Pure functions over a seeded ``Random``."""

from __future__ import annotations

import random
from collections.abc import Sequence

__all__ = ["CONFUSABLE", "cn_number", "transpose", "typo"]

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
CONFUSABLE: dict[str, str] = {}
for _group in _CONFUSABLE_GROUPS:
    for _ch in _group:
        CONFUSABLE[_ch] = CONFUSABLE.get(_ch, "") + _group.replace(_ch, "")

_CN_NUMERALS = "〇一二三四五六七八九十"


def typo(rng: random.Random, name: str, fallback: Sequence[str]) -> str:
    """Replace one character by a commonly confused one (or any given-name character)."""
    positions = [i for i, ch in enumerate(name) if ch in CONFUSABLE]
    if positions:
        i = rng.choice(positions)
        repl = rng.choice(CONFUSABLE[name[i]])
    else:
        i = rng.randrange(1, len(name)) if len(name) > 1 else 0
        repl = rng.choice(fallback)
        if repl == name[i]:
            repl = "文" if name[i] != "文" else "武"
    return name[:i] + repl + name[i + 1 :]


def transpose(rng: random.Random, phone: str) -> str:
    candidates = [i for i in range(3, len(phone) - 1) if phone[i] != phone[i + 1]]
    if not candidates:
        return phone
    i = rng.choice(candidates)
    return phone[:i] + phone[i + 1] + phone[i] + phone[i + 2 :]


def cn_number(n: int) -> str:
    if n <= 10:
        return _CN_NUMERALS[n]
    if n < 20:
        return "十" + _CN_NUMERALS[n - 10]
    tens, ones = divmod(n, 10)
    return _CN_NUMERALS[tens] + "十" + (_CN_NUMERALS[ones] if ones else "")
