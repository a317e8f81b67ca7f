"""Rule sets per resource: what each rule kind means, the defaults derived from the catalog,
and how explicit rules (``quality_rule``) add to or override them. Pure: no session, no I/O.

A rule is ``(item, kind, params)``. Defaults come from the catalog item: its type (integer,
decimal, date, datetime, boolean values must parse), its length, its mask (``id_number`` → GB
11643, ``mobile`` → mobile or landline number) and, for items the catalog does not mark, its
title or name (统一社会信用代码 → GB 32100, 行政区划代码 → existing GB/T 2260 code, 联系电话 →
phone). The key item is required and unique in a batch; the version item is required. An
explicit rule with the same item and kind replaces the default; ``enabled=False`` removes it,
except the type rule, without which a value could not be stored in its typed hub column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from citybrain.core.errors import BadInput

SENSITIVE_MASKS: Final = frozenset({"id_number", "mobile"})


class RuleKind(StrEnum):
    required = "required"  # 必填
    type = "type"  # 类型 (from the catalog item type)
    length = "length"  # 长度
    resident_id = "resident_id"  # 公民身份号码 GB 11643
    uscc = "uscc"  # 统一社会信用代码 GB 32100
    phone = "phone"  # 手机或固定电话
    mobile = "mobile"  # 手机号码
    landline = "landline"  # 固定电话
    date = "date"  # 日期 (on a text item)
    region = "region"  # 行政区划代码 GB/T 2260, must exist
    pattern = "pattern"  # 正则表达式
    enum = "enum"  # 枚举值
    range = "range"  # 数值范围
    unique = "unique"  # 批次内唯一
    reference = "reference"  # 引用另一资源的主键


KIND_LABELS: Final[Mapping[RuleKind, str]] = {
    RuleKind.required: "必填",
    RuleKind.type: "数据类型",
    RuleKind.length: "长度",
    RuleKind.resident_id: "公民身份号码",
    RuleKind.uscc: "统一社会信用代码",
    RuleKind.phone: "电话号码",
    RuleKind.mobile: "手机号码",
    RuleKind.landline: "固定电话",
    RuleKind.date: "日期",
    RuleKind.region: "行政区划代码",
    RuleKind.pattern: "格式",
    RuleKind.enum: "枚举值",
    RuleKind.range: "数值范围",
    RuleKind.unique: "唯一",
    RuleKind.reference: "引用",
}

# Checks of one value run in this order; the first failure is the one reported for the field.
KIND_ORDER: Final[tuple[RuleKind, ...]] = (
    RuleKind.type,
    RuleKind.resident_id,
    RuleKind.uscc,
    RuleKind.phone,
    RuleKind.mobile,
    RuleKind.landline,
    RuleKind.date,
    RuleKind.length,
    RuleKind.pattern,
    RuleKind.enum,
    RuleKind.range,
    RuleKind.region,
    RuleKind.reference,
)
ROW_KINDS: Final = frozenset({RuleKind.required, RuleKind.unique})


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """What the rules need of a catalog item."""

    name: str
    title: str
    type: str = "string"  # catalog enums.ItemType
    length: int | None = None
    mask: str = "none"  # catalog enums.MaskKind

    @property
    def sensitive(self) -> bool:
        """Stored encrypted with a blind index in the hub."""
        return self.mask in SENSITIVE_MASKS


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """What ingest and quality need of a catalog resource."""

    code: str
    name: str
    department_code: str
    region_code: str
    items: tuple[ItemSpec, ...]
    key_item: str = ""
    version_item: str = ""
    version: int = 1

    def item(self, name: str) -> ItemSpec:
        for item in self.items:
            if item.name == name:
                return item
        raise BadInput(f"资源 {self.code} 没有信息项 {name}", code="unknown_item", detail=name)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    item: str
    kind: RuleKind
    params: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True
    origin: str = "default"  # default | explicit

    @property
    def rule_id(self) -> str:
        return f"{self.item}.{self.kind.value}"


_USCC_NAMES: Final = frozenset({"uscc", "credit_code", "social_credit_code", "tyshxydm"})
_REGION_NAMES: Final = ("region_code", "xzqh", "xzqhdm", "division_code")


def default_rules(resource: ResourceSpec) -> list[RuleSpec]:
    """The rules every batch of ``resource`` is checked with unless overridden."""
    rules: list[RuleSpec] = []
    for item in resource.items:
        if item.name in (resource.key_item, resource.version_item):
            rules.append(RuleSpec(item.name, RuleKind.required))
        if item.name == resource.key_item:
            rules.append(RuleSpec(item.name, RuleKind.unique))
        if item.type != "string":
            rules.append(RuleSpec(item.name, RuleKind.type))
        elif item.length:
            rules.append(RuleSpec(item.name, RuleKind.length, {"max": item.length}))
        kind = _kind_by_meaning(item)
        if kind is not None:
            rules.append(RuleSpec(item.name, kind))
    return rules


def _kind_by_meaning(item: ItemSpec) -> RuleKind | None:
    if item.type != "string":
        return None
    title, name = item.title, item.name.lower()
    if item.mask == "id_number" or "身份证" in title or "公民身份号码" in title:
        return RuleKind.resident_id
    if item.mask == "mobile":
        return RuleKind.phone
    if "统一社会信用代码" in title or name in _USCC_NAMES:
        return RuleKind.uscc
    if "区划代码" in title or name.endswith(_REGION_NAMES):
        return RuleKind.region
    if "手机" in title and "电话" not in title:
        return RuleKind.mobile
    if "电话" in title:
        return RuleKind.phone
    return None


def effective_rules(resource: ResourceSpec, explicit: Sequence[RuleSpec]) -> list[RuleSpec]:
    """Defaults overridden by explicit rules (same item and kind), disabled ones dropped."""
    merged: dict[tuple[str, RuleKind], RuleSpec] = {
        (r.item, r.kind): r for r in default_rules(resource)
    }
    for rule in explicit:
        if rule.kind is RuleKind.type:
            continue  # the type rule follows the catalog item type; it cannot be changed here
        merged[(rule.item, rule.kind)] = rule
    order = {name: index for index, name in enumerate(i.name for i in resource.items)}
    kept = [r for r in merged.values() if r.enabled and r.item in order]
    return sorted(kept, key=lambda r: (order[r.item], _kind_rank(r.kind)))


def _kind_rank(kind: RuleKind) -> int:
    return KIND_ORDER.index(kind) + 1 if kind in KIND_ORDER else 0


def required_items(rules: Sequence[RuleSpec]) -> list[str]:
    return [r.item for r in rules if r.kind is RuleKind.required]


def check_rule(resource: ResourceSpec, rule: RuleSpec) -> dict[str, Any]:
    """Validate an explicit rule against ``resource``; return its normalised params.

    Raises BadInput ``unknown_item``, ``bad_rule_params`` or ``rule_not_applicable``.
    """
    item = resource.item(rule.item)
    params = dict(rule.params)
    kind = rule.kind
    if kind is RuleKind.type:
        raise _bad_rule(
            rule, "数据类型规则由目录的信息项类型决定，不能单独设置", "rule_not_applicable"
        )
    if kind in (RuleKind.length,):
        return _check_length(rule, params)
    if kind is RuleKind.range:
        return _check_range(rule, params)
    if kind is RuleKind.enum:
        values = params.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise _bad_rule(rule, "枚举规则需要非空的取值列表 values")
        return {"values": values, "ignore_case": bool(params.get("ignore_case", False))}
    if kind is RuleKind.pattern:
        return _check_pattern(rule, params)
    if kind is RuleKind.reference:
        target = params.get("resource")
        if not isinstance(target, str) or not target.strip():
            raise _bad_rule(rule, "引用规则需要被引用的资源代码 resource")
        return {"resource": target.strip()}
    if (
        kind
        in (
            RuleKind.resident_id,
            RuleKind.uscc,
            RuleKind.phone,
            RuleKind.mobile,
            RuleKind.landline,
            RuleKind.date,
            RuleKind.region,
        )
        and item.type != "string"
    ):
        raise _bad_rule(rule, f"{KIND_LABELS[kind]}规则只适用于字符型信息项", "rule_not_applicable")
    return {}


def _check_length(rule: RuleSpec, params: dict[str, Any]) -> dict[str, Any]:
    low, high = params.get("min"), params.get("max")
    for value in (low, high):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise _bad_rule(rule, "长度规则的 min、max 须为非负整数")
    if low is None and high is None:
        raise _bad_rule(rule, "长度规则至少需要 min 或 max")
    return {k: v for k, v in (("min", low), ("max", high)) if v is not None}


def _check_range(rule: RuleSpec, params: dict[str, Any]) -> dict[str, Any]:
    low, high = params.get("min"), params.get("max")
    for value in (low, high):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _bad_rule(rule, "范围规则的 min、max 须为数字")
    if low is None and high is None:
        raise _bad_rule(rule, "范围规则至少需要 min 或 max")
    return {k: v for k, v in (("min", low), ("max", high)) if v is not None}


def _check_pattern(rule: RuleSpec, params: dict[str, Any]) -> dict[str, Any]:
    import re

    regex = params.get("regex")
    if not isinstance(regex, str) or not regex:
        raise _bad_rule(rule, "格式规则需要正则表达式 regex")
    try:
        re.compile(regex)
    except re.error as exc:
        raise _bad_rule(rule, f"正则表达式无效: {exc}") from exc
    return {"regex": regex}


def _bad_rule(rule: RuleSpec, message: str, code: str = "bad_rule_params") -> BadInput:
    return BadInput(f"规则 {rule.rule_id}: {message}", code=code, detail=rule.rule_id)
