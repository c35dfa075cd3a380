"""Following by e-mail in a real browser (Debian's Chromium) at 390px: the follow form on a commitment's page,
the page saying where the confirmation went, the link from the mail, one mail for a change, and the
unsubscribe link from that mail. Every page fits 390px without sideways scrolling and shows Chinese only
(the typed address aside)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page

from tests.api.test_commitments_api import body, settled
from tests.browser.conftest import SCREENSHOTS

FAN = "fan@example.org"
LINK = re.compile(r"https?://\S+/follow/(?:confirm|unsubscribe)\?token=[\w.-]+")


def _link(site: str, m: EmailMessage) -> str:
    part = m.get_body(("plain",))
    assert part is not None
    found = LINK.search(part.get_content())  # type: ignore[attr-defined]
    assert found is not None
    url = urlsplit(found.group(0))
    return f"{site}{url.path}?{url.query}"


async def _look(page: Page, name: str) -> str:
    await page.set_viewport_size({"width": 390, "height": 900})
    await page.screenshot(path=str(SCREENSHOTS / f"follow-{name}-390.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
    text = await page.inner_text("main")
    latin = re.findall(r"[A-Za-z]{2,}", text.replace(FAN, ""))
    assert latin == [], f"Latin words on {name}: {latin}"
    return text


async def test_follow_a_commitment_then_unsubscribe_from_the_mail(site, browser: Browser, api, tokens,
                                                                  smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=body(title="企业开办一日办结"), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published" and c["deadlines"])
    page = await browser.new_page(viewport={"width": 390, "height": 900})

    await page.goto(f"{site}/commitments/{cid}")
    assert "关注此承诺" in await _look(page, "01-commitment")
    await page.fill("#follow-email", "不是邮箱@")
    await page.evaluate("document.querySelector('#follow-email').type = 'text'")  # past the browser's own check
    await page.click("button:has-text('关注此承诺')")
    text = await _look(page, "02-bad-address")
    assert "存在以下问题" in text and "电子邮箱格式无效" in text
    await page.fill("#email", FAN)
    await page.click("main button:has-text('关注')")
    await page.wait_for_url(f"{site}/follow/sent*")
    text = await _look(page, "03-sent")
    assert f"我们已向 {FAN} 发送确认邮件，请点击邮件中的链接完成关注" in text and "接下来会怎样" in text

    [mail] = await smtp_sink.wait_for(lambda m: FAN in str(m["To"]) and "【请确认】" in str(m["Subject"]))
    await page.goto(_link(site, mail))
    text = await _look(page, "04-confirmed")
    assert "关注成功" in text and "企业开办一日办结" in text

    r = await api.post(f"/api/commitments/{cid}/extension", json={"working_days": 5, "reason": "因系统升级顺延"},
                       headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    subject = f"【关注】政务承诺 {cid}：延期"
    [change] = await smtp_sink.wait_for(lambda m: FAN in str(m["To"]) and str(m["Subject"]) == subject)
    await page.goto(_link(site, change))
    text = await _look(page, "05-unsubscribed")
    assert "已取消关注" in text and "您不会再收到关于" in text
    await page.reload()  # a second click changes nothing and says the same
    assert "已取消关注" in await page.inner_text("main")
    await page.click("main a:has-text('该页面')")
    await page.wait_for_url(f"{site}/commitments/{cid}")
