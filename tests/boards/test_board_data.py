"""A board's data: the published indicators of the 板块 of the board's name, for one region —
latest value and colour, a trend, the children ranked — scoped like the values API, answered
with an ETag (304 when unchanged), and the same for a screen key of that region."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from citybrain.boards import data, service
from citybrain.boards.schemas import ScreenCreate
from citybrain.core.errors import DomainError
from citybrain.core.scope import Scope
from citybrain.indicators import queries
from citybrain.indicators import service as indicator_service
from citybrain.indicators.schemas import BoardCreate, SetCreate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))

from indicator_fixtures import COUNTY, World, author, build_world, create, publish, run

BOARD = "economy-society"


def _reader(region: str = COUNTY) -> Scope:
    return Scope(region_code=region, all_departments=True, actor="viewer",
                 permissions=frozenset({"indicators:read", "boards:view"}))  # fmt: skip


@pytest.fixture
def world(session: Session, settings: object, tmp_path: Path) -> World:
    built = build_world(session, settings, tmp_path)  # type: ignore[arg-type]
    indicator_service.create_board(
        session, spec=BoardCreate(code="b_jjsh_t", name="经济和社会发展"), scope=author()
    )
    indicator_service.create_set(
        session, spec=SetCreate(code="s_jjsh_t", board_code="b_jjsh_t", name="社会保障"),
        scope=author(),
    )  # fmt: skip
    create(session, built, "t_board_count", set_code="s_jjsh_t", name="签约件数")
    create(session, built, "t_elsewhere")  # on another 板块: not on this board
    for code in ("t_board_count", "t_elsewhere"):
        publish(session, code)
    run(session, built, ["t_board_count", "t_elsewhere"], "2024-01", "2024-03")
    data.clear_cache()
    return built


def test_the_board_shows_its_indicators_for_the_region(session: Session, world: World) -> None:
    answer = data.board_data(session, code=BOARD, region=None, scope=_reader())
    assert answer.data.region_name == "民乐县"
    assert [t.code for t in answer.data.tiles] == ["t_board_count"]
    tile = answer.data.tiles[0]
    values = queries.values(
        session, "t_board_count", scope=_reader(), region=COUNTY, first=None, last=None
    )
    county = [v for v in values.items if v.region_code == COUNTY]
    assert tile.period == county[-1].period == "2024-03"
    assert tile.value == county[-1].value
    assert [p.period for p in tile.trend] == [v.period for v in county]
    ranked = [c.value for c in tile.children]
    assert ranked == sorted(ranked, key=lambda v: -(v or 0))
    assert {c.region_code for c in tile.children} <= set(world.towns)
    assert sum(c.value or 0 for c in tile.children) == tile.value  # a count adds up


def test_a_region_outside_the_viewers_and_an_unknown_board_are_refused(
    session: Session, world: World
) -> None:
    with pytest.raises(DomainError) as caught:
        data.board_data(session, code=BOARD, region=COUNTY, scope=_reader(world.towns[0]))
    assert caught.value.code == "out_of_scope"
    with pytest.raises(DomainError) as caught:
        data.board_data(session, code="no-such", region=None, scope=_reader())
    assert caught.value.code == "board_not_found"


def test_an_unchanged_board_answers_304_and_a_screen_key_reads_its_region(
    client: TestClient, session: Session, world: World
) -> None:
    screen = service.create_screen(
        session, spec=ScreenCreate(name="主屏", region_code=COUNTY, boards=[BOARD]),
        scope=Scope.system(),
    )  # fmt: skip
    session.flush()
    key = {"X-API-Key": screen.key}
    first = client.get(f"/api/v1/boards/{BOARD}/data", headers=key)
    assert first.status_code == 200, first.text
    assert first.json()["tiles"][0]["code"] == "t_board_count"
    etag = first.headers["etag"]
    again = client.get(f"/api/v1/boards/{BOARD}/data", headers={**key, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    elsewhere = client.get(f"/api/v1/boards/{BOARD}/data?region=510903", headers=key)
    assert elsewhere.status_code == 403
    service.revoke_screen(session, screen_id=screen.id, scope=Scope.system())
    session.flush()
    gone = client.get(f"/api/v1/boards/{BOARD}/data", headers=key)
    assert gone.status_code == 401
