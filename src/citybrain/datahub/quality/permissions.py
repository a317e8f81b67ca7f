"""Permission codes of data quality: reports are read widely, rules kept by the bureau."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare(
    "quality",
    {"quality:read": "查看数据质量", "quality:manage": "维护质量规则"},
    granted_to={
        "quality:read": {"analyst", "handler", "commander", "leader"},
        "quality:manage": {"analyst"},
    },
)
