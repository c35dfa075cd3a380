"""A citizen in a real browser (Debian's Chromium): checks the answers before filing, files once however often
the receipt is refreshed or the button is clicked, reads the grouped code, tracks by typing it in lower case
without hyphens, rates and withdraws through a confirm step. The app runs under uvicorn with its access log
captured: no line of it holds a tracking code. Every new page is saved at 390px and 1366px, has no horizontal
scrolling at 390px, no Latin words besides the code, and no CSP violation."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, Page
from sqlmodel import func, select

from api.app import create_app
from api.validation import today_local
from store.db import session_scope
from store.models import Complaint, Objection
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import free_port

WIDTHS = (390, 1366)
CODELIKE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){5}|K7QX-M3TD-…")


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest_asyncio.fixture
async def logged_site(temporal_client, worker) -> AsyncIterator[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """The app over real HTTP with uvicorn's access log on, its lines collected."""
    app = create_app()
    app.state.temporal = temporal_client
    handler = _Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True,
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(400):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}", handler.lines
    server.should_exit = True
    await task
    access.removeHandler(handler)


# The names of file formats and sizes, as people see them on their own files: the upload hint says which it
# accepts (domain/attachments.ACCEPTED_ZH); everything else on a citizen's page is Chinese.
FILE_WORDS = {"PDF", "OFD", "JPEG", "PNG", "Word", "docx", "Excel", "xlsx", "MB", "KB"}


async def _look(page: Page, name: str) -> str:
    """Screenshots at both widths; the page fits 390px and shows no Latin words but the code."""
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(SCREENSHOTS / f"citizen-{name}-{width}.png"), full_page=True)
        if width == 390:
            assert await page.evaluate("document.documentElement.scrollWidth") <= 390, f"{name} scrolls sideways"
    text = await page.inner_text("main")
    assert "{{" not in text and "{%" not in text
    latin = re.findall(r"[A-Za-z]{2,}", CODELIKE.sub("", text.replace("ww@example.com", "")))  # the input
    latin = [w for w in latin if w not in FILE_WORDS]
    assert latin == [], f"Latin words on {name}: {latin}"
    return text


def _count(model: type) -> int:
    with session_scope() as s:
        return s.exec(select(func.count()).select_from(model)).one()


async def test_citizen_files_once_tracks_rates_and_withdraws(logged_site, browser: Browser, api, tokens) -> None:
    site, access_log = logged_site
    rid = (await api.post("/api/records", headers=tokens["xyb"], json={
        "subject_department": "fgw", "category": "arrears", "severity": "general", "facts": "拖欠工程款",
        "decision_date": (today_local() - timedelta(days=30)).isoformat()})).json()["id"]
    for _ in range(400):
        if (await api.get(f"/api/records/{rid}")).json().get("state") == "published":
            break
        await asyncio.sleep(0.05)
    page = await browser.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    # an objection: the form, the check step, a change kept, filing, the receipt and a refresh
    await page.goto(f"{site}/objections/new?target_type=record&target_id={rid}")
    await page.fill("input[name=applicant_name]", "王五")
    await page.fill("input[name=applicant_email]", "ww@example.com")
    await page.fill("textarea[name=claim]", "记录有误")
    await page.fill("textarea[name=reasons]", "款项已于认定前付清")
    await _look(page, "01-objection-form")
    await page.click("text=下一步：核对填写内容")
    text = await _look(page, "02-check-answers")
    assert "请核对您填写的内容" in text and "记录有误" in text and "款项已于认定前付清" in text
    assert _count(Objection) == 0
    await page.click("button:has-text('修改异议内容')")
    assert await page.input_value("textarea[name=reasons]") == "款项已于认定前付清"  # the input is kept
    await page.fill("textarea[name=claim]", "记录有误，款项已付清")
    await page.click("text=下一步：核对填写内容")
    assert "记录有误，款项已付清" in await page.inner_text("main")
    await page.click("text=确认提交")
    await page.wait_for_url(f"{site}/filed/*")
    text = await _look(page, "03-receipt")
    objection_code = (await page.inner_text("#tracking-code")).strip()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}", objection_code)
    assert "信用信息异议已提交" in text and "接下来会怎样" in text and "异议受理期限" in text
    assert "查询码也已发送到您填写的电子邮箱" in text
    await page.reload()
    assert (await page.inner_text("#tracking-code")).strip() == objection_code
    assert _count(Objection) == 1

    # a complaint: the confirm button clicked twice files one complaint
    await page.goto(f"{site}/complaints/new")
    await page.select_option("select[name=department]", "fgw")
    await page.fill("input[name=subject]", "拖欠工程款")
    await page.fill("textarea[name=description]", "竣工两年未结算")
    await page.click("text=下一步：核对填写内容")
    assert "匿名投诉" in await page.inner_text("main")
    await page.dblclick("#file-button")
    await page.wait_for_url(f"{site}/filed/*")
    await page.wait_for_load_state()
    complaint_code = (await page.inner_text("#tracking-code")).strip()
    text = await _look(page, "04-complaint-receipt")
    assert "您没有留电子邮箱" in text and "投诉分办期限" in text
    await page.reload()
    assert _count(Complaint) == 1 and (await page.inner_text("#tracking-code")).strip() == complaint_code

    # tracking by typing the code in lower case, without hyphens
    await page.goto(f"{site}/track")
    await page.fill("input[name=code]", complaint_code.lower().replace("-", ""))
    await page.click("button:has-text('查询')")
    text = await _look(page, "05-track-timeline")
    assert "对市发展和改革委员会的投诉：拖欠工程款" in text
    assert re.search(r"分办\s*进行中，剩余 \d+ 个工作日", text) and re.search(r"单位答复\s*未开始", text)

    # the complaint is answered; the citizen rates it 不满意 through the confirm step
    kid = (await api.get("/api/complaints", headers=tokens["xyb"])).json()["items"][0]["id"]
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    await api.post(f"/api/complaints/{kid}/response", json={"response": "已安排结算"}, headers=tokens["fgw"])
    await api.post(f"/api/complaints/{kid}/review", json={"substantiated": False, "reason": "已结算完毕"},
                   headers=tokens["xyb"])
    await page.goto(f"{site}/track")
    await page.fill("input[name=code]", complaint_code.replace("-", " "))
    await page.click("button:has-text('查询')")
    text = await _look(page, "06-track-answered")
    assert "已结算完毕" in text and re.search(r"审核\s*已完成", text)
    await page.fill("input[name=comment]", "款项仍未到账")
    await page.click("button:has-text('不满意')")
    text = await _look(page, "07-confirm-rating")
    assert "确认评价为“不满意”吗？" in text and "款项仍未到账" in text
    await page.click("#confirm-button")
    text = await _look(page, "08-rated")
    assert "已记录您的评价：不满意。" in text
    assert re.search(r"投诉已退回信用办重新审核，最迟\d{4}年\d+月\d+日作出审核意见", text)
    assert re.search(r"重新审核\s*进行中，剩余 \d+ 个工作日", text)

    # the objection is withdrawn through the confirm step
    await page.goto(f"{site}/track")
    await page.fill("input[name=code]", objection_code.lower())
    await page.click("button:has-text('查询')")
    text = await _look(page, "09-track-objection")
    assert "对《失信记录" in text and re.search(r"受理\s*进行中", text)
    await page.click("button:has-text('撤回异议')")
    text = await _look(page, "10-confirm-withdrawal")
    assert "确认撤回异议吗？" in text
    await page.click("#confirm-button")
    text = await _look(page, "11-withdrawn")
    assert "您的异议已撤回。" in text and "已撤回" in text and "不再办理" in text

    # the access log saw every request, never a code
    assert any("/filed/" in line for line in access_log) and any("POST /track" in line for line in access_log)
    for code in (objection_code, complaint_code):
        forms = {code, code.replace("-", ""), code.lower(), code.lower().replace("-", "")}
        assert not [line for line in access_log if any(f in line or f in line.upper() for f in forms)]
    assert violations == []
