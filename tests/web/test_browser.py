"""The built front end (web/dist) against the real app, driven through Debian's Chromium.

The app runs under uvicorn in a background thread on a free port, on its own SQLite file (not
the shared test database: the server's threads commit for real). The database is built through
the real functions: migrations, the 民乐县 divisions and boundaries, the synthetic demo grids, a
grid member, and accounts made by ``citybrain.iam.service``. Screenshots land in
``$CITYBRAIN_SCREENSHOTS`` when set (else a tmp folder) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from citybrain.core.clock import utcnow
from citybrain.core.config import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "Web-test-2024!pw"
NEW_PASSWORD = "Web-new-2025#pw"
COUNTY = "620722"  # 民乐县
TOWN = "620722101"  # 洪水镇 (villages2021_minle_620722.csv)
VILLAGE = "620722101001"  # 县府街居民委员会
GRID = VILLAGE + "001"  # its synthetic grid

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install -y chromium)"
    ),
    pytest.mark.skipif(
        not (DIST / "index.html").exists(),
        reason="no web/dist/index.html (cd web && npm ci && npm run build)",
    ),
]


@dataclass(frozen=True)
class Site:
    url: str
    totp_secrets: dict[str, str]
    shots: Path

    def totp(self, username: str) -> str:
        return pyotp.TOTP(self.totp_secrets[username]).now()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(settings: Settings) -> tuple[Engine, dict[str, str]]:
    """A fresh database with regions, demo grids, one grid member and four accounts; answers
    the engine and the TOTP secrets of the administrators."""
    from citybrain.core.db import make_engine, make_session_factory
    from citybrain.core.migrate import upgrade
    from citybrain.iam import auth
    from citybrain.iam import service as iam_service
    from citybrain.regions import service as regions_service

    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with make_session_factory(engine)() as session, session.begin():
        regions_service.load_divisions(session, data_dir=settings.data_dir)
        regions_service.create_synthetic_grids(session, county_code=COUNTY)
        regions_service.add_grid_member(session, grid_code=GRID, name="张建国", phone="13800000000")
        common = {"password": PASSWORD, "region_code": COUNTY}
        iam_service.create_user(
            session, username="webviewer", roles=["viewer"], display_name="王晓燕",
            must_change_password=False, **common,
        )  # fmt: skip
        iam_service.create_user(
            session, username="webnewbie", roles=["viewer"], display_name="李新",
            must_change_password=True, **common,
        )  # fmt: skip
        auditor = iam_service.create_user(
            session, username="webauditor", roles=["auditadmin"], display_name="赵审计",
            must_change_password=False, **common,
        )  # fmt: skip
        sysadmin = iam_service.create_user(
            session, username="websysadmin", roles=["sysadmin"], display_name="钱系统",
            must_change_password=False, **common,
        )  # fmt: skip
        iam_service.create_user(
            session, username="websecadmin", roles=["secadmin"], display_name="孙安全",
            must_change_password=False, **common,
        )  # fmt: skip
        secrets = {}
        for user in (auditor, sysadmin):
            secret = auth.enrol_totp(session, user=user).secret
            auth.confirm_totp(session, user=user, code=pyotp.TOTP(secret).at(utcnow()))
            secrets[user.username] = secret
    _seed_job_runs(make_session_factory(engine))
    with make_session_factory(engine)() as session, session.begin():
        iam_service.create_user(
            session, username="webanalyst", roles=["analyst"], display_name="周分析",
            must_change_password=False, **common,
        )  # fmt: skip
    return engine, secrets


def _seed_job_runs(factory: sessionmaker[Session]) -> None:
    """Two pull runs: one on time, one that caught up 3 missed slots and failed."""
    from citybrain.core.jobs import runs

    for minute, missed, outcome in ((0, 0, runs.Outcome.ok), (5, 3, runs.Outcome.failed)):
        slot = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=10 - minute)
        run_id = runs.create(
            factory, job="ingest.pulls", key=slot.isoformat(), slot_at=slot, missed=missed
        )
        assert run_id is not None
        runs.claim(factory, run_id, worker="web:1")
        runs.finish(factory, run_id, outcome=outcome, error="源库连接超时" if missed else "")


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    import uvicorn

    from citybrain.app import create_app

    home = Path(tempfile.mkdtemp(prefix="citybrain-web-"))
    shots = Path(os.environ.get("CITYBRAIN_SCREENSHOTS") or home / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    base = get_settings()  # keys and data folder from the test environment (tests/conftest.py)
    settings = base.model_copy(
        update={
            "home": home,
            "database_url": f"sqlite:///{home / 'web.db'}",
            "web_dist": DIST,
        }
    )
    engine, secrets = _seed(settings)
    app = create_app(settings, engine=engine)
    port = _free_port()
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
        yield Site(url=f"http://127.0.0.1:{port}", totp_secrets=secrets, shots=shots)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()
        if "CITYBRAIN_SCREENSHOTS" not in os.environ:
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    # Anything the Content-Security-Policy blocked (core/headers.py) shows as a console error.
    blocked: list[str] = []
    pg.on(
        "console",
        lambda msg: (
            blocked.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    try:
        yield pg
    finally:
        # The last state of every test, to look at when one fails.
        pg.screenshot(path=str(site.shots / f"last-{request.node.name}.png"))
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert blocked == [], f"blocked by the Content-Security-Policy: {blocked}"


def _shot(page: Page, site: Site, name: str) -> None:
    page.wait_for_timeout(500)  # Element Plus tags zoom in and dialogs fade in
    page.screenshot(path=str(site.shots / name))


def _sign_in(page: Page, site: Site, username: str, password: str = PASSWORD) -> None:
    page.goto(site.url + "/")
    expect(page).to_have_url(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("[data-testid=login-submit]")
    if username in site.totp_secrets:
        # Second step: the six-digit code of the authenticator app.
        totp = page.locator("input[name=totp]")
        expect(totp).to_be_visible()
        _shot(page, site, "07-totp-step.png")
        totp.fill(site.totp(username))
        page.click("[data-testid=totp-submit]")
    expect(page).not_to_have_url(f"{site.url}/login")


def test_viewer_signs_in_and_browses_regions_and_maps(page: Page, site: Site) -> None:
    page.goto(site.url + "/regions")
    expect(page).to_have_url(f"{site.url}/login?redirect=/regions")
    expect(page.get_by_text("账号登录")).to_be_visible()
    _shot(page, site, "01-login.png")

    # A wrong password shows the backend's Chinese message on the form.
    page.fill("input[name=username]", "webviewer")
    page.fill("input[name=password]", "wrong-password")
    page.click("[data-testid=login-submit]")
    expect(page.get_by_test_id("login-error")).to_be_visible()

    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page).to_have_url(f"{site.url}/regions")
    expect(page.get_by_test_id("header-user")).to_contain_text("王晓燕")
    expect(page.get_by_test_id("header-region")).to_contain_text("民乐县")

    # The menu follows the permission codes: a viewer holds regions:read and catalog:read,
    # not iam or audit.
    menu = page.locator(".side-menu")
    expect(menu).to_contain_text("区划与网格")
    expect(menu).to_contain_text("资源目录")
    expect(menu).not_to_contain_text("审计日志")
    expect(menu).not_to_contain_text("用户与角色")

    tree = page.get_by_test_id("region-tree")
    county = tree.locator(".el-tree-node").filter(has_text="民乐县").first
    expect(county).to_be_visible()
    # The county opens selected, with its townships drawn on the map.
    expect(page.get_by_test_id("region-title")).to_have_text("民乐县")
    expect(page.get_by_test_id("region-map").locator("canvas")).to_be_visible()
    town = tree.get_by_text("洪水镇", exact=True)
    if not town.is_visible():
        county.locator(".el-tree-node__expand-icon").first.click()
    expect(town).to_be_visible()
    expect(tree).to_contain_text("六坝镇")
    _shot(page, site, "02-regions-county.png")

    # A click on the county map drills down to the township under the pointer.
    chart = page.get_by_test_id("region-map")
    box = chart.bounding_box()
    assert box is not None
    # The county's outline is irregular: try a few points until one lies inside a township.
    for fx, fy in [(0.6, 0.6), (0.5, 0.3), (0.45, 0.45), (0.55, 0.5)]:
        chart.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
        page.wait_for_timeout(300)
        if page.get_by_test_id("region-title").inner_text() != "民乐县":
            break
    expect(page.get_by_test_id("region-detail")).to_contain_text("乡镇")
    expect(page.get_by_test_id("region-title")).not_to_have_text("民乐县")

    # A township: its demo grids, labelled 示意网格.
    town.click()
    expect(page.get_by_test_id("region-title")).to_have_text("洪水镇")
    expect(page.get_by_test_id("map-synthetic")).to_have_text("示意网格")
    expect(page.get_by_test_id("region-map").locator("canvas")).to_be_visible()
    _shot(page, site, "03-regions-town-map.png")

    # Down to a village (its grid lit on the township map) and its grid (the members).
    tree.locator(f"[data-code='{VILLAGE}']").click()
    expect(page.get_by_test_id("region-title")).to_have_text("县府街居民委员会")
    tree.locator(f"[data-code='{GRID}']").click()
    expect(page.get_by_test_id("grid-members")).to_contain_text("张建国")
    _shot(page, site, "04-regions-grid.png")

    # English is the second language; the choice is remembered.
    page.locator(".header-right").get_by_role("button", name="简体中文").click()
    page.get_by_role("menuitem", name="English").click()
    expect(menu).to_contain_text("Regions & grids")
    expect(page.get_by_test_id("region-title")).to_have_text("县府街社区网格")
    page.reload()
    expect(menu).to_contain_text("Regions & grids")
    _shot(page, site, "12-english.png")
    page.locator(".header-right").get_by_role("button", name="English").click()
    page.get_by_role("menuitem", name="简体中文").click()
    expect(menu).to_contain_text("区划与网格")

    # The datahub's resource catalogue (catalog:read), empty in this database.
    menu.get_by_text("资源目录").click()
    expect(page).to_have_url(f"{site.url}/datahub/catalog")
    expect(page.get_by_test_id("catalog-table")).to_contain_text("暂无数据")
    expect(page.locator(".el-message--error")).to_have_count(0)
    _shot(page, site, "13-catalog.png")

    # A page the viewer may not open.
    page.goto(site.url + "/audit")
    expect(page).to_have_url(f"{site.url}/forbidden")

    # Logout ends the session: the next visit goes back to the login page.
    page.get_by_test_id("header-user").click()
    page.get_by_test_id("logout").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(page).to_have_url(f"{site.url}/login")


def test_forced_password_change_comes_first(page: Page, site: Site) -> None:
    _sign_in(page, site, "webnewbie")
    expect(page).to_have_url(f"{site.url}/password")
    page.goto(site.url + "/regions")
    expect(page).to_have_url(f"{site.url}/password")
    page.fill("input[name=old_password]", PASSWORD)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=repeat_password]", NEW_PASSWORD)
    _shot(page, site, "05-password.png")
    page.click("[data-testid=password-submit]")
    expect(page).to_have_url(f"{site.url}/")
    expect(page.get_by_test_id("header-user")).to_contain_text("李新")


def test_audit_admin_with_totp_reads_and_verifies_the_ledger(page: Page, site: Site) -> None:
    _sign_in(page, site, "webauditor")
    expect(page).to_have_url(f"{site.url}/")
    menu = page.locator(".side-menu")
    expect(menu).to_contain_text("审计日志")
    expect(menu).not_to_contain_text("区划与网格")

    menu.get_by_text("审计日志").click()
    expect(page).to_have_url(f"{site.url}/audit")
    table = page.locator(".el-table")
    expect(table).to_contain_text("iam.login")
    expect(page.get_by_test_id("audit-export")).to_be_visible()

    page.get_by_test_id("audit-verify").click()
    dialog = page.locator(".el-message-box")
    expect(dialog).to_contain_text("审计链完整")
    _shot(page, site, "06-audit.png")
    dialog.get_by_role("button").last.click()

    page.get_by_test_id("audit-export").click()
    with page.expect_download() as download:
        page.get_by_test_id("audit-export-jsonl").click()
    path = download.value.path()
    assert path is not None
    assert '"iam.login"' in Path(path).read_text(encoding="utf-8")


def test_system_admin_creates_a_user_and_reads_roles(page: Page, site: Site) -> None:
    _sign_in(page, site, "websysadmin")
    menu = page.locator(".side-menu")
    menu.get_by_text("用户管理").click()
    expect(page).to_have_url(f"{site.url}/iam/users")
    table = page.get_by_test_id("users-table")
    expect(table).to_contain_text("webviewer")

    page.get_by_test_id("user-create").click()
    dialog = page.get_by_role("dialog", name="新建用户")
    dialog.get_by_label("用户名").fill("webcreated")
    dialog.get_by_label("姓名").fill("孙创建")
    dialog.get_by_label("角色").click()
    page.get_by_role("option", name="只读用户（viewer）").click()
    dialog.get_by_label("初始密码").fill(PASSWORD)
    _shot(page, site, "08-user-create.png")
    dialog.get_by_role("button", name="保存").click()
    expect(table).to_contain_text("webcreated")
    expect(table.locator("tr").filter(has_text="webcreated")).to_contain_text("待改密")
    _shot(page, site, "09-users.png")

    # A system administrator may read the roles but not change them (三权分立).
    menu.get_by_text("角色与权限").click()
    expect(page).to_have_url(f"{site.url}/iam/roles")
    expect(page.locator(".el-table").first).to_contain_text("审计管理员")
    _shot(page, site, "10-roles.png")


def test_security_admin_enrols_totp_before_anything_else(page: Page, site: Site) -> None:
    _sign_in(page, site, "websecadmin")
    expect(page).to_have_url(f"{site.url}/totp-setup")
    page.goto(site.url + "/iam/users")
    expect(page).to_have_url(f"{site.url}/totp-setup")
    # Each visit of the page enrols afresh (a new secret until one is confirmed).
    expect(page.get_by_test_id("totp-qr")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    _shot(page, site, "11-totp-setup.png")

    page.fill("input[name=totp]", pyotp.TOTP(secret).now())
    page.click("[data-testid=totp-confirm]")
    expect(page).to_have_url(f"{site.url}/")
    menu = page.locator(".side-menu")
    expect(menu).to_contain_text("用户与角色")
    menu.get_by_text("角色与权限").click()
    expect(page.get_by_role("button", name="新建角色")).to_be_visible()


def test_analyst_reads_job_runs_with_missed_flags(page: Page, site: Site) -> None:
    _sign_in(page, site, "webanalyst")
    page.locator(".side-menu").get_by_text("任务运行").click()
    expect(page).to_have_url(f"{site.url}/jobs")
    runs = page.get_by_test_id("jobs-runs")
    expect(runs).to_contain_text("定时数据库抽取")  # the job's title, not its code
    failed = runs.locator("tr").filter(has_text="失败")
    expect(failed).to_contain_text("漏跑 3")
    expect(failed).to_contain_text("源库连接超时")
    expect(runs.locator("tr").filter(has_text="成功")).to_have_count(1)
    page.get_by_test_id("jobs-filter-missed").click()
    page.get_by_role("button", name="查询").click()
    expect(runs.locator("tbody tr")).to_have_count(1)
    _shot(page, site, "20-job-runs.png")
    page.get_by_role("tab", name="定时任务").click()
    schedules = page.get_by_test_id("jobs-schedules")
    expect(schedules).to_contain_text("共享授权到期处理")
    expect(schedules).to_contain_text("每 1 分钟")
    _shot(page, site, "21-job-schedules.png")
