"""Objections and complaints over HTTP: filing with a tracking code, the 异议处理中 mark, outcomes
applied to the target, anonymous complaints, substantiated → one record, and hostile input."""

from __future__ import annotations

import asyncio

from sqlmodel import func, select

from store.db import session_scope
from store.models import Complaint, Objection, Record
from tests.api.test_commitments_api import PROBLEM, body, settled
from tests.api.test_records_api import _wait, record_body

APPLICANT = {"applicant_name": "张三", "applicant_email": "zhangsan@example.com"}


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def _published_record(api, tokens) -> int:  # type: ignore[no-untyped-def]
    r = await api.post("/api/records", json=record_body(), headers=tokens["xyb"])
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    return rid


async def _objection_state(api, code: str, state: str) -> dict:  # type: ignore[no-untyped-def]
    for _ in range(400):
        r = await api.get(f"/api/objections/track/{code}")
        if r.status_code == 200 and r.json()["state"] == state:
            return r.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"objection not {state}: {r.text}")


async def test_objection_marks_record_then_revocation_removes_it_from_public(api, tokens, smtp_sink) -> None:
    rid = await _published_record(api, tokens)
    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                                 "claim": "该记录有误", "reasons": "款项已于认定前付清"})
    assert r.status_code == 201, r.text
    filed = r.json()
    code, oid = filed["tracking_code"], filed["id"]
    assert len(code) >= 22 and filed["state"] == "submitted"
    with session_scope() as s:
        assert code not in s.get(Objection, oid).tracking_hash  # stored hashed
    await smtp_sink.wait_for(lambda m: "zhangsan@example.com" in str(m["To"]) and "已收到您的异议" in str(m["Subject"]))
    await smtp_sink.wait_for(lambda m: "zhangsan@example.com" in str(m["To"]) and "查询码" in str(m["Subject"]))
    mails = smtp_sink.to("zhangsan@example.com")  # the code only in its own mail, once
    assert [code in m.get_body(("plain",)).get_content() for m in mails].count(True) == 1
    assert all(code not in m.get_body(("plain",)).get_content() for m in mails if "查询码" not in str(m["Subject"]))
    # henan marks on receipt
    await _wait(api, rid, lambda d: d["objection_pending"] is True)
    assert "异议处理中" in (await api.get(f"/records/{rid}")).text
    for _ in range(400):  # the mark is written before the workflow plans its deadlines
        tracked = (await api.get(f"/api/objections/track/{code}")).json()
        if tracked["deadlines"]:
            break
        await asyncio.sleep(0.05)
    assert "张三" not in str(tracked) and "zhangsan" not in str(tracked)
    assert any(d["key"] == "acceptance" for d in tracked["deadlines"])

    r = await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": True}, headers=tokens["xyb"])
    assert r.status_code == 200 and r.json()["state"] == "verifying"
    r = await api.post(f"/api/objections/{oid}/decision", json={"outcome": "revoked", "reason": "x"},
                       headers=tokens["xyb"])
    assert r.status_code == 409  # the source department has not verified yet and is not late
    r = await api.post(f"/api/objections/{oid}/verification", json={"finding": "确已付清"}, headers=tokens["scjg"])
    assert r.status_code == 403
    r = await api.post(f"/api/objections/{oid}/verification", json={"finding": "确已付清"}, headers=tokens["fgw"])
    assert r.status_code == 200
    r = await api.post(f"/api/objections/{oid}/decision", json={"outcome": "revoked", "reason": "认定依据不成立"},
                       headers=tokens["xyb"])
    assert r.status_code == 200 and r.json()["state"] == "closed"
    await _wait(api, rid, lambda d: d["state"] == "revoked" and d["objection_pending"] is False, tokens["xyb"])
    assert (await api.get("/api/records")).json()["total"] == 0
    assert "异议处理中" not in (await api.get(f"/records/{rid}")).text
    done = await _objection_state(api, code, "closed")
    assert done["decision"]["outcome"] == "revoked"
    await smtp_sink.wait_for(lambda m: "scjg@test.local" in str(m["To"]) and "撤销" in str(m["Subject"]))


async def test_objection_to_commitment_corrected_and_withdrawal(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    first = (await api.post("/api/objections", json={"target_type": "commitment", "target_id": cid, **APPLICANT,
                                                      "claim": "状态有误", "reasons": "已提前办结"})).json()
    await settled(api, cid, {}, lambda c: c["objection_pending"])
    r = await api.post(f"/api/objections/track/{first['tracking_code']}/withdrawal", json={"reason": "已沟通"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn"
    await settled(api, cid, {}, lambda c: not c["objection_pending"])
    second = (await api.post("/api/objections", json={"target_type": "commitment", "target_id": cid, **APPLICANT,
                                                       "claim": "期限显示有误", "reasons": "见附件"})).json()
    oid = second["id"]
    r = await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": False, "needs_supplement": True,
                                                                   "reason": "请补充证明材料"}, headers=tokens["xyb"])
    assert r.json()["state"] == "awaiting_supplement"
    r = await api.post(f"/api/objections/track/{second['tracking_code']}/supplement", json={"material": "补充件"})
    assert r.json()["state"] == "submitted"
    await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": True}, headers=tokens["xyb"])
    await api.post(f"/api/objections/{oid}/verification", json={"finding": "期限登记错误"}, headers=tokens["fgw"])
    r = await api.post(f"/api/objections/{oid}/decision", headers=tokens["xyb"],
                       json={"outcome": "corrected", "reason": "登记错误", "correction": "履行期限应为年底"})
    assert r.json()["state"] == "closed"
    detail = await settled(api, cid, {}, lambda c: c["correction_note"] and not c["objection_pending"])
    assert "履行期限应为年底" in detail["correction_note"]


async def test_bad_objections_are_refused_and_store_nothing(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    base = {"target_type": "record", "target_id": rid, **APPLICANT, "claim": "有误", "reasons": "理由"}
    cases = [({**base, "claim": "<script>alert(1)</script>"}, 422), ({**base, "applicant_email": "not-mail"}, 422),
             ({**base, "target_id": 999999}, 422), ({**base, "target_type": "person"}, 422),
             ({**base, "reasons": "长" * 20_000}, 422)]
    for payload, status in cases:
        r = await api.post("/api/objections", json=payload)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith(PROBLEM)
    huge = await api.post("/api/objections", json={**base, "reasons": "x" * 10_000_000})
    assert huge.status_code == 413 and huge.headers["content-type"].startswith(PROBLEM)
    assert count(Objection) == 0


async def test_wrong_tracking_codes_get_404_then_429(api) -> None:
    statuses = [(await api.get(f"/api/objections/track/wrong-code-{i}")).status_code for i in range(50)]
    assert statuses[0] == 404 and set(statuses[:20]) == {404}
    assert statuses[-1] == 429 and set(statuses[20:]) == {429}


async def test_complaint_anonymous_and_substantiated_yields_exactly_one_record(api, tokens, smtp_sink) -> None:
    r = await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears", "subject": "拖欠工程款",
                                                "description": "项目竣工两年仍未结算"})
    assert r.status_code == 201 and r.json()["anonymous"] is True
    code, kid = r.json()["tracking_code"], r.json()["id"]
    steps = [("xyb", "triage", {"reason": "分办发改委"}, "triaged"),
             ("fgw", "response", {"response": "已安排结算"}, "responded"),
             ("xyb", "review", {"substantiated": True, "reason": "经查属实"}, "substantiated")]
    for who, action, payload, state in steps:
        r = await api.post(f"/api/complaints/{kid}/{action}", json=payload, headers=tokens[who])
        assert r.status_code == 200 and r.json()["state"] == state, r.text
    record_id = r.json()["record_id"]
    # 不满意 reopens the review once
    r = await api.post(f"/api/complaints/track/{code}/feedback", json={"satisfied": False, "comment": "未结算"})
    assert r.json()["state"] == "responded" and r.json()["reopened"] is True
    r = await api.post(f"/api/complaints/{kid}/review", json={"substantiated": True, "reason": "维持"},
                       headers=tokens["xyb"])
    assert r.json()["record_id"] == record_id
    r = await api.post(f"/api/complaints/track/{code}/feedback", json={"satisfied": False})
    assert r.json()["state"] == "closed"
    await _wait(api, record_id, lambda d: d["state"] == "published")
    with session_scope() as s:
        records = s.exec(select(Record).where(Record.source_type == "complaint", Record.source_id == kid)).all()
        assert len(records) == 1 and s.get(Complaint, kid).record_id == records[0].id
    tracked = (await api.get(f"/api/complaints/track/{code}")).json()
    assert tracked["state"] == "closed" and tracked["record_id"] == record_id
    r = await api.post("/api/complaints", json={"department": "fgw", "subject": "x", "description": "y",
                                                "complainant_email": "a@example.com"})
    assert r.status_code == 422  # an e-mail without a name is neither real-name nor anonymous


async def test_public_submissions_are_rate_limited(api) -> None:
    statuses = []
    for i in range(12):
        r = await api.post("/api/complaints", json={"department": "fgw", "subject": f"投诉{i}", "description": "d"})
        statuses.append(r.status_code)
    assert statuses[:10] == [201] * 10 and statuses[10:] == [429, 429]
    assert r.headers.get("retry-after")




async def test_the_accused_department_never_sees_who_complained_or_objected(api, tokens) -> None:
    kid = (await api.post("/api/complaints", json={"department": "fgw", "subject": "拖欠", "description": "d",
                                                    "complainant_name": "李四", "complainant_email": "ls@example.com"}
                          )).json()["id"]
    as_department = (await api.get(f"/api/complaints/{kid}", headers=tokens["fgw"])).json()
    assert as_department["complainant_name"] is None and "ls@example.com" not in str(as_department)
    assert (await api.get(f"/api/complaints/{kid}", headers=tokens["admin"])).json()["complainant_name"] is None
    assert (await api.get(f"/api/complaints/{kid}", headers=tokens["xyb"])).json()["complainant_name"] == "李四"
    rid = await _published_record(api, tokens)
    oid = (await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                                    "claim": "c", "reasons": "r"})).json()["id"]
    seen = (await api.get(f"/api/objections/{oid}", headers=tokens["fgw"])).json()
    assert seen["applicant_name"] is None and "zhangsan" not in str(seen)


async def test_concurrent_filings_cannot_slip_past_the_limit(api) -> None:
    async def one(i: int) -> int:
        r = await api.post("/api/complaints", json={"department": "fgw", "subject": f"s{i}", "description": "d"})
        return r.status_code

    statuses = await asyncio.gather(*(one(i) for i in range(25)))
    assert statuses.count(201) == 10 and statuses.count(429) == 15
    assert count(Complaint) == 10


async def test_the_mark_stays_while_another_objection_is_open(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    filed = [(await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                                       "claim": f"c{i}", "reasons": "r"})).json() for i in range(2)]
    await _wait(api, rid, lambda d: d["objection_pending"])
    await api.post(f"/api/objections/track/{filed[0]['tracking_code']}/withdrawal", json={})
    await asyncio.sleep(0.5)
    assert (await api.get(f"/api/records/{rid}")).json()["objection_pending"] is True
    await api.post(f"/api/objections/track/{filed[1]['tracking_code']}/withdrawal", json={})
    await _wait(api, rid, lambda d: not d["objection_pending"])


async def test_chunked_oversized_body_and_huge_page_numbers_are_problems(api) -> None:
    async def chunks():  # no Content-Length: the limit must hold while reading
        for _ in range(20):
            yield b"x" * 100_000

    r = await api.post("/api/complaints", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    r = await api.get("/api/records", params={"page": 10**20})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)


async def test_a_complaint_reversed_on_re_review_revokes_its_record(api, tokens) -> None:
    r = await api.post("/api/complaints", json={"department": "fgw", "subject": "违约", "description": "d"})
    code, kid = r.json()["tracking_code"], r.json()["id"]
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    await api.post(f"/api/complaints/{kid}/response", json={"response": "无此事"}, headers=tokens["fgw"])
    r = await api.post(f"/api/complaints/{kid}/review", json={"substantiated": True, "reason": "属实"},
                       headers=tokens["xyb"])
    record_id = r.json()["record_id"]
    await _wait(api, record_id, lambda d: d["state"] == "published")
    await api.post(f"/api/complaints/track/{code}/feedback", json={"satisfied": False})
    r = await api.post(f"/api/complaints/{kid}/review", json={"substantiated": False, "reason": "复核不属实"},
                       headers=tokens["xyb"])
    assert r.json()["state"] == "unsubstantiated"
    revoked = await _wait(api, record_id, lambda d: d["state"] == "revoked", tokens["xyb"])
    assert revoked["public"] is False and "复核" in revoked["correction_note"]


async def test_nul_characters_are_bad_input_on_every_database(api, tokens) -> None:
    """PostgreSQL refuses NUL in text: that is the caller's error (422), never a 500."""
    for url in ("/api/commitments?q=%00", "/api/records?department=%00", "/api/commitments?state=a%00b"):
        r = await api.get(url)
        assert r.status_code in (200, 422), (url, r.text)
    r = await api.get("/api/deadlines?department=%00", headers=tokens["xyb"])
    assert r.status_code in (200, 422)
    r = await api.post("/api/complaints", json={"department": "\u0000", "topic": "arrears", "subject": "拖欠",
                                                "description": "未付"})
    assert r.status_code in (404, 422) and r.headers["content-type"] == "application/problem+json"
