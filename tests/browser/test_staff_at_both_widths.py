"""A clerk's day at 390 px and 1366 px: the work queue, a case, a form sent with an error, a confirmation and the
banner after it — no sideways scrolling, and no internal word (type codes, role keys, Python values) or raw
template syntax in the text anyone reads."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page

from tests.browser.test_walkthrough import _login, _look, _page

WIDTHS = (390, 1366)
INTERNALS = re.compile(r"\b(commitment|objection|complaint|record|applicant|system|credit_office|department|None|"
                       r"True|False)\b")


async def _check(page: Page, name: str) -> str:
    await page.wait_for_load_state()  # a click returns once the next page starts; read it whole
    await _look(page, name)
    text = await page.inner_text("body")
    assert "{{" not in text and "{%" not in text, name
    found = INTERNALS.search(text)
    assert not found, f"{name}: internal word {found.group(0)!r}"
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls"
    return text


async def test_staff_pages_at_both_widths(site, browser, api, tokens) -> None:
    page, violations = await _page(browser)
    for width in WIDTHS:
        kid = (await api.post("/api/complaints", json={
            "department": "fgw", "topic": "arrears", "subject": "拖欠中小企业货款两年未结算",
            "description": "合同约定验收后三十日内付款，至今未付。"})).json()["id"]
        for _ in range(400):
            if (await api.get(f"/api/complaints/{kid}", headers=tokens["xyb"])).json().get("deadlines"):
                break
            await asyncio.sleep(0.05)
        await page.set_viewport_size({"width": width, "height": 900})
        await _login(page, site, "xyb")
        text = await _check(page, f"staff-queue-{width}")
        assert "等待我处理" in text and f"投诉 {kid}：拖欠中小企业货款两年未结算" in text
        await page.click(f"text=投诉 {kid}：拖欠中小企业货款两年未结算 >> nth=0")
        text = await _check(page, f"staff-case-{width}")
        assert "剩余" in text or "今天到期" in text or "已逾期" in text
        assert "改派单位" in text and await page.locator("#triage-department option").first.inner_text() == "不改派"

        # 不予受理 without a reason: confirmed, then refused with the error pattern
        await page.click("#action-triage button[value=true]")
        text = await _check(page, f"staff-confirm-{width}")
        assert "请确认：不予受理" in text and "提交后不能撤销" in text
        await page.click("text=确认不予受理")
        await page.wait_for_load_state()
        text = await _check(page, f"staff-form-error-{width}")
        assert "出现以下问题" in text and (await page.title()).startswith("错误：")

        # 分办 to another department, by name: done at once, with a banner
        await page.select_option("#triage-department", label="市市场监督管理局")
        await page.click("#action-triage button[value=false]")
        await page.wait_for_url(f"{site}/staff/complaints/{kid}?done=*")
        text = await _check(page, f"staff-done-{width}")
        assert "已提交：分办" in text

        await page.goto(f"{site}/staff/commitments/new")
        await page.click("#new-form button[type=submit]")
        text = await _check(page, f"staff-new-error-{width}")
        assert "请选择登记后立即发布" in text and "请填写标题" in text
        await page.click(".error-summary a[href='#new-title']")
        assert await page.evaluate("document.activeElement.id") == "new-title"
    assert not violations, violations
