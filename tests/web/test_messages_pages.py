"""The message centre's pages (web/src/modules/messages) against the real app, through Chromium:
the header badge follows a message sent meanwhile without a reload, the inbox opens and marks
it read, and a sender picks a town in the region tree and sends.

Same harness as ``test_browser.py`` (its ``browser``/``page`` fixtures), on a SQLite file of its
own seeded through the real functions: the county and a town, an analyst (sender) and a viewer
of the town (recipient)."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest
import test_browser as shared
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, DIST, PASSWORD, Site

from citybrain.core.config import get_settings

COUNTY, TOWN = "620722", "620722104"
SENDER, RECEIVER, ADMIN = "websender", "webreceiver", "webmsgadmin"

browser = shared.browser
page = shared.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
    pytest.mark.skipif(not (DIST / "index.html").exists(), reason="no web/dist/index.html"),
]


@dataclass(frozen=True)
class Messaging:
    site: Site
    sender_token: str

    def send(self, title: str) -> None:
        answer = httpx.post(
            self.site.url + "/api/v1/messages",
            json={"title": title, "body": "今晚有大雨, 请巡查河道。", "kind": "warning",
                  "link": "/regions", "audience": {"regions": [TOWN]}},
            headers={"Authorization": f"Bearer {self.sender_token}"},
            timeout=30,
        )  # fmt: skip
        assert answer.status_code == 201, answer.text


@pytest.fixture(scope="module")
def messaging() -> Iterator[Messaging]:
    import uvicorn

    from citybrain.app import create_app
    from citybrain.core.clock import utcnow
    from citybrain.core.db import make_engine, make_session_factory
    from citybrain.core.migrate import upgrade
    from citybrain.iam import auth, sessions
    from citybrain.iam import service as iam_service
    from citybrain.messages.config import MessagesSettings
    from citybrain.messages.dependencies import messages_settings
    from citybrain.regions.models import Region

    home = Path(tempfile.mkdtemp(prefix="citybrain-messages-web-"))
    shots = Path(os.environ.get("CITYBRAIN_SCREENSHOTS") or home / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    settings = get_settings().model_copy(
        update={"home": home, "database_url": f"sqlite:///{home / 'web.db'}", "web_dist": DIST}
    )
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session, session.begin():
        session.add(Region(code=COUNTY, name="民乐县", level="county"))
        session.flush()
        session.add(Region(code=TOWN, name="南古镇", level="town", parent_code=COUNTY))
        session.flush()
        sender = iam_service.create_user(
            session, username=SENDER, password=PASSWORD, region_code=COUNTY, roles=["analyst"],
            display_name="周分析", must_change_password=False,
        )  # fmt: skip
        iam_service.create_user(
            session, username=RECEIVER, password=PASSWORD, region_code=TOWN, roles=["viewer"],
            display_name="王晓燕", must_change_password=False,
        )  # fmt: skip
        admin = iam_service.create_user(
            session, username=ADMIN, password=PASSWORD, region_code=COUNTY, roles=["sysadmin"],
            display_name="钱系统", must_change_password=False,
        )  # fmt: skip
        secret = auth.enrol_totp(session, user=admin).secret
        auth.confirm_totp(session, user=admin, code=pyotp.TOTP(secret).at(utcnow()))
        session.flush()
        _, token = sessions.start(session, user_id=sender.id)
    app = create_app(settings, engine=engine)
    # the suite's environment ends streams at once (for the fuzz run); a page keeps its stream
    app.dependency_overrides[messages_settings] = lambda: MessagesSettings(stream_max_seconds=600)
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
        site = Site(url=f"http://127.0.0.1:{port}", totp_secrets={ADMIN: secret}, shots=shots)
        yield Messaging(site, token)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        if "CITYBRAIN_SCREENSHOTS" not in os.environ:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def site(messaging: Messaging) -> Site:
    """What the shared ``page`` fixture screenshots into."""
    return messaging.site


def _shot(page: Page, site: Site, name: str) -> None:
    shared._shot(page, site, f"messages-{name}")


def test_the_badge_follows_a_message_live_and_the_inbox_reads_it(
    page: Page, messaging: Messaging
) -> None:
    site = messaging.site
    shared._sign_in(page, site, RECEIVER)
    badge = page.get_by_test_id("inbox-badge")
    expect(badge).to_be_visible()
    expect(badge.locator(".el-badge__content")).to_be_hidden()

    messaging.send("暴雨红色预警")  # meanwhile, from another session: no reload on this page
    expect(badge.locator(".el-badge__content")).to_have_text("1", timeout=15_000)
    expect(page.locator(".el-notification")).to_contain_text("暴雨红色预警")
    _shot(page, site, "01-badge.png")

    page.locator(".side-menu").get_by_text("我的消息").click()
    expect(page).to_have_url(f"{site.url}/messages/inbox")
    table = page.get_by_test_id("inbox-table")
    expect(table).to_contain_text("暴雨红色预警")
    expect(table).to_contain_text(SENDER)
    expect(page.get_by_test_id("inbox-unread")).to_contain_text("未读 1 条")
    table.get_by_text("暴雨红色预警").click()
    drawer = page.get_by_test_id("inbox-detail")
    expect(drawer).to_contain_text("今晚有大雨, 请巡查河道。")
    _shot(page, site, "02-inbox-detail.png")
    expect(badge.locator(".el-badge__content")).to_be_hidden()  # read: the receipt is written
    expect(page.get_by_test_id("inbox-unread")).to_contain_text("未读 0 条")
    drawer.get_by_role("button", name="前往处理").click()
    expect(page).to_have_url(f"{site.url}/regions")


def test_a_sender_picks_a_town_in_the_tree_and_sends(page: Page, messaging: Messaging) -> None:
    site = messaging.site
    shared._sign_in(page, site, SENDER)
    page.goto(site.url + "/messages/send")
    page.get_by_test_id("send-title").fill("防汛值班通知")
    page.get_by_test_id("send-body").fill("请各镇今晚安排值班。")
    tree = page.get_by_test_id("audience-tree")
    county = tree.locator(".el-tree-node").filter(has_text="民乐县").first
    county.locator(".el-tree-node__expand-icon").first.click()
    town = tree.locator(f"[data-code='{TOWN}']")
    expect(town).to_be_visible()
    town.locator("xpath=ancestor::div[contains(@class,'el-tree-node__content')]").locator(
        ".el-checkbox"
    ).click()
    page.get_by_role("button", name="预览人数").click()
    expect(page.get_by_test_id("send-preview")).to_contain_text("将送达 1 人")
    _shot(page, site, "03-send.png")
    page.get_by_test_id("send-submit").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(page.locator(".el-message--success")).to_contain_text("已发送给 1 人")

    page.get_by_role("tab", name="已发送").click()
    sent = page.get_by_test_id("sent-table")
    expect(sent).to_contain_text("防汛值班通知")
    sent.get_by_test_id("sent-receipts").first.click()
    expect(page.get_by_test_id("receipts-table")).to_contain_text(RECEIVER)
    _shot(page, site, "04-receipts.png")


def test_the_administrator_sets_up_a_robot_and_a_template(page: Page, messaging: Messaging) -> None:
    site = messaging.site
    shared._sign_in(page, site, ADMIN)
    page.goto(site.url + "/messages/channels")
    page.get_by_test_id("channel-create").click()
    page.get_by_test_id("channel-name").fill("县防汛指挥群")
    page.get_by_test_id("channel-url").fill("https://93.184.216.34/robot/send?access_token=tok-web")
    page.get_by_test_id("channel-secret").fill("SECweb-signing")
    page.get_by_test_id("channel-save").click()
    table = page.get_by_test_id("channels-table")
    expect(table).to_contain_text("县防汛指挥群")
    expect(table).to_contain_text("钉钉群机器人")
    expect(table).to_contain_text("93.184.216.34")
    expect(page.locator("body")).not_to_contain_text("tok-web")
    _shot(page, site, "05-channels.png")

    page.goto(site.url + "/messages/templates")
    page.get_by_test_id("template-create").click()
    page.get_by_test_id("template-code").fill("warning.rain")
    page.get_by_test_id("template-name").fill("降雨预警")
    page.get_by_test_id("template-body").fill("{{ ''.__class__ }}")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("template-error")).to_contain_text("不得访问对象的属性或内部成员")
    page.get_by_test_id("template-body").fill("{{ region }} 当前值 {{ value }}")
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("templates-table")).to_contain_text("warning.rain")
    _shot(page, site, "06-templates.png")
