"""The public commitment page with a fulfilment report, its verification, milestones, progress updates and a public
evidence file, in Debian's Chromium: at 390px nothing scrolls sideways (the SHA-256 wraps), the bars are drawn
without inline style (no CSP violation), and the only Latin text is the file's name, its size unit and its hash."""

from __future__ import annotations

import re

from playwright.async_api import Browser

from tests.api.test_commitment_progress_api import PDF, _commitment
from tests.api.test_commitments_api import settled
from tests.browser.conftest import SCREENSHOTS


async def test_progress_page_fits_a_phone(site, browser: Browser, api, tokens) -> None:  # type: ignore[no-untyped-def]
    cid = await _commitment(api, tokens)
    up = await api.post("/api/attachments", files={"files": ("推行方案.pdf", PDF, "application/pdf")},
                        headers=tokens["fgw"])
    file_id = up.json()["attachments"][0]["id"]
    for text, percent, files in (("方案已起草完毕，正在征求意见", 40, [file_id]), ("已召开企业座谈会", 60, [])):
        r = await api.post(f"/api/commitments/{cid}/progress", json={"text": text, "percent": percent,
                                                                   "attachments": files}, headers=tokens["fgw"])
        assert r.status_code == 200, r.text
    assert (await api.post(f"/api/attachments/{file_id}/publicity", json={"public": True},
                           headers=tokens["xyb"])).status_code == 200
    await api.post(f"/api/commitments/{cid}/milestones/1/completion", json={}, headers=tokens["fgw"])
    await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "全市企业开办平均用时半天"},
                   headers=tokens["fgw"])
    await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
    await settled(api, cid, {}, lambda c: c["state"] == "fulfilled")

    page = await browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(f"{site}/commitments/{cid}")
    for width in (390, 1366):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SCREENSHOTS / f"commitment-progress-{width}.png"), full_page=True)
        if width == 390:
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    text = await page.inner_text("main")
    assert "核验通过" in text and "已完成 1 / 2 个节点（50%）" in text and "单位自报完成进度 60%" in text
    assert await page.locator("progress").count() == 3
    allowed = re.sub(r"[0-9a-f]{64}|SHA-256|\bKB\b|推行方案\.pdf", "", text)
    assert re.findall(r"[A-Za-z]{2,}", allowed) == []
    assert violations == []
