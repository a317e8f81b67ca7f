"""Permission codes of ingest: the bureau and the departments load their own data."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare("ingest", {"ingest:run": "数据归集"}, granted_to={"ingest:run": {"analyst", "handler"}})
