"""The message centre's tests: an app that may reach 127.0.0.1 (the administrator's opened
range, ``CITYBRAIN_OUTBOUND_ALLOWED_NETWORKS``), local HTTP and SMTP receivers, and a cast of
accounts in 民乐县 (620722) and one outside it (临泽县 620723)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from messages_cast import COUNTY, GRID, OTHER_TOWN, OUTSIDE, TOWN, VILLAGE, Cast, Person
from messages_receivers import HttpReceiver, SmtpReceiver, serve_http, serve_smtp
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from citybrain.core.config import Settings
from citybrain.core.db import make_session_factory
from citybrain.regions import service as region_service
from citybrain.regions.models import Region

OPENED = "127.0.0.1/32"


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"outbound_allowed_networks": OPENED})


@pytest.fixture
def client(connection: Connection, open_settings: Settings) -> Iterator[TestClient]:
    """Overrides the suite's client: the same harness, with 127.0.0.1 opened."""
    from citybrain.app import create_app

    app = create_app(open_settings, session_factory=make_session_factory(connection))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    yield from serve_http()


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    yield from serve_smtp()


@pytest.fixture
def grid(session: Session) -> str:
    session.add(Region(code=GRID, name="城东村一网格", level="grid", parent_code=VILLAGE))
    session.flush()
    return GRID


@pytest.fixture
def cast(
    session: Session,
    grid: str,
    make_user: Callable[..., object],
    sign_in: Callable[..., dict[str, str]],
) -> Cast:
    def person(role: str, region: str) -> Person:
        account = make_user(role, region)
        return Person(account.user.id, account.username, sign_in(account))  # type: ignore[attr-defined]

    people = Cast(
        sender=person("analyst", COUNTY),
        leader=person("leader", COUNTY),
        town_worker=person("gridworker", TOWN),
        grid_worker=person("gridworker", grid),
        member=person("viewer", OTHER_TOWN),
        other_town=person("viewer", OTHER_TOWN),
        outsider=person("viewer", OUTSIDE),
        admin=person("sysadmin", COUNTY),
    )
    region_service.add_grid_member(
        session, grid_code=grid, name="网格员甲", user_id=people.member.id
    )
    session.flush()
    return people
