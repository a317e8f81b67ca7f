"""The five-colour warning and feedback pages (web/src/modules/indicators) against the real app,
through Chromium: the warnings list shows colour chips and a warning is acknowledged and
closed; on the indicator page the values carry the same colours and "反馈问题" files feedback,
which the handler then resolves on the feedback page.

Same harness as ``test_browser.py``, on a SQLite file and a hub of its own, seeded through the
real functions (``tests/indicators/indicator_fixtures.py``: an ingested resource, a published
indicator with a warning rule, one run)."""

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
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, DIST, PASSWORD, Site

from citybrain.core.config import get_settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "indicators"))

ANALYST = "webwarnanalyst"
CODE = "web_warn_count"

browser = shared.browser
page = shared.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
    pytest.mark.skipif(not (DIST / "index.html").exists(), reason="no web/dist/index.html"),
]


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    import uvicorn
    from indicator_fixtures import build_world, create, publish, run

    from citybrain.app import create_app
    from citybrain.core.db import make_engine, make_session_factory
    from citybrain.core.migrate import upgrade
    from citybrain.core.scope import Scope
    from citybrain.iam import service as iam_service
    from citybrain.indicators.warnings import service as warnings
    from citybrain.indicators.warnings.schemas import IndicatorWarningRuleSpec
    from citybrain.regions import service as regions_service

    home = Path(tempfile.mkdtemp(prefix="citybrain-warnings-web-"))
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
        create(session, world, CODE, name="家庭医生签约数")
        publish(session, CODE)
        spec = IndicatorWarningRuleSpec.model_validate(
            {"bands": [{"colour": "red", "upper": 2}, {"colour": "yellow", "lower": 2, "upper": 4},
                       {"colour": "green", "lower": 4}]}
        )  # fmt: skip
        warnings.save_rule(session, code=CODE, region_code=None, spec=spec, scope=Scope.system())
        run(session, world, [CODE], "2024-01", "2024-03")
        iam_service.create_user(
            session, username=ANALYST, password=PASSWORD, region_code="620722",
            roles=["analyst"], display_name="周分析", must_change_password=False,
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
    try:
        yield Site(url=f"http://127.0.0.1:{port}", totp_secrets={}, shots=shots)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        if "CITYBRAIN_SCREENSHOTS" not in os.environ:
            shutil.rmtree(home, ignore_errors=True)


def test_warnings_are_listed_in_colour_acknowledged_and_closed(page: Page, site: Site) -> None:
    shared._sign_in(page, site, ANALYST)
    page.goto(site.url + "/indicators/warnings")
    table = page.get_by_test_id("indicator-warnings")
    expect(table).to_contain_text("家庭医生签约数")
    expect(table.locator("[data-colour=red]").first).to_contain_text("红色")
    expect(table.locator("[data-colour=green]")).to_have_count(0)  # normal rows are not warnings
    shared._shot(page, site, "warnings-01-list.png")
    table.get_by_test_id("warning-ack").first.click()
    expect(page.locator(".el-message--success")).to_contain_text("已签收")
    expect(table).to_contain_text("已签收")
    table.get_by_test_id("warning-close").first.click()
    page.locator(".el-dialog textarea").fill("已核实: 一月份尚未开展签约")
    page.get_by_test_id("warning-close-send").click()
    expect(page.locator(".el-message--success").last).to_contain_text("已关闭")


def test_values_carry_colours_and_feedback_reaches_the_handler(page: Page, site: Site) -> None:
    shared._sign_in(page, site, ANALYST)
    page.goto(site.url + "/indicators")
    page.get_by_test_id("indicator-tree").get_by_text("家庭医生签约数").click()
    values = page.get_by_test_id("indicator-values")
    expect(values.get_by_test_id("colour-chip").first).to_be_visible()
    expect(values.locator("[data-colour=green]").first).to_contain_text("绿色")
    expect(page.get_by_test_id("warning-rules")).to_contain_text("[-∞, 2)")
    shared._shot(page, site, "warnings-02-values.png")
    values.get_by_test_id("value-feedback").first.click()
    page.locator(".el-dialog textarea").fill("与台账不符, 少两件")
    page.locator(".el-dialog").get_by_role("button", name="确定").click()
    expect(page.locator(".el-message--success")).to_contain_text("已提交问题反馈")

    page.goto(site.url + "/indicators/feedback")
    table = page.get_by_test_id("indicator-feedback")
    expect(table).to_contain_text("与台账不符, 少两件")
    expect(table).to_contain_text("待受理")
    table.get_by_test_id("feedback-resolve").first.click()
    page.locator(".el-dialog textarea").fill("已补录")
    page.get_by_test_id("feedback-send").click()
    expect(table).to_contain_text("已办结")
    shared._shot(page, site, "warnings-03-feedback.png")


def test_a_search_link_opens_the_indicator_and_the_runs_page_draws_its_calendar(
    page: Page, site: Site
) -> None:
    shared._sign_in(page, site, ANALYST)
    page.goto(site.url + f"/indicators?code={CODE}")  # the link a search hit carries
    expect(page.locator(".editor-card")).to_contain_text(f"家庭医生签约数 ({CODE})")
    page.goto(site.url + "/indicators/runs")
    calendar = page.get_by_test_id("run-calendar")
    expect(calendar.locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("run-calendar-failed")).to_contain_text("其中 0 天有失败或超时")
    shared._shot(page, site, "indicators-04-run-calendar.png")


def test_retiring_takes_the_indicator_out_of_use(page: Page, site: Site) -> None:
    # last in this module: the indicator stays retired
    shared._sign_in(page, site, ANALYST)
    page.goto(site.url + f"/indicators?code={CODE}")
    page.get_by_test_id("indicator-retire").click()
    page.locator(".el-message-box input").fill("口径调整, 改用新指标")
    page.locator(".el-message-box").get_by_role("button", name="停用").click()
    expect(page.locator(".el-message--success")).to_contain_text("已停用")
    expect(page.locator(".editor-card")).to_contain_text("已停用")
    expect(page.get_by_test_id("indicator-retire")).to_have_count(0)
