"""A case follows its department's jurisdiction: a Shanghai department's record and the objection to it run
on 上海市社会信用条例's periods, and every page names the rules that apply."""

from __future__ import annotations

import asyncio
from datetime import datetime

from domain.calendar import TZ, WorkingCalendar
from tests.api.conftest import bearer_headers
from tests.api.test_citizens_api import APPLICANT, _objection_state
from tests.api.test_records_api import _wait, record_body

SHANGHAI_DEPT = {"code": "sh-jw", "name": "上海市某区建设管理委员会", "email": "shjw@test.local",
                 "profile": "shanghai"}
SHANGHAI_RULES = "上海市社会信用条例（规则版本 2026.2）"


async def test_department_profile_is_validated_and_shown(api, tokens) -> None:
    r = await api.post("/api/departments", json={**SHANGHAI_DEPT, "code": "sh-x", "profile": "beijing"},
                       headers=tokens["admin"])
    assert r.status_code == 422 and "没有这套规则" in r.text and "上海市社会信用条例" in r.text
    r = await api.post("/api/departments", json={**SHANGHAI_DEPT, "code": "hn-x", "profile": None},
                       headers=tokens["admin"])
    assert r.status_code == 201 and r.json()["profile"] == "henan"  # DEFAULT_PROFILE
    r = await api.post("/api/departments", json=SHANGHAI_DEPT, headers=tokens["admin"])
    assert r.status_code == 201, r.text
    assert r.json()["profile"] == "shanghai" and r.json()["profile_label"] == "上海市社会信用条例"


async def test_objection_to_a_shanghai_departments_record_gets_shanghai_periods(api, tokens) -> None:
    assert (await api.post("/api/departments", json=SHANGHAI_DEPT, headers=tokens["admin"])).status_code == 201
    r = await api.post("/api/records", json=record_body(subject_department="sh-jw", shared_with=["sh-jw"]),
                       headers=tokens["xyb"])
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    record = await _wait(api, rid, lambda d: d["state"] == "published")
    assert record["profile"]["name"] == "shanghai" and record["profile"]["label"] == SHANGHAI_RULES
    page = (await api.get(f"/records/{rid}")).text
    assert f"适用规则</th><td>{SHANGHAI_RULES}" in page and "shanghai" not in page

    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                                 "claim": "该记录有误", "reasons": "款项已付清"})
    assert r.status_code == 201, r.text
    code, oid = r.json()["tracking_code"], r.json()["id"]
    await _objection_state(api, code, "submitted")
    r = await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": True}, headers=tokens["xyb"])
    assert r.status_code == 200 and r.json()["state"] == "verifying", r.text
    tracked = await _objection_state(api, code, "verifying")
    assert tracked["profile"]["label"] == SHANGHAI_RULES
    deadlines = {d["key"]: d for d in tracked["deadlines"]}
    today = datetime.now(TZ).date()
    # 上海市社会信用条例第36条: the source department verifies within 5 WD (henan: 3 WD)
    verify = deadlines["source-verification"]
    assert verify["due_at"][:10] == WorkingCalendar().shift_working_days(today, 5).isoformat()
    assert "上海市社会信用条例第36条" in verify["receipt_text"]
    assert "total" not in deadlines  # henan's 7-WD total period is not Shanghai's
    track_page = (await api.post("/track", data={"code": code})).text
    assert "适用《上海市社会信用条例》" in track_page and "规则版本" not in track_page  # no version on citizens' pages


async def test_a_shanghai_objection_runs_the_2_wd_forward_and_5_wd_decision_deadlines(api, tokens) -> None:
    """上海市社会信用条例第36条: forwarded to the information-providing department within 2 WD of receipt, decided
    within 5 WD of its finding; henan keeps its platform check as information (no such deadlines)."""
    assert (await api.post("/api/departments", json=SHANGHAI_DEPT, headers=tokens["admin"])).status_code == 201
    r = await api.post("/api/records", json=record_body(subject_department="sh-jw", shared_with=["sh-jw"]),
                       headers=tokens["xyb"])
    rid = r.json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                                 "claim": "该记录有误", "reasons": "款项已付清"})
    assert r.status_code == 201, r.text
    code, oid = r.json()["tracking_code"], r.json()["id"]
    calendar, today = WorkingCalendar(), datetime.now(TZ).date()
    await _objection_state(api, code, "submitted")
    forward = (await _deadlines(api, code, "forward"))["forward"]
    assert forward["label"] == "转送信息提供单位期限" and forward["status"] == "open"
    assert forward["due_at"][:10] == calendar.shift_working_days(today, 2).isoformat()
    assert "上海市社会信用条例第36条" in forward["receipt_text"] and "2个工作日" in forward["receipt_text"]

    assert (await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": True},
                           headers=tokens["xyb"])).status_code == 200
    shanghai_staff = (await bearer_headers(api, {"shjw": ("department", "sh-jw")}))["shjw"]
    r = await api.post(f"/api/objections/{oid}/verification", json={"finding": "信息有误"}, headers=shanghai_staff)
    assert r.status_code == 200, r.text
    deadlines = await _deadlines(api, code, "decision")
    assert deadlines["forward"]["status"] == "met"  # forwarded on acceptance
    decision = deadlines["decision"]
    assert decision["label"] == "异议处理决定期限" and decision["status"] == "open"
    assert decision["due_at"][:10] == calendar.shift_working_days(today, 5).isoformat()
    assert "收到核实结果之日起5个工作日内" in decision["receipt_text"]
    r = await api.post(f"/api/objections/{oid}/decision", json={"outcome": "upheld", "reason": "信息准确"},
                       headers=tokens["xyb"])
    assert r.status_code == 200 and r.json()["state"] == "closed"
    done = {d["key"]: d for d in (await _objection_state(api, code, "closed"))["deadlines"]}
    assert done["decision"]["status"] == "met"


async def _deadlines(api, code: str, key: str) -> dict:  # type: ignore[no-untyped-def]
    """The objection's deadlines by key, once `key` is among them (its workflow plans them after the answer)."""
    for _ in range(400):
        deadlines = {d["key"]: d for d in (await api.get(f"/api/objections/track/{code}")).json()["deadlines"]}
        if key in deadlines:
            return deadlines
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {key} deadline: {sorted(deadlines)}")
