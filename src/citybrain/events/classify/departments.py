"""Which department handled a message, read from the official reply by pattern.

Replies name the handling body in many spellings (``A3区住建局``, ``区住房和城乡建设局``,
``市房屋交易管理中心``, ``我局星沙所组织警力``); a county's routing table names kinds of
department, not one city's offices. So each spelling maps to a canonical department kind
(``DEPARTMENT_ALIASES``), a reply's label is the kind it names most often (ties: the first
named), and a reply that names none gives no label. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections import Counter

# canonical kind → spellings (regular expressions) seen in replies
DEPARTMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "教育局": (r"教育局", r"教育体育局", r"教体局", r"普教股", r"教育事业"),
    "公安局": (r"公安", r"派出所", r"警力", r"民警", r"交警", r"交通警察", r"治安"),
    "住房和城乡建设局": (
        r"住房和城乡建设", r"住建", r"城乡建设局", r"城建局", r"房屋交易", r"房产局",
        r"房地产管理局", r"物管办", r"物业管理科",
    ),
    "人力资源和社会保障局": (
        r"人社", r"人力资源和社会保障", r"劳动保障", r"劳动和社会保障", r"社会劳动保险",
        r"社保", r"就业服务", r"劳动监察", r"失业保险",
    ),
    "卫生健康委员会": (r"卫生", r"卫计", r"卫健", r"计生", r"医院", r"疾控"),
    "医疗保障局": (r"医保", r"医疗保障"),
    "交通运输局": (r"交通运输", r"交通局", r"公路管理", r"运管", r"公交", r"客运"),
    "城市管理和综合执法局": (r"城管", r"城市管理", r"行政执法", r"综合执法", r"环卫", r"市容"),
    "生态环境局": (r"环保", r"环境保护", r"生态环境", r"环境监察"),
    "自然资源和规划局": (r"国土", r"自然资源", r"规划局", r"规划分局", r"不动产登记"),
    "市场监督管理局": (r"市场监督", r"市场监管", r"工商", r"质监", r"食药监", r"食品药品"),
    "民政局": (r"民政", r"低保", r"救助站", r"养老服务"),
    "农业农村局": (r"农业农村", r"农业局", r"农委", r"农机", r"畜牧", r"扶贫办"),
    "水利局": (r"水利", r"水务", r"自来水", r"供水", r"排水"),
    "供电公司": (r"供电", r"电力", r"国网"),
    "发展和改革委员会": (r"发改", r"发展和改革", r"物价"),
    "财政局": (r"财政",),
    "商务局": (r"商务局", r"商粮局", r"商务和粮食"),
    "文化旅游局": (r"文旅", r"文化旅游", r"旅游局", r"文广", r"文化局", r"体育局"),
    "林业局": (r"林业",),
    "应急管理局": (r"应急管理", r"安监", r"安全生产监督"),
    "街道/乡镇": (
        r"街道", r"[^\s，。、]{1,6}镇(?:政府|人民政府|党委)?", r"乡政府", r"我镇", r"我乡",
    ),
}  # fmt: skip
_PATTERNS = [
    (kind, re.compile("|".join(f"(?:{a})" for a in aliases)))
    for kind, aliases in DEPARTMENT_ALIASES.items()
]
_SPACE = re.compile(r"\s+")


def department_of_reply(reply: str) -> str | None:
    """The department kind a reply names most often (ties: the first named), or None."""
    text = _SPACE.sub("", reply)
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            counts[kind] += 1
            first.setdefault(kind, match.start())
    if not counts:
        return None
    return min(counts, key=lambda kind: (-counts[kind], first[kind]))
