"""Public forms file once (post/redirect/get with a one-time token), the tracking code is one people can keep
(Crockford Base32, grouped, typed any way; old codes still work), it is mailed to a named applicant and kept out
of URLs, and the tracking page reads as a timeline in plain words."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets

import httpx
from sqlmodel import select

from api.pages.track_view import plain_basis, plain_receipt
from api.tracking import ALPHABET, new_code, normalise
from store.db import session_scope
from store.models import Complaint, Objection, Outbox
from tests.api.test_citizen_forms import CODE, file_form
from tests.api.test_citizens_api import _published_record
from tests.api.test_commitments_api import body as commitment_body
from tests.api.test_commitments_api import count, settled

COMPLAINT = {"department": "fgw", "topic": "arrears", "subject": "拖欠账款", "description": "两年未结算",
             "complainant_name": "", "complainant_email": ""}
GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){5}$")
JARGON = ("日历版本", "诚信默认", "条例未规定", "规则版本", "henan")


def test_codes_are_grouped_crockford_with_enough_randomness_and_typed_any_way() -> None:
    codes = {new_code()[0] for _ in range(200)}
    assert len(codes) == 200 and all(GROUPED.match(c) for c in codes)
    assert set("".join(codes).replace("-", "")) <= set(ALPHABET) and not set("ILOU") & set("".join(codes))
    code, digest = new_code()
    raw = code.replace("-", "")
    assert len(raw) * 5 >= 100 and digest == hashlib.sha256(raw.encode()).hexdigest()
    assert normalise(code.lower().replace("-", "")) == raw
    assert normalise(" ".join(code.split("-"))) == raw
    assert normalise("0O1IL" + raw[5:]) == "00111" + raw[5:]  # Crockford: O is 0, I and L are 1
    assert normalise(raw[:-1]) is None and normalise(raw[:-1] + "U") is None


async def _file_complaint_form(api: httpx.AsyncClient, data: dict[str, str] | None = None) -> tuple[str, str]:
    form = await api.get("/complaints/new")
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    r = await api.post("/complaints/new", data={**(data or COMPLAINT), "token": token, "step": "file"})
    assert "location" in r.headers, (r.status_code, r.text[:3000])
    return token, r.headers["location"]


async def test_refresh_double_click_and_back_file_once_and_cost_one_slot(api, tokens) -> None:
    form = await api.get("/complaints/new")
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    data = {**COMPLAINT, "token": token}
    check = await api.post("/complaints/new", data=data)
    assert "请核对您填写的内容" in check.text and "拖欠账款" in check.text and "匿名投诉" in check.text
    assert count(Complaint) == 0
    edit = await api.post("/complaints/new", data={**data, "step": "edit"})  # 修改: back to the form, input kept
    assert 'value="拖欠账款"' in edit.text and f'value="{token}"' in edit.text and "两年未结算" in edit.text

    first, second = await asyncio.gather(api.post("/complaints/new", data={**data, "step": "file"}),
                                         api.post("/complaints/new", data={**data, "step": "file"}))
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    receipt_url = first.headers["location"]
    one = await api.get(receipt_url)
    code = CODE.search(one.text).group(1)
    assert GROUPED.match(code) and code not in receipt_url and code.replace("-", "") not in receipt_url
    assert CODE.search((await api.get(receipt_url)).text).group(1) == code  # a refresh: the same receipt
    for _ in range(12):  # back and file again, more often than the hourly limit of ten filings allows
        again = await api.post("/complaints/new", data={**data, "step": "file"})
        assert again.status_code == 303 and again.headers["location"] == receipt_url
    assert count(Complaint) == 1
    # the replays took no slot: nine more filings are allowed, the eleventh is refused
    for i in range(9):
        assert (await _file_complaint_form(api, {**COMPLAINT, "subject": f"投诉{i}"}))[1].startswith("/filed/")
    form = await api.get("/complaints/new")
    token = re.search(r'name="token" value="([^"]+)"', form.text).group(1)
    over = await api.post("/complaints/new", data={**COMPLAINT, "token": token, "step": "file"})
    assert over.status_code == 429 and "提交过于频繁" in over.text
    assert count(Complaint) == 10

    # what happens next, by when, in plain words
    assert "接下来会怎样" in one.text and "投诉分办期限" in one.text and "个工作日" in one.text
    assert "本平台承诺：投诉分办3个工作日" in one.text
    assert not any(word in one.text for word in JARGON)
    # another browser (or someone who read the receipt's address in a log) sees neither the code nor the case
    async with httpx.AsyncClient(transport=api._transport, base_url="http://chengxin.test") as other:
        elsewhere = await other.get(receipt_url)
    assert elsewhere.status_code == 200 and "投诉已提交" in elsewhere.text
    assert code not in elsewhere.text and "拖欠账款" not in elsewhere.text
    assert 'id="tracking-code"' not in elsewhere.text
    assert (await api.get("/filed/" + "0" * 32)).status_code == 404


async def test_codes_track_however_typed_old_codes_still_work_and_post_tracking_api(api, tokens) -> None:
    r = await api.post("/api/complaints", json={**COMPLAINT, "complainant_name": None, "complainant_email": None})
    code, kid = r.json()["tracking_code"], r.json()["id"]
    assert GROUPED.match(code)
    typed = code.lower().replace("-", "").replace("0", "o").replace("1", "l")
    tracked = await api.post("/api/track", json={"code": typed})
    assert tracked.status_code == 200 and tracked.json()["id"] == kid and tracked.json()["kind"] == "complaint"
    assert tracked.headers["referrer-policy"] == "no-referrer" and tracked.headers["cache-control"] == "no-store"
    assert (await api.get(f"/api/complaints/track/{code}")).json()["id"] == kid  # the path form stays
    page = await api.post("/track", data={"code": typed})
    assert page.status_code == 200 and "拖欠账款" in page.text
    assert (await api.post("/api/track", json={"code": code[:-1] + ("A" if code[-1] != "A" else "B")})
            ).status_code == 404

    old = secrets.token_urlsafe(16)  # a code issued before: 22 case-sensitive characters, hashed as typed
    with session_scope() as s:
        row = s.get(Complaint, kid)
        row.tracking_hash = hashlib.sha256(old.encode()).hexdigest()
        s.add(row)
    assert (await api.post("/api/track", json={"code": old})).json()["id"] == kid
    assert (await api.get(f"/api/complaints/track/{old}")).json()["id"] == kid
    assert "拖欠账款" in (await api.post("/track", data={"code": f" {old} "})).text
    swapped = old.swapcase()
    if swapped != old:
        assert (await api.post("/api/track", json={"code": swapped})).status_code == 404
    assert (await api.post("/api/track", json={"code": code})).status_code == 404  # the new code was replaced
    doc = (await api.get("/openapi.json")).json()
    assert "post" in doc["paths"]["/api/track"]


async def test_named_applicant_gets_the_code_by_mail_and_the_outbox_keeps_no_copy(api, tokens, smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=commitment_body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, tokens["fgw"], lambda c: c["state"] == "published")
    receipt, code = await file_form(api, "/objections/new", {
        "target_type": "commitment", "target_id": str(cid), "applicant_name": "王五",
        "applicant_email": "ww@example.com", "claim": "未按期办结", "reasons": "等了三天"})
    assert "查询码也已发送到您填写的电子邮箱" in receipt.text and "对《企业开办一日办结》的异议" in receipt.text
    mails = await smtp_sink.wait_for(lambda m: len(smtp_sink.to("ww@example.com")) >= 2)
    bodies = {str(m["Subject"]): m.get_body(("plain",)).get_content()
              for m in mails if "ww@example.com" in str(m["To"])}
    code_mail = next(text for subject, text in bodies.items() if "查询码" in subject)
    assert code in code_mail and "/track" in code_mail and "track?" not in code_mail
    received = next(text for subject, text in bodies.items() if "已收到您的异议" in subject)
    assert "对“企业开办一日办结”的异议" in received and "对“对" not in received and code not in received
    with session_scope() as s:
        rows = s.exec(select(Outbox)).all()
        assert any(r.template == "tracking_code" and r.status == "sent" for r in rows)
        assert not any(code in r.text or code in r.html for r in rows)
    oid = (await api.post("/api/track", json={"code": code})).json()["id"]
    with session_scope() as s:
        assert s.get(Objection, oid).applicant_email == "ww@example.com"


async def test_tracking_page_is_a_timeline_and_says_what_a_dissatisfied_rating_does(api, tokens) -> None:
    receipt, code = await file_form(api, "/complaints/new", COMPLAINT)
    with session_scope() as s:
        kid = s.exec(select(Complaint)).one().id
    page = (await api.post("/track", data={"code": code})).text
    assert re.search(r"<strong>提交</strong> <span class=\"badge done\">已完成</span>", page)
    assert re.search(r"<strong>分办</strong> <span class=\"badge current\">进行中，剩余 \d+ 个工作日</span>", page)
    assert "<strong>单位答复</strong> <span class=\"badge todo\">未开始</span>" in page
    assert "对市发展和改革委员会的投诉：拖欠账款" in page and not any(word in page for word in JARGON)
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    await api.post(f"/api/complaints/{kid}/response", json={"response": "已结算"}, headers=tokens["fgw"])
    await api.post(f"/api/complaints/{kid}/review", json={"substantiated": False, "reason": "已解决"},
                   headers=tokens["xyb"])
    page = (await api.post("/track", data={"code": code})).text
    assert "<strong>审核</strong> <span class=\"badge done\">已完成</span>" in page and "已解决" in page
    assert "<strong>单位答复</strong> <span class=\"badge done\">已完成</span>" in page and "已按期完成" in page
    asked = await api.post("/track", data={"code": code, "action": "dissatisfied", "comment": "没有解决"})
    assert "确认评价为“不满意”吗？" in asked.text and "退回信用办重新审核" in asked.text
    with session_scope() as s:
        assert s.get(Complaint, kid).feedback is None  # nothing done before the confirmation
    rated = await api.post("/track", data={"code": code, "action": "dissatisfied", "comment": "没有解决",
                                           "confirmed": "1"})
    assert "已记录您的评价：不满意。" in rated.text
    assert re.search(r"投诉已退回信用办重新审核，最迟\d{4}年\d+月\d+日作出审核意见", rated.text)
    later = (await api.post("/track", data={"code": code})).text
    assert re.search(r"您对处理结果评价为不满意，投诉已退回信用办重新审核，最迟\d{4}年\d+月\d+日作出审核意见", later)
    assert "<strong>评价</strong> <span class=\"badge done\">已完成</span>" in later and "您的评价：不满意" in later
    assert re.search(r"<strong>重新审核</strong> <span class=\"badge current\">进行中，剩余 \d+ 个工作日</span>", later)


def test_deadline_explanations_are_plain_words() -> None:
    receipt = {"basis": "诚信默认：投诉分办3个工作日（条例未规定）", "start_event": "收到投诉",
               "start_date": "2026-12-04", "unit": "working_days", "count": 3, "calendar_version": 7,
               "due_date": "2026-12-09", "provisional": True,
               "skipped": [{"day": "2026-12-05", "note": "周六"}, {"day": "2026-12-06", "note": "周日"}],
               "pauses": [{"reason": "补正材料", "paused_on": "2026-12-07", "resumed_on": "2026-12-08"}]}
    text = plain_receipt(receipt)
    assert text.startswith("从收到投诉（2026年12月4日）的第二天起算 3 个工作日，最晚到2026年12月9日当天结束。")
    assert "2 天周末和节假日不计算在内" in text and "自2026年12月7日起暂停计时，2026年12月8日恢复计时" in text
    assert "节假日安排尚未公布" in text and text.endswith("本平台承诺：投诉分办3个工作日")
    assert not any(word in text for word in JARGON) and "7" not in text.replace("2026年12月7日", "")
    assert plain_basis("河南省社会信用条例第41条：异议处理总时限7个工作日") == \
        "《河南省社会信用条例》第41条规定：异议处理总时限7个工作日"


async def test_a_decided_objection_reads_as_four_finished_steps_with_the_decision(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    receipt, code = await file_form(api, "/objections/new", {
        "target_type": "record", "target_id": str(rid), "applicant_name": "王五", "applicant_email": "ww@example.com",
        "claim": "记录有误", "reasons": "已付清"})
    oid = (await api.post("/api/track", json={"code": code})).json()["id"]
    page = (await api.post("/track", data={"code": code})).text
    assert re.search(r"<strong>受理</strong> <span class=\"badge current\">进行中，剩余 \d+ 个工作日</span>", page)
    assert "<strong>决定</strong> <span class=\"badge todo\">未开始</span>" in page
    await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": True}, headers=tokens["xyb"])
    page = (await api.post("/track", data={"code": code})).text
    assert "<strong>受理</strong> <span class=\"badge done\">已完成</span>" in page and "（已受理）" in page
    assert re.search(r"<strong>核查</strong> <span class=\"badge current\">进行中，剩余 \d+ 个工作日</span>", page)
    assert "信息提供单位核实期限" in page and "《河南省社会信用条例》第41条规定" in page
    await api.post(f"/api/objections/{oid}/verification", json={"finding": "确已付清"}, headers=tokens["fgw"])
    await api.post(f"/api/objections/{oid}/decision", json={"outcome": "revoked", "reason": "认定依据不成立"},
                   headers=tokens["xyb"])
    page = (await api.post("/track", data={"code": code})).text
    for step in ("提交", "受理", "核查", "决定"):
        assert f"<strong>{step}</strong> <span class=\"badge done\">已完成</span>" in page, step
    assert "处理决定" in page and "撤销。理由：认定依据不成立" in page and "撤回异议" not in page
    assert not any(word in page for word in JARGON)
