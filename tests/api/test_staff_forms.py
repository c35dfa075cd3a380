"""Every staff action has a form that calls the same endpoint and workflow Update as the API: records,
objections and complaints end to end through the forms, with Chinese messages on the page, input kept,
nothing stored on a refusal, and another department's cases out of reach."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlmodel import func, select

from api.validation import today_local
from store.db import session_scope
from store.models import Commitment, Record
from tests.api.test_citizens_api import APPLICANT, _published_record
from tests.api.test_staff_pages import _login


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _nonce(html: str, action: str) -> str:
    return re.search(rf'action="[^"]*/{action}"[^>]*>\s*<input type="hidden" name="csrf" value="[^"]*">\s*'
                     r'<input type="hidden" name="nonce" value="([^"]+)"', html).group(1)


async def _until(api, url: str, headers: dict[str, str], predicate) -> dict:  # type: ignore[no-untyped-def]
    for _ in range(400):
        r = await api.get(url, headers=headers)
        if r.status_code == 200 and predicate(r.json()):
            return r.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"{url} did not settle: {r.text}")


async def test_record_registered_explained_rectified_and_verified_through_forms(api, tokens) -> None:
    csrf = await _login(api, "xyb")
    form = await api.get("/staff/records/new")
    assert form.status_code == 200 and "市发展和改革委员会" in form.text
    decided = (today_local() - timedelta(days=3)).isoformat()
    r = await api.post("/staff/records/new", data={"csrf": csrf, "subject_department": "fgw", "category": "arrears",
                                                   "severity": "general", "facts": "", "decision_date": decided})
    assert r.status_code == 422 and "请填写失信事实" in r.text and count(Record) == 0
    assert f'value="{decided}"' in r.text  # what was typed stays on the form
    r = await api.post("/staff/records/new", data={"csrf": csrf, "subject_department": "fgw", "category": "arrears",
                                                   "severity": "general", "facts": "拖欠工程款逾期未付",
                                                   "decision_date": decided, "nonce": "n1"})
    assert r.status_code == 303
    rid = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    again = await api.post("/staff/records/new", data={"csrf": csrf, "subject_department": "fgw",
                                                       "category": "arrears", "severity": "general",
                                                       "facts": "拖欠工程款逾期未付", "decision_date": decided,
                                                       "nonce": "n1"})
    assert again.headers["location"] == r.headers["location"] and count(Record) == 1  # a double submit is one record
    await _until(api, f"/api/records/{rid}", {}, lambda d: d["state"] == "published" and d["deadlines"])

    csrf = await _login(api, "scjg")
    assert (await api.get(f"/staff/records/{rid}")).status_code == 404  # another department's record
    r = await api.post(f"/staff/records/{rid}/explanation", data={"csrf": csrf, "explanation": "资金未到位"})
    assert r.status_code == 403

    csrf = await _login(api, "fgw")
    queue = await api.get("/staff")
    assert f'href="/staff/records/{rid}"' in queue.text and "书面说明原因期限" in queue.text
    page = await api.get(f"/staff/records/{rid}")
    assert "书面说明原因" in page.text and "提交整改材料" in page.text and "信用修复决定" not in page.text
    r = await api.post(f"/staff/records/{rid}/explanation", data={"csrf": csrf, "explanation": "资金未到位"})
    assert r.status_code == 303
    r = await api.post(f"/staff/records/{rid}/rectification",
                       data={"csrf": csrf, "description": "已全额支付", "evidence": "付款凭证\n银行回单"})
    assert r.status_code == 303
    detail = await _until(api, f"/api/records/{rid}", tokens["fgw"], lambda d: d["rectification"])
    assert detail["rectification_evidence"] == ["付款凭证", "银行回单"] and detail["explanation"] == "资金未到位"

    csrf = await _login(api, "xyb")
    page = await api.get(f"/staff/records/{rid}")
    r = await api.post(f"/staff/records/{rid}/rectification-verification", data={"csrf": csrf, "accepted": "false"})
    assert r.status_code == 422 and "核验意见：不通过须说明理由" in r.text
    r = await api.post(f"/staff/records/{rid}/rectification-verification",
                       data={"csrf": csrf, "accepted": "true", "nonce": _nonce(page.text,
                                                                               "rectification-verification")})
    assert r.status_code == 303
    await _until(api, f"/api/records/{rid}", {}, lambda d: d["state"] == "rectified")
    page = await api.get(f"/staff/records/{rid}")
    assert "整改核验通过" in page.text and "xyb" in page.text  # staff history names who did it


async def test_objection_accepted_verified_and_decided_through_forms(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    filed = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, "claim": "金额有误",
                                                    "reasons": "已付60万元", **APPLICANT})
    oid = filed.json()["id"]
    csrf = await _login(api, "xyb")
    queue = await api.get("/staff")
    assert f'href="/staff/objections/{oid}"' in queue.text
    page = await api.get(f"/staff/objections/{oid}")
    assert "张三" in page.text and "受理审查" in page.text  # the credit office sees the applicant
    r = await api.post(f"/staff/objections/{oid}/acceptance", data={"csrf": csrf, "accepted": "true",
                                                                   "needs_supplement": "false"})
    assert r.status_code == 303
    await _until(api, f"/api/objections/{oid}", tokens["xyb"], lambda o: o["state"] == "verifying")

    csrf = await _login(api, "fgw")
    page = await api.get(f"/staff/objections/{oid}")
    assert "张三" not in page.text and "提交核实意见" in page.text and "作出决定" not in page.text
    r = await api.post(f"/staff/objections/{oid}/verification", data={"csrf": csrf, "finding": "确已支付60万元"})
    assert r.status_code == 303

    csrf = await _login(api, "xyb")
    await _until(api, f"/api/objections/{oid}", tokens["xyb"], lambda o: o["finding"])
    r = await api.post(f"/staff/objections/{oid}/decision", data={"csrf": csrf, "outcome": "corrected",
                                                                 "reason": "核实属实", "confirmed": "1"})
    assert r.status_code == 422 and "更正决定须写明更正内容" in r.text
    assert "核实属实" in r.text  # the reason typed is kept
    r = await api.post(f"/staff/objections/{oid}/decision", data={"csrf": csrf, "outcome": "corrected",
                                                                 "reason": "核实属实", "correction": "欠款60万元",
                                                                 "confirmed": "1"})
    assert r.status_code == 303
    done = await _until(api, f"/api/objections/{oid}", tokens["xyb"], lambda o: o["outcome"])
    assert done["outcome"] == "corrected" and done["correction"] == "欠款60万元"


async def test_complaint_triaged_answered_and_reviewed_through_forms(api, tokens) -> None:
    filed = await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears", "subject": "拖欠货款",
                                                    "description": "两年未结算"})
    kid = filed.json()["id"]
    csrf = await _login(api, "xyb")
    r = await api.post(f"/staff/complaints/{kid}/triage", data={"csrf": csrf, "dismiss": "false",
                                                               "department": "nosuch"})
    assert r.status_code == 422 and "单位 nosuch 不存在" in r.text
    r = await api.post(f"/staff/complaints/{kid}/triage", data={"csrf": csrf, "dismiss": "false"})
    assert r.status_code == 303
    await _until(api, f"/api/complaints/{kid}", tokens["xyb"], lambda c: c["state"] == "triaged")

    csrf = await _login(api, "fgw")
    waiting = await api.get("/staff")
    assert f"投诉 {kid}" in waiting.text and "答复投诉" in waiting.text
    r = await api.post(f"/staff/complaints/{kid}/response", data={"csrf": csrf, "response": "已于本月结清"})
    assert r.status_code == 303
    r = await api.post(f"/staff/complaints/{kid}/review", data={"csrf": csrf, "substantiated": "false",
                                                               "reason": "x"})
    assert r.status_code == 403  # a department cannot review its own complaint

    csrf = await _login(api, "xyb")
    await _until(api, f"/api/complaints/{kid}", tokens["xyb"], lambda c: c["state"] == "responded")
    r = await api.post(f"/staff/complaints/{kid}/review", data={"csrf": csrf, "substantiated": "false",
                                                               "reason": "已解决", "confirmed": "1"})
    assert r.status_code == 303
    await _until(api, f"/api/complaints/{kid}", tokens["xyb"], lambda c: c["state"] == "unsubstantiated")


async def test_commitment_registered_with_milestones_through_the_form(api, tokens) -> None:
    csrf = await _login(api, "fgw")
    due = (today_local() + timedelta(days=60)).isoformat()
    early = (today_local() + timedelta(days=20)).isoformat()
    late = (today_local() + timedelta(days=90)).isoformat()
    fields = {"csrf": csrf, "kind": "processing_time", "title": "项目审批十日办结", "content": "十个工作日内办结",
              "due_date": due, "publish": "true"}
    r = await api.post("/staff/commitments/new", data={**fields, "milestones": f"{late} 完成评审"})
    assert r.status_code == 422 and "节点期限不能晚于承诺履行期限" in r.text and count(Commitment) == 0
    r = await api.post("/staff/commitments/new", data={**fields, "milestones": "下月 完成评审"})
    assert r.status_code == 422 and count(Commitment) == 0
    r = await api.post("/staff/commitments/new", data={**fields, "milestones": f"{early} 完成评审"})
    assert r.status_code == 303
    cid = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    c = await _until(api, f"/api/commitments/{cid}", {}, lambda c: c["state"] == "published")
    assert c["department"] == "fgw" and [m["title"] for m in c["milestones"]] == ["完成评审"]
    page = await api.get(f"/staff/commitments/{cid}")
    assert "报告节点完成" in page.text
    r = await api.post(f"/staff/commitments/{cid}/milestone", data={"csrf": csrf, "note": "评审完成"})
    assert r.status_code == 422 and "请选择节点" in r.text  # no milestone chosen
    r = await api.post(f"/staff/commitments/{cid}/milestone", data={"csrf": csrf, "seq": "1", "note": "评审完成"})
    assert r.status_code == 303
    c = await _until(api, f"/api/commitments/{cid}", {}, lambda c: c["milestones"][0]["done"])
    assert "报告节点完成" not in (await api.get(f"/staff/commitments/{cid}")).text


async def test_commitment_progress_posted_through_the_form(api, tokens) -> None:
    csrf = await _login(api, "fgw")
    r = await api.post("/api/commitments", headers=tokens["fgw"], json={
        "kind": "processing_time", "title": "项目审批十日办结", "content": "十个工作日内办结",
        "due_date": (today_local() + timedelta(days=60)).isoformat(), "publish": True})
    cid = r.json()["id"]
    await _until(api, f"/api/commitments/{cid}", {}, lambda c: c["state"] == "published")
    assert "发布履行进展" in (await api.get(f"/staff/commitments/{cid}")).text
    r = await api.post(f"/staff/commitments/{cid}/progress", data={"csrf": csrf, "text": "", "percent": "20"})
    assert r.status_code == 422 and "进展情况" in r.text
    r = await api.post(f"/staff/commitments/{cid}/progress", data={"csrf": csrf, "text": "已完成流程梳理"})
    assert r.status_code == 303
    c = await _until(api, f"/api/commitments/{cid}", {}, lambda c: c["progress_updates"])
    assert c["progress_updates"][0]["text"] == "已完成流程梳理" and c["progress_updates"][0]["percent"] is None
