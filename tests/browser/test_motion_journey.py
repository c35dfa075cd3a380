"""建议提案 in a real browser: the co-unit sends its opinion, the lead unit drafts the reply and its leader signs it,
the coordinator makes it public, and the public reads it on /motions — each page at 390 and 1366 px without
sideways scrolling, template syntax or internal words, and never the deputy's contact."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser

from tests.api.conftest import bearer_headers
from tests.api.test_motions_api import CONTACT, motion_body
from tests.browser.test_evidence_journey import _check
from tests.browser.test_walkthrough import _login


async def _state(api, mid: int, headers: dict[str, str], state: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(400):
        if (await api.get(f"/api/motions/{mid}", headers=headers)).json().get("state") == state:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"motion {mid} never reached {state}")


async def _submit(page, form: str, button: str | None = None) -> None:  # type: ignore[no-untyped-def]
    locator = page.locator(f"{form} button[type=submit]:not([disabled])")
    await (locator.filter(has_text=button) if button else locator).first.click()
    await page.wait_for_load_state()


async def test_co_unit_lead_unit_and_coordinator_answer_a_suggestion(site, browser: Browser, api, tokens) -> None:
    coordinator = (await bearer_headers(api, {"zfb": ("coordinator", None)}))["zfb"]
    page = await browser.new_page()
    await _login(page, site, "zfb")  # the government office registers it on its form
    await page.goto(f"{site}/staff/motions/new")
    body = motion_body()
    await page.select_option("#new-kind", body["kind"])
    for name in ("number", "title", "deputy_name", "deputy_contact"):
        await page.fill(f"#new-{name}", body[name])
    await page.fill("#new-content", body["content"])
    await page.select_option("#new-lead_department", body["lead_department"])
    await page.check("input[name=co_departments][value=scjg]")
    await _check(page, "motion-00-register-form")
    await _submit(page, "#new-form")
    text = await _check(page, "motion-00-registered")
    assert "登记建议提案" in text and "市场监督管理局" in text
    mid = int(page.url.split("/staff/motions/")[1].split("?")[0])
    await _state(api, mid, coordinator, "assigned")

    await _login(page, site, "scjg")
    text = await _check(page, "motion-01-co-unit-queue")
    assert "送会办意见" in text
    await page.goto(f"{site}/staff/motions/{mid}")
    await page.locator("#action-send_opinion textarea[name=opinion]").fill("同意主办单位意见，配合清欠。")
    await _submit(page, "#action-send_opinion")
    text = await _check(page, "motion-02-opinion-sent")
    assert "已提交" in text and CONTACT not in text

    await _login(page, site, "fgw")
    await page.goto(f"{site}/staff/motions/{mid}")
    form = page.locator("#action-draft_reply")
    await form.locator("textarea[name=reply]").fill("已清理拖欠企业账款 3 笔，建立清欠台账。")
    await form.locator("select[name=result_class]").select_option("A")
    await _submit(page, "#action-draft_reply")
    await _check(page, "motion-03-drafted")
    await page.locator("#action-approve_reply input[name=leader]").fill("王主任")
    await _submit(page, "#action-approve_reply")
    if await page.locator("#confirm-form").count():  # an irreversible step asks first
        await _submit(page, "#confirm-form", "确认")
    text = await _check(page, "motion-04-replied")
    assert "已提交" in text and CONTACT not in text
    await _state(api, mid, coordinator, "replied")

    await _login(page, site, "zfb")
    await page.goto(f"{site}/staff/motions/{mid}")
    assert CONTACT in await _check(page, "motion-05-coordinator")  # the office keeps the contact
    await _submit(page, "#action-publish_reply")
    if await page.locator("#confirm-form").count():
        await _submit(page, "#confirm-form", "确认")
    await _check(page, "motion-06-published")

    await page.context.clear_cookies()
    await page.goto(f"{site}/motions")
    text = await _check(page, "motion-07-public")
    assert "关于优化营商环境的建议" in text and "已清理拖欠企业账款 3 笔" in text
    assert CONTACT not in text and "李代表" not in text
    await page.close()
