"""The data hub pages (web/src/modules/datahub) against the real app, driven through Chromium.

Same harness as ``test_browser.py`` (Debian's Chromium, uvicorn in a thread, its own SQLite
file), whose launch flags and ``browser``/``page`` fixtures are reused. The database is built
through the real functions: migrations, the 民乐县 divisions, the demo catalog
(``seed_demo_catalog``), one small file ingested through ``citybrain.datahub.ingest.service``
(one bad row, so the batch has a score below 100, a quality report and a rectification order),
and an analyst account.

Ingestion, the hub store and the open-data download read ``get_settings()`` rather than the
settings given to ``create_app``, so the fixture points the process settings (``CITYBRAIN_HOME``
and the database URL) at the test's own folder while the server runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_browser as shared
from playwright.sync_api import Page, expect
from test_browser import CHROMIUM, DIST, PASSWORD, Site

from citybrain.core.config import Settings, get_settings

COUNTY = shared.COUNTY
ANALYST = "webanalyst"
HANDLER = "webhandler"  # a handler of 民乐县民政局: requests are filed in a department's name
TOWN_STATS = f"{COUNTY}-DSJ-001"  # 乡镇人口统计: open, key town_code
ENTERPRISES = f"{COUNTY}-SJ-001"  # 企业登记信息: unconditional sharing, open
HEADER = "town_code,town_name,stat_year,households,population,male,female,aged_60_plus\n"
SEEDED_ROWS = (
    "620722101,洪水镇,2024,10234,35120,17800,17320,6120\n"
    "620722102,六坝镇,2024,8120,27340,13900,13440,5010\n"
    "620722103,新天镇,2024,abc,19870,10020,9850,3880\n"  # households is not an integer
)
UPLOADED_ROWS = "620722104,南古镇,2024,6100,20110,10150,9960,3720\n"

browser = shared.browser  # the module-scoped Chromium of test_browser.py
page = shared.page  # a fresh context per test; fails the test on any JavaScript error

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


def _seed(settings: Settings, home: Path) -> int:
    """Regions, the demo catalog, one ingested file and the analyst; answers the batch id."""
    from citybrain.core.db import make_engine, make_session_factory
    from citybrain.core.migrate import upgrade
    from citybrain.datahub.demo.catalog import seed_demo_catalog
    from citybrain.datahub.ingest import service as ingest_service
    from citybrain.iam import service as iam_service
    from citybrain.regions import service as regions_service

    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    source = home / "乡镇人口统计-2024.csv"
    source.write_text(HEADER + SEEDED_ROWS, encoding="utf-8")
    try:
        with make_session_factory(engine)() as session, session.begin():
            regions_service.load_divisions(session, data_dir=settings.data_dir)
            seed_demo_catalog(session, COUNTY)
            iam_service.create_user(
                session, username=ANALYST, password=PASSWORD, region_code=COUNTY,
                roles=["analyst"], display_name="周分析", must_change_password=False,
            )  # fmt: skip
            iam_service.create_user(
                session, username=HANDLER, password=PASSWORD, region_code=COUNTY,
                roles=["handler"], display_name="吴办理", must_change_password=False,
                department_code=f"{COUNTY}-MZ",
            )  # fmt: skip
            result = ingest_service.ingest_file(
                session, resource_code=TOWN_STATS, path=source, settings=settings
            )
    finally:
        engine.dispose()
    assert result.quarantined_rows == 1, result
    return result.batch_id


@pytest.fixture(scope="module")
def seeded_batch() -> Iterator[int]:
    """Points the process settings at a fresh folder and seeds it (see the module doc)."""
    home = Path(tempfile.mkdtemp(prefix="citybrain-datahub-web-"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CITYBRAIN_HOME", str(home))
        env.setenv("CITYBRAIN_DATABASE_URL", f"sqlite:///{home / 'web.db'}")
        env.setenv("CITYBRAIN_WEB_DIST", str(DIST))
        get_settings.cache_clear()
        try:
            yield _seed(get_settings(), home)
        finally:
            get_settings.cache_clear()
            if "CITYBRAIN_SCREENSHOTS" not in os.environ:
                shutil.rmtree(home, ignore_errors=True)
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def site(seeded_batch: int) -> Iterator[Site]:
    import uvicorn

    from citybrain.app import create_app

    settings = get_settings()
    shots = Path(os.environ.get("CITYBRAIN_SCREENSHOTS") or settings.home / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    app = create_app(settings)
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


def _shot(page: Page, site: Site, name: str) -> None:
    shared._shot(page, site, f"datahub-{name}")


def _choose(page: Page, select_test_id: str, option: str) -> None:
    """Pick ``option`` in the Element Plus select marked ``data-testid=select_test_id``."""
    page.get_by_test_id(select_test_id).click()
    page.locator(".el-select-dropdown__item:visible").filter(has_text=option).first.click()


def test_open_data_page_needs_no_login(page: Page, site: Site) -> None:
    page.goto(site.url + "/login")
    page.get_by_test_id("open-data-link").click()
    expect(page).to_have_url(f"{site.url}/open")
    cards = page.get_by_test_id("open-resources")
    expect(cards).to_contain_text("乡镇人口统计")
    expect(cards).to_contain_text("企业登记信息")
    expect(cards).not_to_contain_text("户籍人口信息")  # 不予开放
    town_stats = cards.locator(f"[data-code='{TOWN_STATS}']")
    expect(town_stats).to_contain_text("民乐县大数据管理局")
    expect(town_stats).to_contain_text("每年")
    expect(page.get_by_test_id("open-dcat")).to_have_attribute("href", "/catalog.jsonld")
    expect(page.get_by_test_id("open-ckan")).to_have_attribute("href", "/api/3/action/package_list")
    _shot(page, site, "01-open-data.png")

    href = town_stats.get_by_test_id("open-download").get_attribute("href")
    assert href is not None
    assert href.endswith(f"/api/v1/opendata/resources/{TOWN_STATS}/download.csv")
    csv = page.request.get(href)
    assert csv.ok
    assert "六坝镇" in csv.text()
    assert page.request.get(site.url + "/api/3/action/package_list").json()["success"] is True


def test_analyst_browses_the_catalogue(page: Page, site: Site) -> None:
    shared._sign_in(page, site, ANALYST)
    menu = page.locator(".side-menu")
    for entry in ("数据中枢", "资源目录", "供需对接", "数据归集", "数据质量", "共享交换"):
        expect(menu).to_contain_text(entry)
    menu.get_by_text("资源目录").click()
    expect(page).to_have_url(f"{site.url}/datahub/catalog")
    table = page.get_by_test_id("catalog-table")
    expect(table).to_contain_text("户籍人口信息")
    expect(table).to_contain_text("民乐县公安局")
    _shot(page, site, "02-catalog.png")

    # Filter by provider, then open a resource: its items with their sensitivity.
    _choose(page, "catalog-provider", "民乐县民政局")
    expect(table).to_contain_text("最低生活保障对象信息")
    expect(table).not_to_contain_text("户籍人口信息")
    table.get_by_text("最低生活保障对象信息").click()
    drawer = page.get_by_test_id("resource-drawer")
    items = drawer.get_by_test_id("resource-items")
    expect(items).to_contain_text("公民身份号码")
    expect(items).to_contain_text("敏感")
    expect(items).to_contain_text("身份证号脱敏")
    _shot(page, site, "03-resource-drawer.png")
    drawer.get_by_role("tab", name="版本记录").click()
    expect(drawer.locator(".el-table").last).to_contain_text("1")
    drawer.get_by_role("button", name="关闭", exact=True).click()

    # Excel out; a refused import lists its problems; the exported workbook imports as is.
    with page.expect_download() as download:
        page.get_by_test_id("catalog-export").click()
    assert download.value.suggested_filename == "catalog.xlsx"
    exported = download.value.path()
    page.get_by_test_id("catalog-import").click()
    dialog = page.get_by_test_id("catalog-import-dialog")
    upload = dialog.locator("input[type=file]")
    upload.set_input_files(
        files=[{"name": "bad.xlsx", "mimeType": "application/octet-stream", "buffer": b"nope"}]
    )
    dialog.get_by_test_id("catalog-import-submit").click()
    expect(dialog.get_by_test_id("catalog-import-errors")).to_contain_text("不是有效的 Excel")
    _shot(page, site, "04-catalog-import-refused.png")
    upload.set_input_files(exported)
    dialog.get_by_test_id("catalog-import-submit").click()
    expect(dialog.get_by_test_id("catalog-import-result")).to_contain_text("未变化 9 条")
    expect(dialog.get_by_test_id("catalog-import-errors")).to_have_count(0)


def test_analyst_sees_batches_reports_and_uploads(
    page: Page, site: Site, seeded_batch: int
) -> None:
    shared._sign_in(page, site, ANALYST)
    page.locator(".side-menu").get_by_text("数据归集").click()
    expect(page).to_have_url(f"{site.url}/datahub/batches")
    table = page.get_by_test_id("batches-table")
    row = table.locator("tr").filter(has_text=f"#{seeded_batch}")
    expect(row).to_contain_text("乡镇人口统计")
    expect(row).to_contain_text("已入库")
    expect(row.get_by_test_id("batch-score")).to_have_text("66.67")
    _shot(page, site, "05-batches.png")

    # The batch and its quality report: bars per rule and per item, masked examples.
    row.get_by_role("link", name=f"#{seeded_batch}").click()
    expect(page).to_have_url(f"{site.url}/datahub/batches/{seeded_batch}")
    expect(page.get_by_test_id("batch-detail")).to_contain_text("乡镇人口统计-2024.csv")
    report = page.get_by_test_id("quality-report")
    expect(report.get_by_test_id("report-rule-chart").locator("canvas")).to_be_visible()
    expect(report.get_by_test_id("report-field-chart").locator("canvas")).to_be_visible()
    expect(report.get_by_test_id("report-examples")).to_contain_text("户数")
    _shot(page, site, "06-batch-report.png")

    # Upload a file through the page: upload progress, then the batch's own, then its outcome.
    page.goto(site.url + "/datahub/batches")
    panel = page.get_by_test_id("upload-panel")
    _choose(page, "upload-resource", "乡镇人口统计")
    panel.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "南古镇.csv",
                "mimeType": "text/csv",
                "buffer": (HEADER + UPLOADED_ROWS).encode("utf-8"),
            }
        ]
    )
    panel.get_by_test_id("upload-submit").click()
    result = panel.get_by_test_id("upload-result")
    expect(result).to_contain_text("已入库", timeout=30_000)
    expect(result).to_contain_text("质量得分 100")
    expect(table).to_contain_text("南古镇.csv")
    _shot(page, site, "07-upload-done.png")


def test_analyst_sees_quality_and_shares(page: Page, site: Site) -> None:
    shared._sign_in(page, site, ANALYST)
    page.locator(".side-menu").get_by_text("数据质量").click()
    expect(page).to_have_url(f"{site.url}/datahub/quality")
    scores = page.get_by_test_id("department-scores")
    expect(scores).to_contain_text("民乐县大数据管理局")
    expect(scores.get_by_test_id("scores-chart").locator("canvas")).to_be_visible()
    orders = page.get_by_test_id("orders-table")
    expect(orders).to_contain_text("乡镇人口统计")
    expect(orders).to_contain_text("待整改")
    _shot(page, site, "08-quality.png")
    orders.locator("tr").filter(has_text="乡镇人口统计").get_by_role("link").first.click()
    expect(page.get_by_test_id("order-detail")).to_contain_text("民乐县大数据管理局")
    _shot(page, site, "09-order.png")

    # Unconditional sharing is granted at once; the token is shown once, with a copy button.
    # A request is filed in a department's own name: a handler of 民乐县民政局 asks.
    page.get_by_test_id("header-user").click()
    page.get_by_test_id("logout").click()
    page.locator(".el-message-box").get_by_role("button", name="确定").click()
    expect(page).to_have_url(f"{site.url}/login")
    shared._sign_in(page, site, HANDLER)
    page.locator(".side-menu").get_by_text("共享交换").click()
    expect(page).to_have_url(f"{site.url}/datahub/sharing")
    page.get_by_test_id("share-request-create").click()
    form = page.get_by_test_id("share-request-form")
    expect(form).to_be_visible()
    form.get_by_label("信息资源").click()
    page.get_by_role("option", name="企业登记信息（民乐县市场监督管理局，无条件共享）").click()
    expect(form).to_contain_text("统一社会信用代码")
    expect(form.get_by_test_id("share-requester")).to_have_text("民乐县民政局")
    form.get_by_label("用途").fill("核对低保申请人名下企业")
    form.get_by_label("法律依据").fill("《社会救助暂行办法》第十一条")
    form.get_by_placeholder("开始日期").click()
    form.get_by_placeholder("开始日期").fill("2026-01-01")
    form.get_by_placeholder("结束日期").fill("2026-12-31")
    form.get_by_placeholder("结束日期").press("Enter")
    _shot(page, site, "10-share-request.png")
    form.get_by_role("button", name="提交申请").click()
    token = page.get_by_test_id("token-dialog")
    expect(token).to_be_visible()
    assert page.get_by_test_id("token-value").input_value().startswith("cbs_")
    _shot(page, site, "11-share-token.png")
    token.get_by_role("button", name="我已保存").click()
    expect(page.get_by_test_id("share-requests-table")).to_contain_text("已同意")
