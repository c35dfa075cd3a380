"""The citizens' forms work without JavaScript: Chinese validation messages, escaped input, a tracking
code shown once, tracking and rating by code."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import func, select

from store.db import session_scope
from store.models import Complaint, Objection
from tests.api.test_records_api import _wait, record_body

SCRIPT = '<script>alert("x")</script>'
CODE = re.compile(r'id="tracking-code">([^<]+)<')


async def file_form(api, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """File through a public form as a browser does: the form (its one-time token), check your answers, file;
    the receipt is reached by the redirect. Returns (receipt page, tracking code)."""
    form = await api.get(path)
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    check = await api.post(path, data={**data, "token": token})
    assert check.status_code == 200 and "请核对您填写的内容" in check.text, check.text
    filed = await api.post(path, data={**data, "token": token, "step": "file"})
    assert filed.status_code == 303 and filed.headers["location"].startswith("/filed/"), filed.text
    receipt = await api.get(filed.headers["location"])
    assert receipt.status_code == 200
    return receipt, CODE.search(receipt.text).group(1)


async def test_objection_form_shows_chinese_errors_keeps_input_and_stores_nothing(api, tokens) -> None:
    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    page = await api.get(f"/objections/new?target_type=record&target_id={rid}")
    assert page.status_code == 200 and f'value="{rid}"' in page.text
    r = await api.post("/objections/new", data={"target_type": "record", "target_id": str(rid),
                                                "applicant_name": SCRIPT, "applicant_email": "bad",
                                                "claim": "", "reasons": "理由"})
    assert r.status_code == 422
    assert "不得包含 HTML 标签或脚本" in r.text and "电子邮箱格式无效" in r.text and "请填写异议内容" in r.text
    assert SCRIPT not in r.text and "&lt;script&gt;" in r.text
    with session_scope() as s:
        assert s.exec(select(func.count()).select_from(Objection)).one() == 0
    r, code = await file_form(api, "/objections/new", {
        "target_type": "record", "target_id": str(rid), "applicant_name": "王五", "applicant_email": "ww@example.com",
        "claim": "记录有误", "reasons": "已付清"})
    for _ in range(100):  # the workflow plans its deadlines right after filing
        tracked = await api.post("/track", data={"code": code})
        if "异议受理期限" in tracked.text:
            break
        await asyncio.sleep(0.05)
    assert tracked.status_code == 200 and "信用信息异议" in tracked.text and "王五" not in tracked.text
    assert "异议受理期限" in tracked.text
    asked = await api.post("/track", data={"code": code, "action": "withdraw"})
    assert "确认撤回异议吗？" in asked.text and "已撤回" not in asked.text
    withdrawn = await api.post("/track", data={"code": code, "action": "withdraw", "confirmed": "1"})
    assert "您的异议已撤回。" in withdrawn.text and "已撤回" in withdrawn.text
    wrong = await api.post("/track", data={"code": "nope"})
    assert wrong.status_code == 404 and "查询码无效" in wrong.text


async def test_anonymous_complaint_form_and_rating(api, tokens) -> None:
    form = await api.get("/complaints/new")
    assert "市发展和改革委员会" in form.text
    r, code = await file_form(api, "/complaints/new", {
        "department": "fgw", "topic": "arrears", "subject": "拖欠账款", "description": "两年未结算",
        "complainant_name": "", "complainant_email": ""})
    with session_scope() as s:
        complaint = s.exec(select(Complaint)).one()
        assert complaint.complainant_name is None and complaint.complainant_email is None
        kid = complaint.id
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    await api.post(f"/api/complaints/{kid}/response", json={"response": "已结算"}, headers=tokens["fgw"])
    await api.post(f"/api/complaints/{kid}/review", json={"substantiated": False, "reason": "已解决"},
                   headers=tokens["xyb"])
    page = await api.post("/track", data={"code": code})
    assert "满意" in page.text and "投诉不属实" in page.text
    rated = await api.post("/track", data={"code": code, "action": "satisfied", "confirmed": "1"})
    assert "已记录您的评价：满意。" in rated.text and "已办结" in rated.text


async def test_applicant_supplements_an_objection_on_the_tracking_page(api, tokens) -> None:
    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    r, code = await file_form(api, "/objections/new", {
        "target_type": "record", "target_id": str(rid), "applicant_name": "王五", "applicant_email": "ww@example.com",
        "claim": "记录有误", "reasons": "已付清"})
    with session_scope() as s:
        oid = s.exec(select(Objection)).one().id
    r = await api.post(f"/api/objections/{oid}/acceptance",
                       json={"accepted": True, "needs_supplement": True, "reason": "请补充付款凭证"},
                       headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    page = await api.post("/track", data={"code": code})
    assert "提交补正材料" in page.text
    empty = await api.post("/track", data={"code": code, "action": "supplement", "material": ""})
    assert empty.status_code == 422 and "补正材料：不能为空" in empty.text and "提交补正材料" in empty.text
    done = await api.post("/track", data={"code": code, "action": "supplement", "material": "银行回单"})
    assert done.status_code == 200 and "提交补正材料" not in done.text
    with session_scope() as s:
        assert s.get(Objection, oid).supplements == ["银行回单"]
