"""A title, subject or name is one line: a line break, TAB or other control character in it is refused with
a 422 naming the field (on the API and on the forms) and nothing is stored. Text areas keep their line
breaks but still refuse other control characters."""

from __future__ import annotations

from sqlmodel import func, select

from store.db import session_scope
from store.models import Commitment, Complaint, Objection, Record
from tests.api.test_commitments_api import PROBLEM, body, settled
from tests.api.test_records_api import _wait, record_body
from tests.api.test_staff_pages import _login

ONE_LINE = "只能填写一行文字"
BREAKS = ["标题\r\nBcc: victim@example.com", "标题\n第二行", "标题\r第二行", "标题\t制表", "标题\u2028分行",
          "标题\u2029分段", "标题\x85下一行", "标题\x00空字符", "标题\x1b[31m"]


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def assert_refused(r, field: str, message: str = ONE_LINE) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 422, (field, r.text)
    assert r.headers["content-type"].startswith(PROBLEM)
    errors = {e["field"]: e["message"] for e in r.json()["errors"]}
    assert field in errors and message in errors[field], r.json()


async def test_commitment_title_and_official_refuse_line_breaks_and_control_characters(api, tokens) -> None:
    for value in BREAKS:
        assert_refused(await api.post("/api/commitments", json=body(title=value), headers=tokens["fgw"]), "title")
    assert_refused(await api.post("/api/commitments", json=body(official="张\n三"), headers=tokens["fgw"]),
                   "official")
    milestone = {"title": "方案\r\n定稿", "due_date": body()["due_date"]}
    r = await api.post("/api/commitments", json=body(milestones=[milestone]), headers=tokens["fgw"])
    assert_refused(r, "milestones.0.title")
    assert count(Commitment) == 0


async def test_text_areas_keep_line_breaks_and_tabs_but_refuse_other_control_characters(api, tokens) -> None:
    r = await api.post("/api/commitments", json=body(content="第一条\x00"), headers=tokens["fgw"])
    assert_refused(r, "content", "控制字符")
    r = await api.post("/api/commitments", json=body(content="第一条\x1b[2J"), headers=tokens["fgw"])
    assert_refused(r, "content", "控制字符")
    assert count(Commitment) == 0
    content = "第一条：一日办结；\r\n第二条：\t全程网办。\n第三条：公开进度。"
    r = await api.post("/api/commitments", json=body(content=content), headers=tokens["fgw"])
    assert r.status_code == 201, r.text
    detail = await settled(api, r.json()["id"], {}, lambda c: c["state"] == "published")
    assert detail["content"] == content


async def test_record_official_and_evidence_refuse_line_breaks(api, tokens) -> None:
    r = await api.post("/api/records", json=record_body(subject_official="李\r\n四"), headers=tokens["xyb"])
    assert_refused(r, "subject_official")
    assert count(Record) == 0
    r = await api.post("/api/records", json=record_body(), headers=tokens["xyb"])
    rid = r.json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published", tokens["xyb"])
    rectification = {"description": "已全额支付", "evidence": ["付款凭证\nSubject: 伪造"]}
    r = await api.post(f"/api/records/{rid}/rectification", json=rectification, headers=tokens["fgw"])
    assert_refused(r, "evidence.0")


async def test_complaint_and_objection_refuse_line_breaks_in_subject_and_names(api, tokens) -> None:
    complaint = {"department": "fgw", "topic": "arrears", "subject": "拖欠工程款", "description": "两年未结算"}
    for value in BREAKS:
        assert_refused(await api.post("/api/complaints", json={**complaint, "subject": value}), "subject")
    r = await api.post("/api/complaints", json={**complaint, "complainant_name": "王\u2028五",
                                                "complainant_email": "ww@example.com"})
    assert_refused(r, "complainant_name")
    assert count(Complaint) == 0
    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid,
                                                "applicant_name": "赵\r\n六", "applicant_email": "zl@example.com",
                                                "claim": "记录有误", "reasons": "已付清"})
    assert_refused(r, "applicant_name")
    assert count(Objection) == 0


async def test_forms_show_the_refusal_on_the_field_and_store_nothing(api, tokens) -> None:
    r = await api.post("/complaints/new", data={"department": "fgw", "topic": "arrears",
                                                "subject": "拖欠账款\r\nBcc: victim@example.com",
                                                "description": "两年未结算\r\n仍未答复", "complainant_name": "",
                                                "complainant_email": ""})
    assert r.status_code == 422 and ONE_LINE in r.text and count(Complaint) == 0
    csrf = await _login(api, "fgw")
    r = await api.post("/staff/commitments/new", data={"csrf": csrf, "kind": "processing_time",
                                                       "title": "项目审批\n十日办结", "content": "十个工作日内办结",
                                                       "due_date": body()["due_date"], "publish": "true"})
    assert r.status_code == 422 and ONE_LINE in r.text and count(Commitment) == 0
