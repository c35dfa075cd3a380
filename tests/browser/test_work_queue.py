"""The staff work queue in a real browser, as a department clerk and the credit office see it at 390 px and
1366 px: exactly the steps each can take now, with the deadline and the working days left, and no sideways
scrolling."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from playwright.async_api import Browser

from api.validation import today_local
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_walkthrough import _login, _look, _page

WIDTHS = (390, 1366)


def _queue(text: str) -> str:
    start = text.index("等待我处理")
    end = text.find("其他约束本单位的时限", start)
    return text[start:end if end >= 0 else None]


async def test_the_queue_lists_each_step_with_its_deadline_at_both_widths(site, browser: Browser, api,
                                                                         tokens) -> None:
    rid = (await api.post("/api/records", headers=tokens["xyb"], json={
        "subject_department": "fgw", "category": "arrears", "severity": "general", "facts": "拖欠工程款",
        "decision_date": (today_local() - timedelta(days=30)).isoformat(),
        "rectification_due": (today_local() + timedelta(days=20)).isoformat()})).json()["id"]
    cid = (await api.post("/api/commitments", headers=tokens["fgw"], json={
        "kind": "processing_time", "title": "不动产登记三个工作日办结", "content": "全市通办",
        "due_date": (today_local() + timedelta(days=30)).isoformat(), "publish": True})).json()["id"]
    for _ in range(400):
        record = (await api.get(f"/api/records/{rid}", headers=tokens["fgw"])).json()
        commitment = (await api.get(f"/api/commitments/{cid}")).json()
        if len(record["deadlines"]) >= 2 and commitment["deadlines"]:
            break
        await asyncio.sleep(0.05)
    page, violations = await _page(browser)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await _login(page, site, "fgw")
        text = _queue(await _look(page, f"queue-department-{width}"))
        # both running deadlines of the record are steps for the department, and the commitment's report
        assert text.count(f"失信记录 {rid}") == 2 and "书面说明原因" in text and "提交整改材料" in text, text
        assert f"政务承诺 {cid}" in text and "报告履行情况" in text
        assert "剩余" in text and "个工作日" in text
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
        await _login(page, site, "xyb")
        text = _queue(await _look(page, f"queue-credit-office-{width}"))
        # nothing awaits the credit office yet: no change was requested, no rectification submitted
        assert "没有等待您处理的事项" in text, text
        assert "审批变更或撤回" not in text and "核验整改" not in text
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), width
    assert not violations, violations
    assert (SCREENSHOTS / "queue-department-390.png").is_file()
