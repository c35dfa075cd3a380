"""A case follows its department's jurisdiction: a Shanghai department's record and the objection to it run
on 上海市社会信用条例's periods, and every page names the rules that apply."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import TZ, WorkingCalendar
from tests.api.test_citizens_api import APPLICANT, _objection_state
from tests.api.test_records_api import _wait, record_body

SHANGHAI_DEPT = {"code": "sh-jw", "name": "上海市某区建设管理委员会", "email": "shjw@test.local",
                 "profile": "shanghai"}
SHANGHAI_RULES = "上海市社会信用条例（规则版本 2026.1）"


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
