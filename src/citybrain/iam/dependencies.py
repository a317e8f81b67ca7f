"""Dependencies that load a record and confine it to the caller's region (404 / 403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from citybrain.core.errors import PermissionDenied
from citybrain.core.pagination import RowId
from citybrain.core.security import CurrentPrincipal, Principal, require
from citybrain.core.web import DbSession
from citybrain.iam import permissions, queries
from citybrain.iam.models import ApiKey, User
from citybrain.iam.resolver import SESSION_ID_STATE
from citybrain.regions.scope import ensure_within


def scoped_user(session: DbSession, principal: CurrentPrincipal, user_id: RowId) -> User:
    """The user ``user_id`` (``user_not_found``, 404) inside the caller's region
    (``out_of_scope``, 403). Routes declare their permission before this dependency, so an
    unauthorised caller learns nothing about which ids exist."""
    user = queries.get_user(session, user_id)
    ensure_within(user.region_code, principal.region_code)
    return user


def scoped_api_key(session: DbSession, principal: CurrentPrincipal, key_id: RowId) -> ApiKey:
    key = queries.get_api_key(session, key_id)
    ensure_within(key.region_code, principal.region_code)
    return key


def current_user(session: DbSession, principal: CurrentPrincipal) -> User:
    """The signed-in person (``not_a_user``, 403, for an API key)."""
    if principal.kind != "user":
        raise PermissionDenied("该操作须由用户登录后进行", code="not_a_user")
    return queries.get_user(session, principal.id)


async def current_session_id(request: Request, _: CurrentPrincipal) -> int | None:
    value = getattr(request.state, SESSION_ID_STATE, None)
    return value if isinstance(value, int) else None


ScopedUser = Annotated[User, Depends(scoped_user)]
ScopedApiKey = Annotated[ApiKey, Depends(scoped_api_key)]
CurrentUser = Annotated[User, Depends(current_user)]
CurrentSessionId = Annotated[int | None, Depends(current_session_id)]

# Guards as type aliases: ``Allowed("code")`` reads well but is not a type to mypy, so iam
# spells the same ``Depends(require(code))`` out once per code.
SelfService = Annotated[Principal, Depends(require(permissions.SELF))]
UserReader = Annotated[Principal, Depends(require("iam:user_read"))]
UserManager = Annotated[Principal, Depends(require("iam:user_manage"))]
RoleManager = Annotated[Principal, Depends(require("iam:role_manage"))]
Unlocker = Annotated[Principal, Depends(require("iam:unlock"))]
ApiKeyManager = Annotated[Principal, Depends(require("iam:apikey_manage"))]
