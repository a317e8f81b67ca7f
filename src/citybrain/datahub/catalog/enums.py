"""Closed vocabularies of GB/T 21063 as stored values (English) with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


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
    """How an item is masked when shared; mirrors datahub.sharing.masking kinds."""

    none = "none"
    id_number = "id_number"
    mobile = "mobile"
    name = "name"
    address = "address"


LABELS_ZH: dict[str, str] = {
    "basic": "基础", "theme": "主题", "department": "部门",
    "public": "公开", "internal": "内部", "sensitive": "敏感", "core": "核心",
    "unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享",
    "api": "接口", "file": "文件", "table": "库表",
    "open": "无条件开放", "closed": "不予开放",
    "string": "字符型", "integer": "整数型", "decimal": "数值型", "date": "日期型",
    "datetime": "日期时间型", "boolean": "布尔型",
}  # fmt: skip
OPEN_LABELS_ZH = {"open": "无条件开放", "conditional": "有条件开放", "closed": "不予开放"}
