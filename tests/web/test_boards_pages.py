"""The command-centre boards through Chromium: a wall opened with only its screen key draws
every tile (canvas pixels, not just the DOM) at 1920×1080 and on the 5120×1280 LED wall, with
more columns on the wide wall and nothing past the screen's edge; the heap stays bounded over
refreshes; a revoked key shows its error instead of a login page; 板块导航 registers a screen
and shows its key once.

Same harness as ``test_browser.py`` on a SQLite file and hub of its own, seeded through the real
functions: indicators published on the 板块 经济和社会发展 and run for three months."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_browser as shared
from playwright.sync_api import Browser, Page, expect
from test_browser import CHROMIUM, DIST, Site

from citybrain.core.config import get_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))

ANALYST = "webboardanalyst"
BOARD = "economy-society"

browser = shared.browser
page = shared.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
    pytest.mark.skipif(not (DIST / "index.html").exists(), reason="no web/dist/index.html"),
]


class BoardSite(Site):
    key: str = ""
    screen_id: int = 0


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    import uvicorn
    from indicator_fixtures import author, build_world, create, publish, run

    from citybrain.app import create_app
    from citybrain.boards import service as boards
    from citybrain.boards.schemas import ScreenCreate
    from citybrain.core.db import make_engine, make_session_factory
    from citybrain.core.migrate import upgrade
    from citybrain.core.scope import Scope
    from citybrain.iam import service as iam_service
    from citybrain.indicators import service as indicators
    from citybrain.indicators.schemas import BoardCreate, SetCreate
    from citybrain.regions import service as regions_service

    home = Path(tempfile.mkdtemp(prefix="citybrain-boards-web-"))
    shots = Path(os.environ.get("CITYBRAIN_SCREENSHOTS") or home / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    settings = get_settings().model_copy(
        update={"home": home, "database_url": f"sqlite:///{home / 'web.db'}", "web_dist": DIST}
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session, session.begin():
        regions_service.load_divisions(session, data_dir=settings.data_dir)
        world = build_world(session, settings, home)
        indicators.create_board(
            session, spec=BoardCreate(code="b_web_jjsh", name="经济和社会发展"), scope=author()
        )
        indicators.create_set(
            session, spec=SetCreate(code="s_web_jjsh", board_code="b_web_jjsh", name="社会保障"),
            scope=author(),
        )  # fmt: skip
        codes = [f"web_board_{n}" for n in range(6)]
        for n, code in enumerate(codes):
            create(session, world, code, set_code="s_web_jjsh", name=f"签约指标{n + 1}")
            publish(session, code)
        run(session, world, codes, "2024-01", "2024-03")
        iam_service.create_user(
            session, username=ANALYST, password=shared.PASSWORD, region_code="620722",
            roles=["analyst"], display_name="吴分析", must_change_password=False,
        )  # fmt: skip
        screen = boards.create_screen(
            session, spec=ScreenCreate(name="主屏", region_code="620722", boards=[BOARD]),
            scope=Scope.system(),
        )  # fmt: skip
    app = create_app(settings, engine=engine)
    port = shared._free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    board_site = BoardSite(url=f"http://127.0.0.1:{port}", totp_secrets={}, shots=shots)
    board_site.key, board_site.screen_id = screen.key, screen.id
    try:
        yield board_site
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        if "CITYBRAIN_SCREENSHOTS" not in os.environ:
            shutil.rmtree(home, ignore_errors=True)


# How many distinct colours each tile's chart canvas holds: 1 means it drew nothing.
CANVAS_COLOURS = """
() => [...document.querySelectorAll('[data-testid=board-tile] canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
  const seen = new Set()
  for (let i = 0; i < d.length; i += 16) seen.add(d.slice(i, i + 4).join(','))
  return seen.size
})
"""
OVERFLOW = """
() => [...document.querySelectorAll('[data-testid=board-tile]')].filter((e) => {
  const r = e.getBoundingClientRect()
  return r.right > window.innerWidth + 1 || r.bottom > window.innerHeight + 1
}).length
"""


def _wall(browser: Browser, site: Site, width: int, height: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    wall = context.new_page()
    wall.goto(f"{site.url}/boards/{BOARD}?region=620722&key={site.key}")  # type: ignore[attr-defined]
    expect(wall.get_by_test_id("board")).to_contain_text("经济和社会发展")
    expect(wall.get_by_test_id("board-tile")).to_have_count(6)
    wall.wait_for_timeout(800)  # charts animate in
    return wall


@pytest.mark.parametrize(("width", "height", "columns"), [(1920, 1080, 4), (5120, 1280, 8)])
def test_a_wall_draws_every_tile_at_its_real_size(
    browser: Browser, site: Site, width: int, height: int, columns: int
) -> None:
    wall = _wall(browser, site, width, height)
    assert "key=" not in wall.url  # the key left the address bar
    colours = wall.evaluate(CANVAS_COLOURS)
    assert len(colours) == 6
    assert min(colours) > 2, colours  # every sparkline drew
    assert wall.evaluate(OVERFLOW) == 0
    tops = wall.evaluate(
        "() => new Set([...document.querySelectorAll('[data-testid=board-tile]')]"
        ".map((e) => Math.round(e.getBoundingClientRect().top))).size"
    )
    assert tops == (1 if columns == 8 else 2)  # 6 tiles: one row of 8, or two rows of 4
    wall.screenshot(path=str(site.shots / f"board-{width}x{height}.png"))
    wall.context.close()


def test_the_heap_stays_bounded_over_refreshes(browser: Browser, site: Site) -> None:
    wall = _wall(browser, site, 1920, 1080)
    cdp = wall.context.new_cdp_session(wall)
    cdp.send("HeapProfiler.enable")

    def heap() -> float:
        cdp.send("HeapProfiler.collectGarbage")
        return float(wall.evaluate("() => performance.memory.usedJSHeapSize"))

    for _ in range(10):  # warm up: code paths compiled, caches filled
        wall.evaluate("() => window.dispatchEvent(new Event('resize'))")
    before = heap()
    for n in range(200):  # 200 refresh cycles: resize (relayout) and route back and forth
        wall.evaluate("() => window.dispatchEvent(new Event('resize'))")
        if n % 20 == 0:
            wall.goto(f"{site.url}/boards/{BOARD}?region=620722")
            expect(wall.get_by_test_id("board-tile")).to_have_count(6)
    after = heap()
    assert after < before * 1.5 + 2_000_000, (before, after)
    wall.context.close()


def test_navigation_registers_a_screen_and_a_revoked_key_shows_its_error(
    browser: Browser, page: Page, site: Site
) -> None:
    shared._sign_in(page, site, ANALYST)
    page.goto(site.url + "/boards")
    card = page.get_by_test_id(f"board-card-{BOARD}")
    expect(card).to_contain_text("6 项指标")
    page.get_by_test_id("screen-add").click()
    page.get_by_test_id("screen-name").fill("大厅拼接屏")
    page.get_by_test_id("screen-create").click()
    expect(page.get_by_test_id("screen-key")).to_contain_text("cbk_")
    shared._shot(page, site, "boards-01-screen-key.png")
    page.keyboard.press("Escape")
    table = page.get_by_test_id("screens")
    expect(table).to_contain_text("大厅拼接屏")
    row = table.locator("tr", has_text="主屏")
    row.get_by_test_id("screen-revoke").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(row).to_contain_text("已吊销")

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    wall = context.new_page()
    wall.goto(f"{site.url}/boards/{BOARD}?key={site.key}")  # type: ignore[attr-defined]
    expect(wall.get_by_test_id("board-error")).to_contain_text("吊销")
    assert "/login" not in wall.url
    context.close()
