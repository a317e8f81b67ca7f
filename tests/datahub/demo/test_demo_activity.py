"""The demo's share requests, data needs and grid members, made by the real demo seeding
functions through the real services, in realistic states, and only once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citybrain.core.audit.models import AuditRecord
from citybrain.datahub.catalog.models import CatalogDemand
from citybrain.datahub.demo.activity import DEMANDS, SHARES, seed_demo_activity
from citybrain.datahub.demo.catalog import seed_demo_catalog
from citybrain.datahub.sharing.models import SharingGrant, SharingRequest
from citybrain.demo import create_demo_users, demo_grid_user
from citybrain.regions import service as region_service
from citybrain.regions.demo_members import DEMO_MEMBERS, seed_demo_grid_members
from citybrain.regions.models import GridMember

REGION = "620722"


def _statuses(session: Session) -> Counter[str]:
    return Counter(session.execute(select(SharingRequest.status)).scalars())


def test_share_requests_and_demands_in_every_state_once(session: Session) -> None:
    seed_demo_catalog(session, REGION)
    report = seed_demo_activity(session, REGION)
    assert report.share_requests == len(SHARES)
    assert report.demands == len(DEMANDS)
    # 有条件 approved + 无条件 at once; one pending; one rejected; 不予共享 refused by law
    assert _statuses(session) == {"approved": 2, "pending": 1, "rejected": 1, "refused": 1}
    grants = session.execute(select(SharingGrant)).scalars().all()
    assert len(grants) == 2
    assert all(g.period_end_on > g.period_start_on for g in grants)
    titles = set(session.execute(select(CatalogDemand.title)).scalars())
    assert {d[1] for d in DEMANDS} | {"低保对象参保和缴费状态"} <= titles
    actions = Counter(session.execute(select(AuditRecord.action)).scalars())
    assert actions["sharing.request.create"] == len(SHARES)
    assert actions["sharing.grant.create"] == 2

    before = (_statuses(session), len(titles))
    again = seed_demo_activity(session, REGION)
    assert (again.share_requests, again.demands) == (0, 0)
    after_titles = session.execute(select(func.count()).select_from(CatalogDemand)).scalar_one()
    assert (_statuses(session), after_titles) == before


def test_grid_members_once_with_the_demo_grid_worker(session: Session) -> None:
    region_service.create_synthetic_grids(session, county_code=REGION)
    create_demo_users(session, REGION)
    user = demo_grid_user(session)
    assert user is not None
    added = seed_demo_grid_members(session, county_code=REGION, user=user)
    assert added == len(DEMO_MEMBERS)
    members = session.execute(select(GridMember).order_by(GridMember.grid_code)).scalars().all()
    assert len({m.grid_code for m in members}) == len(DEMO_MEMBERS)
    assert members[0].user_id == user[0]
    assert all(m.phone_enc and m.phone_bidx for m in members)  # stored encrypted
    assert seed_demo_grid_members(session, county_code=REGION, user=user) == 0
    assert session.execute(select(func.count()).select_from(GridMember)).scalar_one() == len(
        members
    )
