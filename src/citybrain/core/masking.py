"""Pure masking and pseudonymisation of shared data.

Invariants:
- Masking never reveals more than its rule states; when a value does not fit the rule (too
  short, unparseable address) the rule fails closed and masks more, never less.
- Masked text keeps the length of the (stripped) input, so a column keeps its width; only
  mobile numbers lose their +86 prefix and separators first. ``*`` is the mask.
- Pseudonyms are deterministic per consumer key (joins within one consumer's data still work)
  and unlinkable across consumers (different keys give unrelated pseudonyms).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final, overload

from citybrain.core.crypto import CryptoError, hmac_sm3

MASK: Final = "*"
MIN_PSEUDONYM_KEY_BYTES: Final = 16

# Two-character surnames. Keeping two characters reveals more than keeping one, so pairs whose
# first character is a common surname and whose second a common given-name character (谷梁,
# 乐正, 单于) are left out: for them the one-character rule masks more, which is the safe error.
_COMPOUND_SURNAME_TABLE: Final = (
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 澹台"
    " 端木 独孤 南宫 西门 闻人 呼延 万俟 百里 东郭 公冶 太史 申屠 赫连 第五 濮阳 淳于 司空"
    " 巫马 亓官 拓跋 左丘 梁丘 宰父 段干 闾丘 仲孙 叔孙 漆雕 壤驷 公良 公西 羊舌 微生 夹谷"
    " 东门 公羊"
)
COMPOUND_SURNAMES: Final = frozenset(_COMPOUND_SURNAME_TABLE.split())


class MaskKind(StrEnum):
    id_number = "id_number"
    mobile = "mobile"
    name = "name"
    address = "address"
    none = "none"


def _keep(value: str, head: int, tail: int) -> str:
    """``head`` first and ``tail`` last characters kept; everything masked when too short."""
    if len(value) <= head + tail:
        return MASK * len(value)
    return value[:head] + MASK * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """First 6 (region) and last 4 kept: ``620722********123X``."""
    return _keep(value.strip(), 6, 4)


_MOBILE_PREFIX = re.compile(r"^(?:\+86|0086)[\s\-]*")


def mask_mobile(value: str) -> str:
    """First 3 and last 4 digits kept; blanks, hyphens and a +86/0086 prefix are dropped."""
    digits = re.sub(r"[\s\-]", "", _MOBILE_PREFIX.sub("", value.strip()))
    return _keep(digits, 3, 4)


def mask_name(value: str) -> str:
    """Surname kept, given name masked: 张三 → 张*, 欧阳修远 → 欧阳**.

    A two-character compound surname counts only when at least one given-name character
    follows it (欧阳 alone is read as surname 欧 + given name 阳). A one-character name is
    masked entirely, since its only character may be the whole name.
    """
    name = value.strip()
    if len(name) <= 1:
        return MASK * len(name)
    surname = 2 if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:surname] + MASK * (len(name) - surname)


# One administrative unit: a name, then a province/prefecture/county suffix. Names contain no
# digits, blanks or 街. 镇 and 乡 may open a name (镇原县, 乡城县) or sit inside one that ends in
# 县 or 旗 (安乡县, 东乡族自治县), so a township such as 城关镇 never swallows the 市 of 市场路.
_ADMIN_UNIT = re.compile(
    r"[^\d\s街](?:[^\d\s街镇乡]|[镇乡](?=[^\d\s街镇乡]{0,8}?[县旗])){0,11}?"
    r"(特别行政区|自治区|自治州|自治县|自治旗|地区|林区|特区|新区|省|市|盟|县|区|旗)"
)
_PROVINCE_OR_PREFECTURE_SUFFIXES: Final = frozenset(
    {"特别行政区", "自治区", "自治州", "地区", "省", "盟"}
)
# Words ending in 区 that name places inside a county, never a county itself.
_NOT_ADMIN = re.compile(
    r"(小区|社区|园区|校区|景区|厂区|营区|片区|街区|开发区|保税区|试验区|示范区)$"
)
_TOWNSHIP = re.compile(r"[^\d\s]{1,10}?(街道|苏木|乡|镇)")
_MAX_ADMIN_UNITS: Final = 4


def _admin_prefix_end(address: str) -> int:
    """End of the leading administrative units (province, prefecture, county); 0 if none."""
    end = 0
    for _ in range(_MAX_ADMIN_UNITS):
        match = _ADMIN_UNIT.match(address, end)
        if match is None or _NOT_ADMIN.search(match.group(0)):
            break
        end = match.end()
        suffix = match.group(1)
        if suffix not in _PROVINCE_OR_PREFECTURE_SUFFIXES and suffix != "市":
            break  # a county, district or banner closes the administrative part
    return end


def mask_address(value: str) -> str:
    """Kept down to the township: ``甘肃省张掖市民乐县洪水镇********``.

    The township (乡, 镇, 街道, 苏木) must follow the county part directly; when it does not,
    only the administrative part up to the county (县, 区, 市, 旗) is kept. Known limit: a
    county-level city or district with 乡 or 镇 inside its name (湘乡市, 宁乡市) ends the kept
    part early, which masks more, not less.
    """
    address = value.strip()
    end = _admin_prefix_end(address)
    township = _TOWNSHIP.match(address, end) if end else None
    if township is not None:
        end = township.end()
    return address[:end] + MASK * (len(address) - end)


def pseudonymise(value: str, consumer_key: bytes) -> str:
    """Hex HMAC-SM3 of the UTF-8 value under the consumer's key (64 hex characters)."""
    if len(consumer_key) < MIN_PSEUDONYM_KEY_BYTES:
        raise CryptoError(
            "bad_key_length",
            f"假名化密钥至少 {MIN_PSEUDONYM_KEY_BYTES} 字节"
            f" (pseudonym key must be at least {MIN_PSEUDONYM_KEY_BYTES} bytes)",
        )
    return hmac_sm3(consumer_key, value.encode("utf-8")).hex()


_MASKERS: Final = {
    MaskKind.id_number: mask_id_number,
    MaskKind.mobile: mask_mobile,
    MaskKind.name: mask_name,
    MaskKind.address: mask_address,
}


@overload
def mask_value(kind: MaskKind | str, value: str) -> str: ...
@overload
def mask_value(kind: MaskKind | str, value: None) -> None: ...
def mask_value(kind: MaskKind | str, value: str | None) -> str | None:
    """Mask ``value`` by ``kind``; ``none`` returns it unchanged, ``None`` stays ``None``.

    An unknown kind raises ``ValueError`` rather than letting data through unmasked.
    """
    kind = MaskKind(kind)
    if value is None or kind is MaskKind.none:
        return value
    return _MASKERS[kind](value)
