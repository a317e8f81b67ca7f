"""The audit ledger's permission codes: only the audit administrator reads and exports it."""

from __future__ import annotations

from citybrain.core.permissions import declare

AUDITADMIN = "auditadmin"

declare(
    "audit",
    {"audit:read": "查看审计日志", "audit:export": "导出审计日志"},
    granted_to={"audit:read": {AUDITADMIN}, "audit:export": {AUDITADMIN}},
)
