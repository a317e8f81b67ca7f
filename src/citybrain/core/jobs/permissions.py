"""Permission code of the job system: who may read the runs (queued, started, finished, 漏跑)."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare(
    "jobs",
    {"jobs:read": "查看后台任务运行记录"},
    granted_to={"jobs:read": {"sysadmin", "analyst"}},
)
