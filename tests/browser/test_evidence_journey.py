"""Evidence files in a real browser: a department attaches its 办件清单 (PDF) to the fulfilment report and is
refused an HTML page renamed `.pdf`; the credit office sees the file and its SHA-256, makes it public and
verifies; the public page offers the same bytes. Every page fits 390 px and 1366 px without sideways
scrolling and shows no template syntax or internal English words."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta

from playwright.async_api import Browser, Page

from api.validation import today_local
from tests.api.test_attachments import HTML, PDF
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_walkthrough import _login

INTERNALS = re.compile(r"\b(commitment|record|objection|complaint|fulfilment_reported|department|credit_office|"
                       r"applicant|system|None|True|False|null|undefined)\b")
WIDTHS = (390, 1366)


async def _check(page: Page, name: str) -> str:
    """Screenshots at both widths; the page must fit each and say nothing internal."""
    await page.wait_for_load_state()  # a click returns once the next page starts; read it whole
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SCREENSHOTS / f"evidence-{name}-{width}.png"), full_page=True)
        fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, f"{name} scrolls sideways at {width} px"
    html = await page.content()
    assert "{{" not in html and "{%" not in html, f"raw template syntax on {name}"
    text = await page.inner_text("body")
    assert not INTERNALS.search(text), f"internal word on {name}: {INTERNALS.search(text)}"
    return text


async def test_a_pdf_goes_from_the_department_through_the_credit_office_to_the_public(
        site, browser: Browser, api, tokens) -> None:
    due = (today_local() + timedelta(days=20)).isoformat()
    cid = (await api.post("/api/commitments", headers=tokens["fgw"], json={
        "kind": "processing_time", "title": "企业开办一日办结", "content": "全市企业开办一个工作日内办结",
        "due_date": due, "publish": True})).json()["id"]
    for _ in range(400):
        if (await api.get(f"/api/commitments/{cid}")).json().get("state") == "published":
            break
        await asyncio.sleep(0.05)
    page = await browser.new_page()

    await _login(page, site, "fgw")
    await page.goto(f"{site}/staff/commitments/{cid}")
    form = page.locator("#action-fulfilment")
    await form.locator("textarea[name=report]").fill("已全部按时办结，办件清单附后。")
    await form.locator("input[type=file]").set_input_files(
        [{"name": "办件清单.pdf", "mimeType": "application/pdf", "buffer": HTML}])
    await form.locator("button[type=submit]:not([disabled])").first.click()
    text = await _check(page, "01-refused")
    assert "不是可接受的类型" in text and "办件清单.pdf" in text
    assert "已全部按时办结" in await page.locator("#action-fulfilment textarea[name=report]").input_value()

    form = page.locator("#action-fulfilment")
    await form.locator("input[type=file]").set_input_files(
        [{"name": "办件清单.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    await form.locator("button[type=submit]:not([disabled])").first.click()
    await page.wait_for_load_state()
    text = await _check(page, "02-reported")
    assert "办件清单.pdf" in text and "履行情况证明材料" in text

    await _login(page, site, "xyb")
    await page.goto(f"{site}/staff/commitments/{cid}")
    text = await _check(page, "03-verifier")
    assert "已全部按时办结" in text and hashlib.sha256(PDF).hexdigest() in text
    await page.click("text=在公开页面公开")
    await page.wait_for_load_state()
    assert "已公开" in await _check(page, "04-published-file")
    await page.locator("#action-verification button", has_text="核验通过").click()
    await page.wait_for_load_state()
    assert "提交后不能撤销" in await _check(page, "05-confirm")
    await page.click("text=确认核验通过")
    await page.wait_for_load_state()
    assert "已提交：核验通过" in await _check(page, "06-verified")

    await page.context.clear_cookies()
    await page.goto(f"{site}/commitments/{cid}")
    text = await _check(page, "07-public")
    assert "核验结果：核验通过" in text and "已全部按时办结" in text
    assert "办件清单.pdf" in text and hashlib.sha256(PDF).hexdigest() in text
    href = await page.locator("a", has_text="办件清单.pdf").get_attribute("href")
    assert href is not None
    download = await page.request.get(f"{site}{href}")
    assert download.ok and await download.body() == PDF
    assert download.headers["content-disposition"].startswith("attachment")
    await page.close()
