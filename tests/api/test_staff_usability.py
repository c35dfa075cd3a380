"""Staff pages in a clerk's words (issue 13): departments by name, a success banner after each action, a
confirmation before a decision that cannot be undone (and nothing done until it is confirmed), the GOV.UK error
pattern, and error pages in Chinese with a way back for 403, 404, 409 and 500."""

from __future__ import annotations

import re

import httpx
from fastapi import APIRouter

from api.app import create_app
from api.problems import Problem
from tests.api.test_staff_forms import _until
from tests.api.test_staff_pages import _login

INTERNALS = re.compile(r"\b(commitment|objection|complaint|record|applicant|system|credit_office|department|None|"
                       r"True|False)\b")


def visible_text(html: str) -> str:
    """The page's text as read: no tags, attributes, or the hidden fields' values."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


async def _complaint(api) -> int:  # type: ignore[no-untyped-def]
    filed = await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears", "subject": "拖欠货款",
                                                    "description": "两年未结算"})
    return int(filed.json()["id"])


async def test_triage_picks_a_department_by_name_and_dismissal_asks_first(api, tokens) -> None:
    kid = await _complaint(api)
    csrf = await _login(api, "xyb")
    page = await api.get(f"/staff/complaints/{kid}")
    assert page.status_code == 200 and "改派单位代码" not in page.text
    picker = re.search(r'<select id="triage-department" name="department"[^>]*>(.*?)</select>', page.text, re.S)
    assert picker and '<option value="">不改派</option>' in picker.group(1)
    assert '<option value="scjg">市市场监督管理局</option>' in picker.group(1)
    assert f"投诉 {kid}：拖欠货款" in page.text and "市发展和改革委员会" in page.text
    assert not INTERNALS.search(visible_text(page.text)), INTERNALS.search(visible_text(page.text))
    nonce = re.search(r'name="nonce" value="([^"]+-triage)"', page.text).group(1)

    # 不予受理: the first POST only asks, carrying the form (csrf and nonce too) as hidden fields
    ask = await api.post(f"/staff/complaints/{kid}/triage", data={"csrf": csrf, "nonce": nonce, "dismiss": "true",
                                                                 "reason": "不属于受理范围"})
    assert ask.status_code == 200 and "请确认：不予受理" in ask.text and "提交后不能撤销" in ask.text
    assert f'name="nonce" value="{nonce}"' in ask.text and f'name="csrf" value="{csrf}"' in ask.text
    assert 'name="confirmed" value="1"' in ask.text and "不属于受理范围" in ask.text
    assert (await api.get(f"/api/complaints/{kid}", headers=tokens["xyb"])).json()["state"] == "submitted"
    # 返回修改: the form again, as it was filled in
    back = await api.post(f"/staff/complaints/{kid}/triage", data={"csrf": csrf, "nonce": nonce, "dismiss": "true",
                                                                  "reason": "不属于受理范围", "confirmed": "back"})
    assert back.status_code == 200 and "不属于受理范围" in back.text and "出现以下问题" not in back.text
    # confirmed: done, and the page says so
    done = await api.post(f"/staff/complaints/{kid}/triage", data={"csrf": csrf, "nonce": nonce, "dismiss": "true",
                                                                  "reason": "不属于受理范围", "confirmed": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/staff/complaints/{kid}?done=triage:true"
    await _until(api, f"/api/complaints/{kid}", tokens["xyb"], lambda c: c["state"] == "dismissed")
    page = await api.get(done.headers["location"])
    assert re.search(r'<div class="success-banner" role="status" aria-live="polite"[^>]*>\s*<h2[^>]*>已提交：不予受理',
                     page.text)
    assert "信用办（xyb）" in page.text and "投诉人" in page.text  # who did what, in Chinese


async def test_success_banner_never_echoes_the_query(api, tokens) -> None:
    kid = await _complaint(api)
    await _login(api, "xyb")
    for done in ("<b>hacked</b>", "triage:<b>x</b>", "nosuch", "triage:nosuch"):
        page = await api.get(f"/staff/complaints/{kid}", params={"done": done})
        assert page.status_code == 200 and "hacked" not in page.text and "&lt;b&gt;" not in page.text
    page = await api.get(f"/staff/complaints/{kid}", params={"done": "triage:nosuch"})
    assert "已提交：分办投诉" in page.text or "已提交：" in page.text  # the action's own label, never the query


async def test_a_routine_step_is_done_at_once_with_a_banner(api, tokens) -> None:
    kid = await _complaint(api)
    csrf = await _login(api, "xyb")
    r = await api.post(f"/staff/complaints/{kid}/triage", data={"csrf": csrf, "dismiss": "false",
                                                               "department": "scjg"})
    assert r.status_code == 303
    await _until(api, f"/api/complaints/{kid}", tokens["xyb"], lambda c: c["state"] == "triaged")
    assert "已提交：分办" in (await api.get(r.headers["location"])).text


async def test_form_errors_follow_the_gov_uk_pattern(api, tokens) -> None:
    csrf = await _login(api, "fgw")
    form = await api.get("/staff/commitments/new")
    publish = re.search(r'<select id="new-publish" name="publish"[^>]*>\s*<option value="">请选择</option>', form.text)
    assert publish, "登记后立即发布 has no default"
    assert "责任人（选填）" in form.text and 'aria-current="page"' in form.text and "跳到主要内容" in form.text
    r = await api.post("/staff/commitments/new", data={"csrf": csrf, "kind": "processing_time", "title": "",
                                                       "content": "十个工作日内办结", "due_date": "明年"})
    assert r.status_code == 422
    assert re.search(r"<title>错误：登记政务承诺", r.text)
    summary = re.search(r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', r.text, re.S).group(1)
    assert "出现以下问题" in summary
    assert '<a href="#new-title">请填写标题</a>' in summary
    assert '<a href="#new-due_date">请输入 2026-12-31 这样的日期</a>' in summary
    assert '<a href="#new-publish">请选择登记后立即发布</a>' in summary
    # the message sits above its input, which names it
    assert re.search(r'<p class="error-message" id="new-title-error">.*?</p>\s*<input id="new-title" name="title"'
                     r'[^>]*aria-describedby="new-title-error"', r.text, re.S)
    assert 'value="十个工作日内办结"' in r.text or "十个工作日内办结" in r.text  # input kept


async def test_citizen_form_errors_have_a_summary_and_a_title(api) -> None:
    form = await api.get("/objections/new")
    token = re.search(r'name="token" value="([^"]*)"', form.text).group(1)
    r = await api.post("/objections/new", data={"token": token, "target_type": "record", "target_id": "",
                                                "applicant_name": "", "applicant_email": "ww@example.com",
                                                "claim": "有误", "reasons": "已付清", "step": "check"})
    assert r.status_code == 422 and "<title>错误：" in r.text and "出现以下问题" in r.text
    assert re.search(r'<a href="#applicant_name">[^<]*姓名或单位名称', r.text), r.text[:3000]
    assert 'aria-describedby="applicant_name-error"' in r.text


async def test_403_and_404_are_pages_with_a_way_back(api, tokens) -> None:
    kid = await _complaint(api)
    csrf = await _login(api, "fgw")
    r = await api.post(f"/staff/complaints/{kid}/review", data={"csrf": csrf, "substantiated": "false",
                                                               "reason": "x"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "无权访问" in r.text and 'href="/staff"' in r.text and "返回工作台" in r.text
    r = await api.get("/staff/complaints/999999")
    assert r.status_code == 404 and '<html lang="zh-CN">' in r.text and 'href="/staff"' in r.text


def _app_with_failing_pages() -> httpx.AsyncClient:
    app = create_app()
    pages = APIRouter(include_in_schema=False)

    @pages.get("/staff/test-conflict")
    def conflict() -> None:
        raise Problem(409, "该事项已办理")

    @pages.get("/staff/test-crash")
    def crash() -> None:
        raise RuntimeError("boom")

    app.include_router(pages)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="http://chengxin.test")


async def test_409_and_500_are_pages_the_api_keeps_json() -> None:
    async with _app_with_failing_pages() as client:
        r = await client.get("/staff/test-conflict")
        assert r.status_code == 409 and '<html lang="zh-CN">' in r.text and "该事项已办理" in r.text
        assert "返回工作台" in r.text and "当前状态" in r.text
        r = await client.get("/staff/test-crash")
        assert r.status_code == 500 and '<html lang="zh-CN">' in r.text and "boom" not in r.text
        assert "服务器内部错误" in r.text and 'href="/"' in r.text
        r = await client.get("/api/no-such-thing")
        assert r.headers["content-type"] == "application/problem+json"
