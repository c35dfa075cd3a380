"""The portal home page (政务诚信专栏) in Debian's Chromium: the counts by status, the latest public change,
a deadline falling due, the ranking's top, the links to lists, objections, open data, feeds and the API,
the footer on every page; it fits 390px without sideways scrolling and needs no JavaScript. /ranking and the
public lists are looked at too, at both widths."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from tests.api.test_commitments_api import _due, body, settled
from tests.api.test_records_api import _wait, record_body
from tests.browser.conftest import SCREENSHOTS

WIDTHS = (390, 1366)
FOOTER_LINKS = {"/open-data": "开放数据", "/feed.atom": "订阅源", "/docs": "接口文档",
                "/objections/new": "如何提出异议", "/complaints/new": "如何投诉举报"}


async def _fits(page: Page, name: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SCREENSHOTS / f"home-{name}-{width}.png"), full_page=True)
        if width == 390:
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"


async def test_home_page_shows_the_state_of_things_and_the_way_on(site: str, browser: Browser, api, tokens) -> None:
    soon = (await api.post("/api/commitments", json=body(title="七日内办结的承诺", due_date=_due(7)),
                           headers=tokens["fgw"])).json()["id"]
    later = (await api.post("/api/commitments", json=body(title="四十日内办结的承诺"),
                            headers=tokens["fgw"])).json()["id"]
    await settled(api, soon, {}, lambda c: c["state"] == "published" and c["deadlines"])
    await settled(api, later, {}, lambda c: c["state"] == "published" and c["deadlines"])
    await api.post(f"/api/commitments/{later}/fulfilment", json={"report": "已完成"}, headers=tokens["fgw"])
    await api.post(f"/api/commitments/{later}/verification", json={"accepted": True}, headers=tokens["xyb"])
    await settled(api, later, {}, lambda c: c["state"] == "fulfilled")
    rid = (await api.post("/api/records", json=record_body(subject_department="scjg"),
                          headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda r: r["state"] == "published")

    context = await browser.new_context(java_script_enabled=False)  # the page needs none
    page = await context.new_page()
    response = await page.goto(f"{site}/")
    assert response is not None and response.status == 200
    await _fits(page, "home")
    main = page.locator("main")
    counts = main.locator("#h-commitments + .tiles")
    assert await counts.locator("a[href='/commitments?state=published']").inner_text() == "1\n履行中"
    assert await counts.locator("a[href='/commitments?state=fulfilled']").inner_text() == "1\n已践诺"
    assert "共 2 项" in await main.locator("#h-commitments").inner_text()
    assert "公示中 1 条" in await main.locator("#h-records").inner_text()
    due = await page.locator("section[aria-labelledby='h-due']").inner_text()
    assert "七日内办结的承诺" in due and "7 天后" in due and "四十日内办结的承诺" not in due
    latest = await page.locator("section[aria-labelledby='h-latest']").inner_text()
    assert "四十日内办结的承诺" in latest and "失信记录" in latest
    ranking = await page.locator("section[aria-labelledby='h-ranking']").inner_text()
    assert "排名靠前" in ranking and "市发展和改革委员会" in ranking
    for href in ("/commitments", "/records", "/objections/new", "/complaints/new", "/track", "/open-data",
                 "/feed.atom", "/docs"):
        assert await main.locator(f"a[href='{href}']").count() >= 1, href
    footer = page.locator("footer")
    for href, text in FOOTER_LINKS.items():
        assert await footer.locator(f"a[href='{href}']").inner_text() == text

    await footer.locator("a[href='/open-data']").click()  # the footer is on every page, and leads on
    assert "开放数据" in await page.locator("h1").inner_text()
    assert await page.locator("main a[href='/open-data/commitments.csv']").count() == 1
    for path in ("/ranking", "/commitments", f"/records/{rid}"):
        await page.goto(f"{site}{path}")
        assert await page.locator("footer a[href='/docs']").count() == 1, path
    await page.goto(f"{site}/commitments")  # the public lists, read through api.queries.run_list
    await _fits(page, "commitments")
    listed = await page.locator("main").inner_text()
    assert "七日内办结的承诺" in listed and "四十日内办结的承诺" in listed
    await page.goto(f"{site}/records")
    await _fits(page, "records")
    assert await page.locator(f"main a[href='/records/{rid}']").count() >= 1
    await page.goto(f"{site}/ranking")
    await _fits(page, "ranking")
    await page.locator("a[href$='department=fgw&figure=commitments_made']").first.click()  # a figure opens its cases
    assert "共 2 件" in await page.locator(".figure-banner").inner_text()
    await context.close()


async def test_api_docs_render_with_no_internet(site: str, browser: Browser) -> None:
    """Swagger UI draws the API from local assets alone: every request elsewhere is refused and none is made."""
    context = await browser.new_context()
    outside: list[str] = []

    async def only_local(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(site):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_local)
    page = await context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    await page.goto(f"{site}/docs")
    await page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
    assert "Chengxin" in await page.locator(".swagger-ui .info .title").inner_text()
    assert await page.locator(".opblock").count() > 10  # the operations are listed
    await page.set_viewport_size({"width": 1366, "height": 900})
    await page.screenshot(path=str(SCREENSHOTS / "home-docs-1366.png"))
    assert outside == [] and not [c for c in console if "Content Security Policy" in c], (outside, console)
    await context.close()
