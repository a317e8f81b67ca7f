"""Who receives a message (精准推送): the :class:`Audience` a sender names, resolved in SQL to
the active accounts inside the sender's region.

Rule: recipients = the named ``users`` ∪ (*where* ∩ *who*), all inside the sender's region and
active. *where* is the union of ``regions`` (each with everything below it), ``grids`` (their
grid members, and accounts registered at the grid) and ``tags`` (their members); *who* is the
accounts holding any of ``roles``. A missing side does not narrow: roles alone mean those roles
in the whole region of the sender; regions alone mean everyone there. So "网格员 of 南古镇" is
``Audience(regions=("620722104",), roles=("gridworker",))``.

Every named region, grid, user and tag must lie inside the sender's region (or, for a tag, on
its line): naming one outside is refused, not silently dropped, so a sender never believes a
message reached people it did not. Reads ``iam`` and ``regions`` tables in subqueries only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.iam.models import Role, User, UserRole
from citybrain.messages import rules
from citybrain.messages.models import MessageTag, MessageTagMember
from citybrain.regions import queries as region_queries
from citybrain.regions.models import GridMember
from citybrain.regions.scope import Level, is_within, level_of, normalise_code

MAX_SELECTORS = 500


@dataclass(frozen=True, slots=True)
class Audience:
    """The people a message is for; see the module doc for how the parts combine."""

    users: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    grids: tuple[str, ...] = ()
    tags: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.users or self.roles or self.regions or self.grids or self.tags)

    def as_dict(self) -> dict[str, list[int] | list[str]]:
        return {
            "users": list(self.users),
            "roles": list(self.roles),
            "regions": list(self.regions),
            "grids": list(self.grids),
            "tags": list(self.tags),
        }


@dataclass(frozen=True, slots=True)
class Resolved:
    """The checked audience (canonical codes) and the select of its recipients' ids."""

    audience: Audience
    recipients: Select[int] = field(repr=False)


def _out_of_scope(what: str, detail: object) -> PermissionDenied:
    return PermissionDenied(
        f"接收范围超出本账号的管辖范围: {what}", code="audience_out_of_scope", detail=detail
    )


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.unrestricted:
        return true()
    return region_queries.within_scope(User.region_code, scope.region_code)


def _check_codes(codes: tuple[str, ...], scope: Scope, *, grid: bool) -> tuple[str, ...]:
    canonical = []
    for raw in codes:
        code = normalise_code(raw)
        if grid and level_of(code) is not Level.grid:
            raise BadInput(f"{code} 不是网格代码", code="not_a_grid", detail=code)
        if not scope.unrestricted and not is_within(code, scope.region_code):
            raise _out_of_scope("区划" if not grid else "网格", code)
        canonical.append(code)
    return tuple(dict.fromkeys(canonical))


def check_users(session: Session, ids: tuple[int, ...], scope: Scope) -> tuple[int, ...]:
    """``ids`` without repeats, if each is an active account inside ``scope``; else
    PermissionDenied ``audience_out_of_scope`` naming the others (unknown, disabled and outside
    get the same answer)."""
    wanted = tuple(dict.fromkeys(ids))
    if not wanted:
        return ()
    found = set(
        session.execute(
            select(User.id).where(User.id.in_(wanted), _in_scope(scope), User.is_active.is_(True))
        ).scalars()
    )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise _out_of_scope("用户不存在、已停用或不在本辖区", missing[:20])
    return wanted


def _check_roles(session: Session, names: tuple[str, ...]) -> tuple[str, ...]:
    wanted = tuple(dict.fromkeys(n.strip() for n in names if n.strip()))
    known = set(session.execute(select(Role.name).where(Role.name.in_(wanted))).scalars())
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise BadInput(f"角色不存在: {', '.join(unknown)}", code="role_not_found", detail=unknown)
    return wanted


def _check_tags(session: Session, ids: tuple[int, ...], scope: Scope) -> tuple[int, ...]:
    wanted = tuple(dict.fromkeys(ids))
    if not wanted:
        return ()
    rows = session.execute(
        select(MessageTag.id, MessageTag.region_code).where(MessageTag.id.in_(wanted))
    )
    usable = {
        tag_id
        for tag_id, region in rows
        if scope.unrestricted or rules.related(scope.region_code, region)
    }
    missing = [i for i in wanted if i not in usable]
    if missing:
        raise _out_of_scope("标签不存在或不在本辖区", missing)
    return wanted


def resolve(session: Session, audience: Audience, *, scope: Scope) -> Resolved:
    """Check every part of ``audience`` against ``scope`` and build the recipients' select.

    Raises BadInput ``audience_empty`` (nothing named), ``audience_too_large`` (more than
    :data:`MAX_SELECTORS` items in a part), ``bad_region_code`` / ``not_a_grid``,
    ``role_not_found``; PermissionDenied ``audience_out_of_scope``."""
    if audience.empty:
        raise BadInput("请选择接收人: 用户、角色、区划、网格或标签", code="audience_empty")
    parts = (audience.users, audience.roles, audience.regions, audience.grids, audience.tags)
    if any(len(part) > MAX_SELECTORS for part in parts):
        raise BadInput(f"每类接收条件最多 {MAX_SELECTORS} 项", code="audience_too_large")
    checked = Audience(
        users=check_users(session, audience.users, scope),
        roles=_check_roles(session, audience.roles),
        regions=_check_codes(audience.regions, scope, grid=False),
        grids=_check_codes(audience.grids, scope, grid=True),
        tags=_check_tags(session, audience.tags, scope),
    )
    where: list[ColumnElement[bool]] = [
        region_queries.within_scope(User.region_code, code) for code in checked.regions
    ]
    if checked.grids:
        members = select(GridMember.user_id).where(
            GridMember.grid_code.in_(checked.grids), GridMember.user_id.is_not(None)
        )
        where += [User.id.in_(members), User.region_code.in_(checked.grids)]
    if checked.tags:
        where.append(
            User.id.in_(
                select(MessageTagMember.user_id).where(MessageTagMember.tag_id.in_(checked.tags))
            )
        )
    who: ColumnElement[bool] = true()
    if checked.roles:
        holders = (
            select(UserRole.user_id)
            .join(Role, Role.id == UserRole.role_id)
            .where(Role.name.in_(checked.roles))
        )
        who = User.id.in_(holders)
    group: ColumnElement[bool] = false()
    if where or checked.roles:
        group = and_(or_(*where) if where else true(), who)
    named = User.id.in_(checked.users) if checked.users else false()
    recipients = select(User.id).where(
        User.is_active.is_(True), _in_scope(scope), or_(named, group)
    )
    return Resolved(checked, recipients)


def count(session: Session, resolved: Resolved) -> int:
    return int(
        session.execute(
            select(func.count()).select_from(resolved.recipients.subquery())
        ).scalar_one()
    )
