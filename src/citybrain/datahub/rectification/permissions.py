"""Permission codes of rectification: a department's handler answers its orders."""

from __future__ import annotations

from citybrain.core.permissions import declare

declare("rectify", {"rectify:handle": "办理数据整改"}, granted_to={"rectify:handle": {"handler"}})
