"""Grid members (网格员) of the demo county's synthetic grids, so that the grid pages show who
looks after a grid. Added through ``service.add_grid_member`` (validated and audited); a grid
that already has members is left alone, so a second run adds nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.regions import queries, service
from citybrain.regions.models import GridMember
from citybrain.regions.scope import Level

# Invented names and numbers from the 139 0000 test range: no real person is listed.
DEMO_MEMBERS: tuple[tuple[str, str], ...] = (
    ("张桂兰", "13900000101"), ("李建军", "13900000102"), ("王秀英", "13900000103"),
    ("赵志强", "13900000104"), ("刘玉梅", "13900000105"), ("陈国华", "13900000106"),
    ("杨春燕", "13900000107"), ("马文斌", "13900000108"),
)  # fmt: skip


def seed_demo_grid_members(
    session: Session, *, county_code: str, user: tuple[int, str] | None = None
) -> int:
    """One member for each of the first grids of ``county_code`` (in code order); ``user`` =
    (id, display name) makes that iam user the member of the first grid, so the demo 网格员
    account sees its own grid. Returns how many members were added now."""
    grids = queries.descendants(session, county_code, Level.grid)[: len(DEMO_MEMBERS)]
    staffed = _staffed(session, [g.code for g in grids])
    added = 0
    for index, (grid, (name, phone)) in enumerate(zip(grids, DEMO_MEMBERS, strict=False)):
        if grid.code in staffed:
            continue
        if index == 0 and user is not None:
            service.add_grid_member(
                session, grid_code=grid.code, name=user[1], user_id=user[0], phone=phone
            )
        else:
            service.add_grid_member(session, grid_code=grid.code, name=name, phone=phone)
        added += 1
    return added


def _staffed(session: Session, codes: Sequence[str]) -> set[str]:
    return set(
        session.execute(
            select(GridMember.grid_code).where(GridMember.grid_code.in_(codes))
        ).scalars()
    )
