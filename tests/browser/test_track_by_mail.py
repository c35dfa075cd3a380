"""The tracking code by e-mail, used as a citizen would (Debian's Chromium, 390px): file an objection with an
address on the page, open the link in the code mail, type the code from the mail, and read the timeline."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from playwright.async_api import Browser

from tests.api.test_commitments_api import body, settled
from tests.browser.conftest import SCREENSHOTS

APPLICANT = "zl@example.com"
CODE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){5}\b")
TRACK_LINK = re.compile(r"https?://[^\s/]+/track\b")


def _text(m: EmailMessage) -> str:
    part = m.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


async def test_the_code_mail_opens_the_tracking_page_and_its_code_shows_the_timeline(
        site, browser: Browser, api, tokens, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, tokens["fgw"], lambda c: c["state"] == "published")
    page = await browser.new_page(viewport={"width": 390, "height": 900})

    await page.goto(f"{site}/objections/new?target_type=commitment&target_id={cid}")
    await page.fill("input[name=applicant_name]", "赵六")
    await page.fill("input[name=applicant_email]", APPLICANT)
    await page.fill("textarea[name=claim]", "承诺未按期办结")
    await page.fill("textarea[name=reasons]", "办理超过承诺时限")
    await page.click("button[name=step][value=check]")
    await page.click("#file-button")
    assert "查询码也已发送到您填写的电子邮箱" in await page.inner_text("main")

    mails = await smtp_sink.wait_for(
        lambda _m: any("查询码" in str(m["Subject"]) for m in smtp_sink.to(APPLICANT)))
    code_mail = next(m for m in mails if APPLICANT in str(m["To"]) and "查询码" in str(m["Subject"]))
    text = _text(code_mail)
    code = CODE.search(text)
    link = TRACK_LINK.search(text)
    assert code is not None and link is not None, text

    await page.goto(f"{site}{urlsplit(link.group(0)).path}")  # the mail's link, on this test's server
    await page.fill("input[name=code]", code.group(0))
    await page.click("main form button")
    shown = await page.inner_text("main")
    await page.screenshot(path=str(SCREENSHOTS / "track-by-mail-390.png"), full_page=True)
    assert "提交" in shown and "受理" in shown  # the timeline's steps
    assert "对《" in shown and "》的异议" in shown  # what the case is about
    assert "查询码无效" not in shown
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    assert code.group(0) not in page.url  # the code travels in the form body, never in the address
