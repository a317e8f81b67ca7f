from test_browser import *  # noqa
from test_browser import _sign_in  # noqa

def test_debug(page: Page, site: Site) -> None:
    msgs = []
    page.on("console", lambda m: msgs.append(m.text))
    _sign_in(page, site, "webviewer")
    page.goto(site.url + "/regions")
    expect(page.get_by_test_id("region-map").locator("canvas")).to_be_visible()
    page.wait_for_timeout(1000)
    chart = page.get_by_test_id("region-map")
    box = chart.bounding_box()
    print("box", box)
    for fx, fy in [(0.44, 0.5), (0.5, 0.3), (0.6, 0.6)]:
        page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
        page.wait_for_timeout(300)
        print(fx, fy, page.locator("body").inner_text()[-200:].replace("\n", " | "))
    chart.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.6})
    page.wait_for_timeout(1500)
    print("title", page.get_by_test_id("region-title").inner_text())
    print(msgs)
    page.screenshot(path="/tmp/cbweb/dbg.png")
