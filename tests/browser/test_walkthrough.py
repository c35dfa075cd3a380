"""A real browser walks the product: a citizen objects and tracks the objection; a department logs in,
finds its deadline in the queue and reports fulfilment; the credit office accepts; the public page
changes. Every page is saved as a screenshot and checked for raw template syntax and escaping, and the
browser reports no Content-Security-Policy violation on any of them (no inline script or style)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from playwright.async_api import Browser, Page

from activities.mail_message import build_message
from activities.notify import render
from api.validation import today_local
from dev.mailsink import MailSinkHandler
from domain.settings import get_settings
from store.models import Outbox
from tests.browser.conftest import SCREENSHOTS

SCRIPT = "<script>alert('x')</script>"


async def _look(page: Page, name: str) -> str:
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    text = await page.content()
    assert "{{" not in text and "{%" not in text, f"raw template syntax on {name}"
    assert SCRIPT not in text, f"unescaped input on {name}"
    return text


async def _page(browser: Browser) -> tuple[Page, list[str]]:
    """A new page and the CSP violations its console reports (Chromium logs each refused inline style
    or script as "Refused to ... because it violates the following Content Security Policy directive")."""
    page = await browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return page, violations


async def _login(page: Page, site: str, username: str) -> None:
    await page.context.clear_cookies()
    await page.goto(f"{site}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", f"{username}-pw")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{site}/staff")


async def test_citizen_department_and_credit_office_in_a_browser(site, browser, api, tokens) -> None:
    due = (today_local() + timedelta(days=3)).isoformat()
    cid = (await api.post("/api/commitments", headers=tokens["fgw"], json={
        "kind": "processing_time", "title": "不动产登记三个工作日办结", "content": "全市通办", "due_date": due,
        "publish": True})).json()["id"]
    rid = (await api.post("/api/records", headers=tokens["xyb"], json={
        "subject_department": "fgw", "category": "arrears", "severity": "general", "facts": "拖欠工程款",
        "decision_date": (today_local() - timedelta(days=30)).isoformat()})).json()["id"]
    for _ in range(400):
        c = (await api.get(f"/api/commitments/{cid}")).json()
        r = (await api.get(f"/api/records/{rid}")).json()
        if c.get("deadlines") and r.get("state") == "published":
            break
        await asyncio.sleep(0.05)
    page, violations = await _page(browser)

    # a citizen files an objection (first with bad input) and tracks it by code
    await page.goto(f"{site}/records/{rid}")
    await _look(page, "01-record")
    await page.click("text=对此信息提出异议")
    await page.fill("input[name=applicant_name]", SCRIPT)
    await page.fill("input[name=applicant_email]", "ww@example.com")
    await page.fill("textarea[name=claim]", "记录有误")
    await page.fill("textarea[name=reasons]", "款项已付清")
    await page.click("button[type=submit]")
    text = await _look(page, "02-objection-errors")
    assert "不得包含 HTML 标签或脚本" in text and "&lt;script&gt;" in text  # kept, escaped, for correction
    await page.fill("input[name=applicant_name]", "王五")
    await page.click("button[type=submit]")
    assert "请核对您填写的内容" in await _look(page, "02b-objection-check")
    await page.click("text=确认提交")
    await page.wait_for_url(f"{site}/filed/*")
    code = (await page.inner_text("#tracking-code")).strip()
    await _look(page, "03-objection-filed")
    await page.goto(f"{site}/track")
    await page.fill("input[name=code]", code)
    await page.click("button[type=submit]")
    text = await _look(page, "04-track")
    assert "信用信息异议" in text and "王五" not in text
    await page.goto(f"{site}/records/{rid}")
    assert "异议处理中" in await _look(page, "05-record-marked")

    # the department sees its deadline in the queue and reports fulfilment
    await _login(page, site, "fgw")
    text = await _look(page, "06-queue")
    assert "承诺履行期限" in text and f"政务承诺 {cid}" in text
    await page.click(f"text=政务承诺 {cid}")
    await page.fill("textarea[name=report]", "已按承诺办结")
    await page.click("text=提交报告")
    await page.wait_for_url(f"{site}/staff/commitments/{cid}?done=fulfilment")
    assert "待核验" in await _look(page, "07-reported")

    # the credit office accepts; the public page changes
    await _login(page, site, "xyb")
    await page.goto(f"{site}/staff/commitments/{cid}")
    await page.click("text=核验通过")
    assert "提交后不能撤销" in await _look(page, "07b-confirm-verification")
    await page.click("text=确认核验通过")
    await page.wait_for_url(f"{site}/staff/commitments/{cid}?done=*")
    await page.goto(f"{site}/commitments/{cid}")
    assert "已践诺" in await _look(page, "08-public-fulfilled")
    assert violations == []


async def test_record_forms_and_calendar_preview_in_a_browser(site, browser, api, tokens) -> None:
    page, violations = await _page(browser)
    # the credit office records a breach through the form; the department explains it from its queue
    await _login(page, site, "xyb")
    await page.click("text=记录失信信息")
    await page.select_option("select[name=subject_department]", "fgw")
    await page.select_option("select[name=category]", "arrears")
    await page.fill("textarea[name=facts]", "拖欠中小企业账款")
    await page.fill("input[name=decision_date]", (today_local() - timedelta(days=10)).isoformat())
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{site}/staff/records/*")
    rid = int(page.url.split("?")[0].rsplit("/", 1)[1])
    text = await _look(page, "11-record-registered")
    assert "拖欠中小企业账款" in text and "一般" in text  # the default severity
    for _ in range(400):
        if (await api.get(f"/api/records/{rid}", headers=tokens["xyb"])).json().get("state") == "published":
            break
        await asyncio.sleep(0.05)

    await _login(page, site, "fgw")
    text = await _look(page, "12-department-queue")
    assert "书面说明原因期限" in text
    await page.click(f"text=失信记录 {rid}")
    await page.fill("#explanation-explanation", "资金拨付延迟")
    await page.click("#action-explanation button[type=submit]")
    await page.wait_for_url(f"{site}/staff/records/{rid}?done=explanation")
    assert "资金拨付延迟" in await _look(page, "13-record-explained")

    # the credit office previews a calendar change before saving it
    await _login(page, site, "xyb")
    await page.click("text=工作日历")
    await page.fill("input[name=date]", (today_local() + timedelta(days=1)).isoformat())
    await page.select_option("select[name=kind]", "holiday")
    await page.fill("input[name=reason]", "测试：临时放假")
    await page.click("text=预览影响")
    text = await _look(page, "14-calendar-preview")
    assert "此变更将影响" in text
    await page.click("text=确认保存")
    await page.wait_for_url(f"{site}/admin/calendar?*")
    text = await _look(page, "15-calendar-saved")
    assert "已保存为日历版本" in text and "测试：临时放假" in text
    assert violations == []


async def test_dev_mail_shows_an_html_notice_under_the_policy(site, browser, tmp_path) -> None:
    """/dev/mail frames an e-mail's own HTML (inline styles, as mail clients need) from a sandboxed URL
    with its own policy: the text shows and the page reports no violation."""
    subject, text, html = render("complaint_received", {"case_id": 7, "title": "测试投诉"})
    row = Outbox(id=1, case_type="complaint", case_id=7, event_key="submitted", recipient="ls@example.com",
                 template="complaint_received", subject=subject, text=text, html=html,
                 deliver_at=datetime.now(UTC), created_at=datetime.now(UTC))
    stored = MailSinkHandler(tmp_path).store("noreply@chengxin.localhost", ["ls@example.com"],
                                             build_message(row).as_bytes())
    os.environ["DEV_MAIL_DIR"] = str(tmp_path)
    get_settings.cache_clear()
    try:
        page, violations = await _page(browser)
        await page.goto(f"{site}/dev/mail/{stored.name}")
        await _look(page, "21-dev-mail-message")
        frame = page.frame_locator("iframe.mail-frame")
        assert "我们已收到您关于“测试投诉”的投诉" in await frame.locator("body").inner_text()
        assert violations == []
    finally:
        del os.environ["DEV_MAIL_DIR"]
        get_settings.cache_clear()
