"""Who may call the indicator routes: the principal of each permission code, and the path
parameter of an indicator's code, shared by the indicator, run and app routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from citybrain.core.scope import Scope
from citybrain.core.security import Principal, require, require_any
from citybrain.indicators.permissions import APPROVE, EDIT, READ, RUN

Reader = Annotated[Principal, Depends(require(READ))]
Editor = Annotated[Principal, Depends(require(EDIT))]
Approver = Annotated[Principal, Depends(require(APPROVE))]
Runner = Annotated[Principal, Depends(require(RUN))]
Reviewer = Annotated[Principal, Depends(require_any(EDIT, APPROVE))]
CodePath = Annotated[str, Path(min_length=2, max_length=64, description="指标代码")]


def drafts_visible(scope: Scope) -> bool:
    """Only authors and approvers see unpublished indicators; readers and API keys see the
    published ones."""
    return scope.has(EDIT) or scope.has(APPROVE)
