"""Permission codes of regions and grids: everyone signed in to a role reads, the system
administrator maintains."""

from __future__ import annotations

from citybrain.core.permissions import declare

EVERY_ROLE = {
    "sysadmin",
    "secadmin",
    "analyst",
    "handler",
    "gridworker",
    "commander",
    "leader",
    "viewer",
    "pii_reviewer",
}

declare(
    "regions",
    {"regions:read": "查看行政区划与网格", "regions:manage": "维护行政区划与网格"},
    granted_to={"regions:read": EVERY_ROLE, "regions:manage": {"sysadmin"}},
)
