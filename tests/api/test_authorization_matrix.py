"""Every staff endpoint × every role × own/foreign department, as ../shared/spec/processes.md §10 says: `department`
acts on its own department's cases only; `credit_office` decides, records, verifies and keeps calendars;
`supervisor` reads; `admin` keeps users, departments and calendars; the public gets 401.

A cell is allowed when the answer is not 401/403/404 (the action may still be refused for the case's
state: 409/422). Denied cells must be 403 (404 where the case is hidden from that department)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.validation import today_local
from tests.api.test_citizens_api import APPLICANT, _published_record
from tests.api.test_commitments_api import body, settled
from tests.api.test_integrity_reports_api import _open as open_integrity_report

ACTORS = ("public", "own", "foreign", "credit_office", "supervisor", "admin")
DENIED = {401, 403, 404}
STAFF = ("own", "foreign", "credit_office", "supervisor", "admin")


def _due(days: int) -> str:
    return (today_local() + timedelta(days=days)).isoformat()


def matrix(ids: dict[str, int]) -> list[tuple[str, str, dict | None, set[str]]]:
    """(method, path, JSON body, actors allowed). `own` is fgw, whose cases these are; `foreign` is scjg."""
    c, m, r, o, k = ids["commitment"], ids["milestone_commitment"], ids["record"], ids["objection"], ids["complaint"]
    office = {"credit_office"}
    return [
        ("POST", "/api/commitments", body(department="fgw"), {"own", "credit_office"}),
        ("POST", f"/api/commitments/{c}/fulfilment", {"report": "完成"}, {"own"}),
        ("POST", f"/api/commitments/{m}/milestones/1/completion", {}, {"own"}),
        ("POST", f"/api/commitments/{c}/progress", {"text": "进展"}, {"own"}),
        ("POST", f"/api/commitments/{c}/amendment", {"reason_code": "public_interest", "reason": "公共利益",
                                                     "due_date": _due(80)}, {"own", "credit_office"}),
        ("POST", f"/api/commitments/{c}/pause", {"reason_code": "inspection", "reason": "检验"}, office),
        ("POST", f"/api/commitments/{c}/resume", None, office),
        ("POST", f"/api/commitments/{c}/extension", {"working_days": 2, "reason": "延期"}, office),
        ("POST", f"/api/commitments/{c}/verification", {"accepted": True}, office),
        ("POST", f"/api/commitments/{ids['draft']}/publish", None, {"own", "credit_office"}),
        ("POST", "/api/records", {"subject_department": "fgw", "category": "arrears", "facts": "拖欠",
                                  "decision_date": today_local().isoformat()}, office),
        ("POST", f"/api/records/{r}/explanation", {"explanation": "说明"}, {"own"}),
        ("POST", f"/api/records/{r}/rectification", {"description": "整改"}, {"own"}),
        ("POST", f"/api/records/{r}/repair", {"commitment_letter": "承诺"}, {"own"}),
        ("POST", f"/api/records/{r}/rectification-verification", {"accepted": True}, office),
        ("POST", f"/api/records/{r}/repair-decision", {"approved": False, "reason": "不符合"}, office),
        ("POST", f"/api/records/{r}/mitigation", {"effect": "mitigated", "reason": "主动纠正"}, office),
        ("POST", f"/api/records/{r}/severity", {"severity": "general", "reason": "一般"}, office),
        ("POST", f"/api/records/{r}/rectification-deadline", {"due_date": _due(30), "reason": "限期"}, office),
        ("GET", "/api/objections", None, set(STAFF)),
        ("GET", f"/api/objections/{o}", None, {"own", "credit_office", "supervisor", "admin"}),
        ("POST", f"/api/objections/{o}/acceptance", {"accepted": True}, office),
        ("POST", f"/api/objections/{o}/verification", {"finding": "属实"}, {"own"}),
        ("POST", f"/api/objections/{o}/decision", {"outcome": "upheld", "reason": "维持"}, office),
        ("GET", "/api/complaints", None, set(STAFF)),
        ("GET", f"/api/complaints/{k}", None, {"own", "credit_office", "supervisor", "admin"}),
        ("POST", f"/api/complaints/{k}/triage", {}, office),
        ("POST", f"/api/complaints/{k}/response", {"response": "已答复"}, {"own"}),
        ("POST", f"/api/complaints/{k}/review", {"substantiated": False, "reason": "不属实"}, office),
        ("GET", "/api/integrity-reports", None, set(STAFF)),
        ("GET", f"/api/integrity-reports/{ids['integrity_report']}", None,
         {"own", "credit_office", "supervisor", "admin"}),
        ("POST", f"/api/integrity-reports/{ids['integrity_report']}/submission", {"text": "报告"}, {"own"}),
        ("POST", f"/api/integrity-reports/{ids['integrity_report']}/return", {"reason": "补充",
                                                                              "due_date": _due(20)}, office),
        ("POST", f"/api/integrity-reports/{ids['integrity_report']}/acceptance", {}, office),
        ("GET", "/api/integrity-reports/consolidated", None, {"credit_office", "supervisor", "admin"}),
        ("GET", "/api/deadlines", None, set(STAFF)),
        ("GET", f"/api/audit?case=commitment-{c}", None, {"credit_office", "supervisor"}),
        ("GET", "/api/notices", None, {"credit_office", "admin"}),
        ("GET", "/api/calendar/overrides", None, {"credit_office", "admin"}),
        ("POST", "/api/calendar/preview", {"date": _due(400), "kind": "holiday", "reason": "预览"},
         {"credit_office", "admin"}),
        ("GET", f"/api/calendar/reprojections/{ids['calendar_version']}", None, {"credit_office", "admin"}),
        ("POST", "/api/departments", {"code": f"d{c}", "name": "新单位", "email": "new@test.local"}, {"admin"}),
        ("GET", "/api/users", None, {"admin"}),
        ("POST", "/api/users", {"username": f"u{c}x", "password": "long-enough-pass", "role": "supervisor"}, {"admin"}),
        ("GET", "/api/reports/departments", None, set(STAFF)),
        ("GET", "/api/officials/某人", None, {"credit_office", "supervisor", "admin"}),
    ]


@pytest.fixture
async def cases(api, tokens, temporal_client, worker) -> dict[str, int]:  # type: ignore[no-untyped-def]
    c = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    m = (await api.post("/api/commitments", json=body(milestones=[{"title": "节点", "due_date": _due(10)}]),
                        headers=tokens["fgw"])).json()["id"]
    draft = (await api.post("/api/commitments", json=body(publish=False), headers=tokens["fgw"])).json()["id"]
    for cid in (c, m):
        await settled(api, cid, {}, lambda x: x["state"] == "published")
    r = await _published_record(api, tokens)
    o = (await api.post("/api/objections", json={"target_type": "record", "target_id": r, "claim": "有误",
                                                 "reasons": "理由", **APPLICANT})).json()["id"]
    k = (await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears", "subject": "拖欠",
                                                 "description": "未付"})).json()["id"]
    version = (await api.post("/api/calendar/overrides", json={"date": _due(500), "kind": "holiday",  # moves nothing
                                                               "reason": "矩阵测试"}, headers=tokens["admin"])).json()
    ir, _ = await open_integrity_report(temporal_client, worker)
    return {"commitment": c, "milestone_commitment": m, "draft": draft, "record": r, "objection": o, "complaint": k,
            "calendar_version": version["version"], "integrity_report": ir}


async def test_every_staff_endpoint_for_every_role_and_department(api, tokens, cases) -> None:
    headers = {"public": {}, "own": tokens["fgw"], "foreign": tokens["scjg"], "credit_office": tokens["xyb"],
               "supervisor": tokens["ducha"], "admin": tokens["admin"]}
    wrong: list[str] = []
    for method, path, json_body, allowed in matrix(cases):
        # refusals first, so that an allowed action cannot change what a later cell sees
        for actor in sorted(ACTORS, key=lambda a: a in allowed):
            r = await api.request(method, path, json=json_body, headers=headers[actor])
            if actor in allowed:
                ok = r.status_code not in DENIED and r.status_code < 500
            elif actor == "public":
                ok = r.status_code == 401
            else:
                ok = r.status_code in (403, 404) and r.headers["content-type"] == "application/problem+json"
            if not ok:
                wrong.append(f"{method} {path} as {actor}: {r.status_code} {r.text[:120]}")
    assert not wrong, "\n".join(wrong)
