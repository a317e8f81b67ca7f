"""The demo's department users belong to their department, so their pages are not empty."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from citybrain.core.context import set_actor
from citybrain.datahub.demo.catalog import seed_demo_catalog
from citybrain.demo import assign_demo_departments, create_demo_users
from citybrain.iam.models import User


def test_the_demo_handler_works_at_the_civil_affairs_bureau(session: Session) -> None:
    set_actor(session, actor="test", role="cli")
    seed_demo_catalog(session, "620722")
    create_demo_users(session, "620722")
    assign_demo_departments(session, "620722")
    assign_demo_departments(session, "620722")  # a second demo run changes nothing
    rows = session.execute(
        select(User.username, User.department_code).where(User.username.like("demo_%"))
    ).all()
    departments = {username: code for username, code in rows}
    assert departments["demo_handler"] == "620722-MZ"
    assert departments["demo_analyst"] is None  # the bureau sees every department
