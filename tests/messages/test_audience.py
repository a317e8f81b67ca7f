"""Who a message reaches (精准推送): regions with everything below them, grids, roles, tags and
named users, always inside the sender's region; what lies outside is refused, not dropped."""

from __future__ import annotations

import pytest
from messages_cast import COUNTY, GRID, OTHER_TOWN, OUTSIDE, TOWN, Cast
from sqlalchemy import event
from sqlalchemy.orm import Session

from citybrain.core.clock import utcnow
from citybrain.core.errors import BadInput, PermissionDenied
from citybrain.core.scope import Scope
from citybrain.iam.models import User
from citybrain.messages import audience as audiences
from citybrain.messages.audience import Audience
from citybrain.messages.models import MessageTag, MessageTagMember

COUNTY_SCOPE = Scope(region_code=COUNTY)


def _ids(session: Session, audience: Audience, scope: Scope = COUNTY_SCOPE) -> set[int]:
    resolved = audiences.resolve(session, audience, scope=scope)
    return set(session.execute(resolved.recipients).scalars())


def test_a_region_reaches_everyone_at_and_below_it(session: Session, cast: Cast) -> None:
    got = _ids(session, Audience(regions=(TOWN,)))
    assert {cast.town_worker.id, cast.grid_worker.id} <= got
    assert cast.other_town.id not in got
    assert cast.sender.id not in got
    assert cast.outsider.id not in got


def test_the_statistical_form_of_a_code_is_the_same_region(session: Session, cast: Cast) -> None:
    assert _ids(session, Audience(regions=(TOWN + "000",))) == _ids(
        session, Audience(regions=(TOWN,))
    )


def test_roles_narrow_a_region_and_alone_cover_the_senders_region(
    session: Session, cast: Cast
) -> None:
    workers_in_town = _ids(session, Audience(regions=(TOWN,), roles=("gridworker",)))
    assert workers_in_town == {cast.town_worker.id, cast.grid_worker.id}
    leaders = _ids(session, Audience(roles=("leader",)))
    assert cast.leader.id in leaders
    assert not leaders & {cast.town_worker.id, cast.other_town.id, cast.outsider.id}


def test_a_grid_reaches_its_members_and_who_works_at_it(session: Session, cast: Cast) -> None:
    got = _ids(session, Audience(grids=(GRID,)))
    assert got == {cast.member.id, cast.grid_worker.id}  # the member lives in 洪水镇


def test_a_tag_reaches_its_members(session: Session, cast: Cast) -> None:
    tag = MessageTag(name="防汛值班", region_code=COUNTY, created_by="t", created_at=utcnow())
    session.add(tag)
    session.flush()
    session.add_all(
        [MessageTagMember(tag_id=tag.id, user_id=u) for u in (cast.leader.id, cast.other_town.id)]
    )
    session.flush()
    assert _ids(session, Audience(tags=(tag.id,))) == {cast.leader.id, cast.other_town.id}
    assert _ids(session, Audience(tags=(tag.id,), roles=("leader",))) == {cast.leader.id}


def test_named_users_come_on_top_of_the_rest(session: Session, cast: Cast) -> None:
    got = _ids(
        session, Audience(users=(cast.other_town.id,), regions=(TOWN,), roles=("gridworker",))
    )
    assert got == {cast.other_town.id, cast.town_worker.id, cast.grid_worker.id}


@pytest.mark.parametrize(
    "audience",
    [
        Audience(regions=(OUTSIDE,)),
        Audience(regions=("62",)),  # the province above the sender
        Audience(grids=("620723100200001",)),
    ],
    ids=["another county", "the province above", "a grid elsewhere"],
)
def test_a_place_outside_the_senders_region_is_refused(
    session: Session, cast: Cast, audience: Audience
) -> None:
    with pytest.raises(PermissionDenied) as refused:
        audiences.resolve(session, audience, scope=COUNTY_SCOPE)
    assert refused.value.code == "audience_out_of_scope"


def test_a_user_outside_or_disabled_is_refused_alike(session: Session, cast: Cast) -> None:
    disabled = session.get(User, cast.other_town.id)
    assert disabled is not None
    disabled.is_active = False
    session.flush()
    for user_id in (cast.outsider.id, cast.other_town.id, 2**31 - 1):
        with pytest.raises(PermissionDenied) as refused:
            audiences.resolve(session, Audience(users=(user_id,)), scope=COUNTY_SCOPE)
        assert refused.value.code == "audience_out_of_scope"
        assert refused.value.detail == [user_id]


def test_a_disabled_account_in_a_region_receives_nothing(session: Session, cast: Cast) -> None:
    user = session.get(User, cast.town_worker.id)
    assert user is not None
    user.is_active = False
    session.flush()
    assert cast.town_worker.id not in _ids(session, Audience(regions=(TOWN,)))


def test_a_town_sender_cannot_reach_the_county(session: Session, cast: Cast) -> None:
    town = Scope(region_code=TOWN)
    with pytest.raises(PermissionDenied):
        audiences.resolve(session, Audience(regions=(COUNTY,)), scope=town)
    assert cast.other_town.id not in _ids(session, Audience(roles=("viewer",)), town)


def test_the_system_reaches_every_region(session: Session, cast: Cast) -> None:
    got = _ids(session, Audience(regions=(COUNTY, OUTSIDE)), Scope.system())
    assert {cast.outsider.id, cast.sender.id, cast.other_town.id} <= got


@pytest.mark.parametrize(
    ("audience", "code"),
    [
        (Audience(), "audience_empty"),
        (Audience(roles=("no_such_role",)), "role_not_found"),
        (Audience(grids=(OTHER_TOWN,)), "not_a_grid"),
        (Audience(regions=("12x",)), "bad_region_code"),
    ],
)
def test_malformed_audiences_are_refused(
    session: Session, cast: Cast, audience: Audience, code: str
) -> None:
    with pytest.raises(BadInput) as refused:
        audiences.resolve(session, audience, scope=COUNTY_SCOPE)
    assert refused.value.code == code


def test_resolving_and_counting_take_a_fixed_number_of_queries(
    session: Session, cast: Cast
) -> None:
    """Set-based: the recipients are one select, however many people it names."""
    statements: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        resolved = audiences.resolve(
            session, Audience(regions=(COUNTY,), roles=("viewer", "gridworker")), scope=COUNTY_SCOPE
        )
        total = audiences.count(session, resolved)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert total >= 4
    assert len(statements) <= 2, statements  # the roles' check, the count
