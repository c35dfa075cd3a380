"""归集共享 in a browser at 390 px and 1366 px: the admin registers a subordinate platform and reads its key
once, registers this instance's own city-level platform (a mistake first: errors beside the fields, the secret
not echoed), and the record that reaches it shows on /shared with its source — no sideways scrolling, no
internal words."""

from __future__ import annotations

import asyncio

from tests.api.test_records_api import record_body
from tests.browser.test_staff_at_both_widths import _check
from tests.browser.test_walkthrough import _login, _page


async def test_admin_connects_two_levels_and_the_public_sees_the_source(site, browser, api, tokens) -> None:
    page, _ = await _page(browser)
    await page.set_viewport_size({"width": 390, "height": 900})
    await _login(page, site, "admin")
    await page.click("text=归集共享")
    text = await _check(page, "sharing-empty-390")
    assert "尚未登记上级接收平台" in text and "尚未登记下级平台" in text

    await page.fill("#add-sender #code", "county")
    await page.fill("#add-sender #name", "某某县政务诚信平台")
    await page.click("text=登记并签发密钥")
    text = await _check(page, "sharing-key-once-390")
    assert "已登记下级平台“某某县政务诚信平台”" in text and "密钥只在此显示一次" in text
    codes = [await c.inner_text() for c in await page.locator("dd code").all()]
    key_id, secret = codes[1], codes[2]
    assert key_id.startswith("k-") and len(secret) > 30

    await page.goto(f"{site}/admin/sharing")
    await page.fill("#add-platform #name", "市公共信用信息平台")
    await page.fill("#add-platform #url", "不是地址")
    await page.fill("#add-platform #sender_code", "county")
    await page.fill("#add-platform #key_id", key_id)
    await page.fill("#add-platform #secret", secret)
    await page.click("text=登记接收平台")
    text = await _check(page, "sharing-platform-error-390")
    assert "接收地址：网址格式无效" in text and await page.input_value("#add-platform #secret") == ""
    assert "Input" not in text and "URL" not in text
    summary = page.locator(".error-summary a")
    assert await summary.count() == 1 and (await summary.inner_text()).startswith("接收地址：网址格式无效")
    assert await summary.get_attribute("href") == "#url" and (await page.title()).startswith("错误：")
    await page.fill("#add-platform #url", f"{site}/api/sharing/v1/deliveries")
    await page.fill("#add-platform #secret", secret)
    await page.click("text=登记接收平台")
    text = await _check(page, "sharing-platform-added-390")
    assert "已登记接收平台" in text and "市公共信用信息平台" in text

    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    for _ in range(200):
        if (await api.get("/api/shared")).json()["total"] == 1:
            break
        await asyncio.sleep(0.1)
    for width in (390, 1366):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(f"{site}/admin/sharing")
        await page.click("text=市公共信用信息平台 >> nth=0")
        text = await _check(page, f"sharing-platform-{width}")
        assert f"失信记录 {rid}" in text and "已接收" in text
        sent = (await page.locator("td[data-label=送达情况]").first.inner_text()).split(" ")[:2]
        assert " ".join(sent) in text.split("已接收")[1][:30]  # the receipt's time in the same (Beijing) time
        await page.goto(f"{site}/shared")
        text = await _check(page, f"shared-{width}")
        assert "某某县政务诚信平台" in text and "市发展和改革委员会" in text and "公示中" in text
        assert "严重程度：一般；认定日期" in text and "；\n" not in text
