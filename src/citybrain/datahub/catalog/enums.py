"""Closed vocabularies of GB/T 21063 as stored values (English) with their Chinese labels.

Stored values never change; the labels are what people see (Excel sheets, the web). ``LABELS``
gives the labels of each vocabulary separately, because a few stored values repeat across
vocabularies with different meanings (``conditional`` is 有条件共享 and 有条件开放).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class ResourceCategory(StrEnum):
    basic = "basic"  # 基础信息资源
    theme = "theme"  # 主题信息资源
    department = "department"  # 部门信息资源


class Sensitivity(StrEnum):
    public = "public"  # 公开
    internal = "internal"  # 内部
    sensitive = "sensitive"  # 敏感
    core = "core"  # 核心


class ShareType(StrEnum):
    unconditional = "unconditional"  # 无条件共享
    conditional = "conditional"  # 有条件共享
    none = "none"  # 不予共享


class ShareMethod(StrEnum):
    api = "api"  # 接口
    file = "file"  # 文件
    table = "table"  # 库表


class OpenAttribute(StrEnum):
    open = "open"  # 无条件开放
    conditional = "conditional"  # 有条件开放
    closed = "closed"  # 不予开放


class ItemType(StrEnum):
    string = "string"  # 字符型
    integer = "integer"  # 整数型
    decimal = "decimal"  # 数值型
    date = "date"  # 日期型
    datetime = "datetime"  # 日期时间型
    boolean = "boolean"  # 布尔型


class MaskKind(StrEnum):
    """How an item is masked when shared; mirrors core.masking kinds."""

    none = "none"
    id_number = "id_number"
    mobile = "mobile"
    name = "name"
    address = "address"


class UpdateCycle(StrEnum):
    """更新周期; maps onto the Dublin Core frequency vocabulary in the DCAT export."""

    realtime = "realtime"  # 实时
    daily = "daily"  # 每日
    weekly = "weekly"  # 每周
    monthly = "monthly"  # 每月
    quarterly = "quarterly"  # 每季度
    half_yearly = "half_yearly"  # 每半年
    yearly = "yearly"  # 每年
    irregular = "irregular"  # 不定期


class ResourceStatus(StrEnum):
    active = "active"  # 在用
    retired = "retired"  # 停用: kept with its versions, gone from the open APIs


class DemandStatus(StrEnum):
    open = "open"  # 待对接
    matched = "matched"  # 已对接
    closed = "closed"  # 已关闭 (no resource can meet it)


LABELS: dict[type[StrEnum], dict[str, str]] = {
    ResourceCategory: {"basic": "基础", "theme": "主题", "department": "部门"},
    Sensitivity: {"public": "公开", "internal": "内部", "sensitive": "敏感", "core": "核心"},
    ShareType: {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"},
    ShareMethod: {"api": "接口", "file": "文件", "table": "库表"},
    OpenAttribute: {"open": "无条件开放", "conditional": "有条件开放", "closed": "不予开放"},
    ItemType: {
        "string": "字符型", "integer": "整数型", "decimal": "数值型", "date": "日期型",
        "datetime": "日期时间型", "boolean": "布尔型",
    },
    MaskKind: {
        "none": "不脱敏", "id_number": "身份证号脱敏", "mobile": "手机号脱敏",
        "name": "姓名脱敏", "address": "地址脱敏",
    },
    UpdateCycle: {
        "realtime": "实时", "daily": "每日", "weekly": "每周", "monthly": "每月",
        "quarterly": "每季度", "half_yearly": "每半年", "yearly": "每年", "irregular": "不定期",
    },
    ResourceStatus: {"active": "在用", "retired": "停用"},
    DemandStatus: {"open": "待对接", "matched": "已对接", "closed": "已关闭"},
}  # fmt: skip


def label(member: StrEnum) -> str:
    """The Chinese label of a stored value."""
    return LABELS[type(member)][member.value]


E = TypeVar("E", bound=StrEnum)


def parse_label(enum: type[E], text: str) -> E | None:
    """The member whose label or stored value is ``text`` (blanks ignored), else None.

    Category labels are also accepted in their long GB/T 21063 form (基础信息资源)."""
    wanted = "".join(text.split())
    for value, zh in LABELS[enum].items():
        if wanted in (zh, value, f"{zh}信息资源", f"{zh}信息资源类"):
            return enum(value)
    return None


# Kept for callers written against the first version of this module.
LABELS_ZH: dict[str, str] = {
    "basic": "基础", "theme": "主题", "department": "部门",
    "public": "公开", "internal": "内部", "sensitive": "敏感", "core": "核心",
    "unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享",
    "api": "接口", "file": "文件", "table": "库表",
    "open": "无条件开放", "closed": "不予开放",
    "string": "字符型", "integer": "整数型", "decimal": "数值型", "date": "日期型",
    "datetime": "日期时间型", "boolean": "布尔型",
}  # fmt: skip
OPEN_LABELS_ZH = LABELS[OpenAttribute]
