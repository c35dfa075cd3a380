"""An integrity report in a real browser: the department finds it in its queue and submits it through the
form, the credit office accepts it and reads the consolidated report of the period, at 390 px and 1366 px,
with no sideways scrolling and nothing the CSP refuses."""

from __future__ import annotations

from playwright.async_api import Browser

from tests.api.test_integrity_reports_api import _open
from tests.browser.test_walkthrough import _login, _look, _page


async def test_submitted_accepted_and_consolidated_in_a_browser(site, browser: Browser, api, tokens,
                                                                  temporal_client, worker) -> None:
    rid, key = await _open(temporal_client, worker)
    page, violations = await _page(browser)
    await page.set_viewport_size({"width": 390, "height": 900})
    await _login(page, site, "fgw")
    await page.click(f"text=诚信建设情况报告 {rid}")
    await page.wait_for_url(f"{site}/staff/integrity-reports/{rid}")
    await page.fill("textarea[name=text]", "本季度建立政务诚信档案，开展培训两次")
    await page.click("#action-submission button[type=submit]")
    await page.wait_for_url(f"{site}/staff/integrity-reports/{rid}?done=submission")
    text = await _look(page, "integrity-report-submitted-390")
    assert "已报送待审核" in text and "本季度建立政务诚信档案" in text
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    await page.set_viewport_size({"width": 1366, "height": 900})
    await _login(page, site, "xyb")
    await page.goto(f"{site}/staff/integrity-reports/{rid}")
    await page.click("#action-acceptance button[type=submit]")
    await page.wait_for_url(f"{site}/staff/integrity-reports/{rid}?done=acceptance")
    assert "已审核通过" in await _look(page, "integrity-report-accepted-1366")
    for width in (1366, 390):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(f"{site}/staff/integrity-reports?period={key}")
        text = await _look(page, f"integrity-consolidated-{width}")
        assert "按期报送率：100.0%" in text and "未开启" in text and "按期报送" in text
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    assert not violations, violations
