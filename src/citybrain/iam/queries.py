"""Reads of accounts, roles and API keys; every list is confined to a region subtree."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from citybrain.core.errors import BadInput, NotFound
from citybrain.core.pagination import PageParams, paginate
from citybrain.iam.models import ApiKey, Role, User, UserRole
from citybrain.iam.rules import username_key
from citybrain.iam.schemas import UserFilter
from citybrain.regions import queries as region_queries
from citybrain.regions.scope import descendant_upper_bound, ensure_within


def in_subtree(column: InstrumentedAttribute[str], code: str) -> ColumnElement[bool]:
    """``column`` lies in the subtree of canonical ``code``, as a range an index can serve."""
    bound = descendant_upper_bound(code)
    if bound is None:
        return column >= code
    return and_(column >= code, column < bound)


def search_users(session: Session, *, scope: str, flt: UserFilter) -> tuple[list[User], int]:
    """A page of users inside ``scope`` (the caller's region), optionally narrowed to a
    sub-region (``out_of_scope`` when outside), a role, a text or the active flag."""
    region = ensure_within(flt.region_code, scope) if flt.region_code else scope
    query = select(User).where(in_subtree(User.region_code, region))
    if flt.q:
        text = flt.q.strip()
        query = query.where(
            or_(
                User.username_key.contains(text.casefold(), autoescape=True),
                User.display_name.contains(text, autoescape=True),
            )
        )
    if flt.role:
        query = query.where(
            User.id.in_(
                select(UserRole.user_id)
                .join(Role, Role.id == UserRole.role_id)
                .where(Role.name == flt.role)
            )
        )
    if flt.is_active is not None:
        query = query.where(User.is_active.is_(flt.is_active))
    query = query.order_by(User.region_code, User.username_key)
    return paginate(session, query, PageParams(page=flt.page, size=flt.size))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在", code="user_not_found", detail=user_id)
    return user


def get_user_by_name(session: Session, username: str) -> User:
    """The user named ``username`` (case- and width-insensitive), or ``user_not_found``."""
    key = username_key(username)
    user = session.execute(select(User).where(User.username_key == key)).scalar_one_or_none()
    if user is None:
        raise NotFound("用户不存在", code="user_not_found", detail=username)
    return user


def list_roles(session: Session) -> list[Role]:
    return list(session.execute(select(Role).order_by(Role.builtin.desc(), Role.name)).scalars())


def search_api_keys(session: Session, *, scope: str, page: PageParams) -> tuple[list[ApiKey], int]:
    query = (
        select(ApiKey)
        .where(in_subtree(ApiKey.region_code, scope))
        .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
    )
    return paginate(session, query, page)


def get_api_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("API 密钥不存在", code="api_key_not_found", detail=key_id)
    return key


def region_name(session: Session, code: str) -> str:
    """The name of a principal's own region, for headers; the code when it is not loaded."""
    try:
        return region_queries.get(session, code).name
    except (NotFound, BadInput):
        return code
