"""Where an administrator may act: what belongs to their region or below is theirs to manage
(``managed``); what their ancestors set up they see and use (``rules.related``); the rest is
answered as absent (404), so its name is not disclosed."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from citybrain.core.context import actor_of
from citybrain.core.errors import NotFound, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.messages import rules
from citybrain.messages.models import MessageChannel, MessageTag, MessageTemplate
from citybrain.regions.scope import is_within, normalise_code

T = TypeVar("T", MessageChannel, MessageTemplate, MessageTag)


def actor(session: Session) -> str:
    return actor_of(session).actor[:128]


def own_region(scope: Scope, requested: str | None, what: str) -> str:
    region = normalise_code(requested) if requested else scope.region_code
    if not region or not (scope.unrestricted or is_within(region, scope.region_code)):
        raise PermissionDenied(
            f"不能在本级管辖范围之外建立{what}", code="region_out_of_scope", detail=region
        )
    return region


def visible(row: T | None, scope: Scope, *, what: str, code: str, ident: int) -> T:
    if row is None or not (scope.unrestricted or rules.related(scope.region_code, row.region_code)):
        raise NotFound(f"{what} {ident} 不存在", code=code, detail=ident)
    return row


def managed(row: T | None, scope: Scope, *, what: str, code: str, ident: int) -> T:
    found = visible(row, scope, what=what, code=code, ident=ident)
    if not (scope.unrestricted or is_within(found.region_code, scope.region_code)):
        raise PermissionDenied(
            f"{what}属于上级区划, 本级只能使用, 不能修改", code="region_out_of_scope", detail=ident
        )
    return found
