"""The commitment API over HTTP: creation reaches the SMTP server, errors are problem+json, bad input
stores nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlmodel import func, select

from api.validation import today_local
from store.db import session_scope
from store.models import AuditEvent, Commitment

PROBLEM = "application/problem+json"


def _due(days: int = 40) -> str:
    return (today_local() + timedelta(days=days)).isoformat()


def body(**over: object) -> dict[str, object]:
    return {"kind": "processing_time", "title": "企业开办一日办结", "content": "全市企业开办一个工作日内办结。",
            "due_date": _due(), "publish": True, **over}


def count(model: type = Commitment) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def settled(api: httpx.AsyncClient, cid: int, headers: dict[str, str], predicate) -> dict:  # type: ignore[no-untyped-def]
    for _ in range(400):
        r = await api.get(f"/api/commitments/{cid}", headers=headers)
        if r.status_code == 200 and predicate(r.json()):
            return r.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"commitment {cid} did not settle: {r.text}")


async def test_create_over_http_sends_receipt_email_and_shows_deadline(api, tokens, smtp_sink) -> None:
    r = await api.post("/api/commitments", json=body(milestones=[{"title": "制定方案", "due_date": _due(10)}]),
                       headers=tokens["fgw"])
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    receipt = await smtp_sink.wait_for(lambda m: "fgw@test.local" in str(m["To"]) and "已登记" in str(m["Subject"]))
    assert f"编号 {cid}" in str(receipt[0]["Subject"])
    for _ in range(200):  # the e-mail has left; its `sent` mark is written just after the SMTP server's answer
        outbox = (await api.get("/api/notices", params={"status": "sent"}, headers=tokens["admin"])).json()
        if any(n["case"] == f"commitment-{cid}" and n["template"] == "commitment_received" for n in outbox["items"]):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the receipt of commitment {cid} is not marked sent: {outbox['items']}")
    assert (await api.get("/api/notices", headers=tokens["fgw"])).status_code == 403
    detail = await settled(api, cid, {}, lambda c: c["state"] == "published" and len(c["deadlines"]) == 2)
    due = next(d for d in detail["deadlines"] if d["key"] == "due")
    assert due["due_at"].startswith(_due()) and due["due_at"].endswith("+08:00")
    assert "承诺约定的履行期限" in due["receipt_text"]
    assert [h["action"] for h in detail["history"]][:2] == ["created", "published"]
    listed = (await api.get("/api/commitments", params={"q": "一日办结"})).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == cid
    page = await api.get(f"/commitments/{cid}")
    assert page.status_code == 200 and "企业开办一日办结" in page.text and "时限说明" in page.text
    assert "{{" not in page.text and "{%" not in page.text


async def test_bad_input_gets_clear_error_and_stores_nothing(api, tokens) -> None:
    cases = {
        "title": body(title=""),
        "title ": body(title="长" * 20_000),
        "title  ": body(title="<script>alert(1)</script>"),
        "content": body(content='<img src=x onerror="alert(1)">'),
        "due_date": body(due_date="2026-02-30"),
        "due_date ": body(due_date=(today_local() - timedelta(days=1)).isoformat()),
        "kind": body(kind="no-such-kind"),
        "milestones.0.due_date": body(milestones=[{"title": "x", "due_date": "yesterday"}]),
    }
    for field, payload in cases.items():
        r = await api.post("/api/commitments", json=payload, headers=tokens["fgw"])
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        problem = r.json()
        assert problem["status"] == 422 and problem["errors"], problem
        assert field.strip() in [e["field"] for e in problem["errors"]], problem
    r = await api.post("/api/commitments", content=b'{"title": ', headers={**tokens["fgw"],
                                                                          "content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)
    assert count() == 0 and count(AuditEvent) == 0


async def test_problem_responses_401_403_404_409(api, tokens) -> None:
    r = await api.post("/api/commitments", json=body())
    assert r.status_code == 401 and r.headers["content-type"].startswith(PROBLEM)
    r = await api.post("/api/commitments", json=body(department="fgw"), headers=tokens["scjg"])
    assert r.status_code == 403 and r.json()["status"] == 403
    r = await api.post("/api/commitments", json=body(), headers=tokens["ducha"])
    assert r.status_code == 403
    r = await api.get("/api/commitments/999999")
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)

    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已完成"}, headers=tokens["scjg"])
    assert r.status_code == 403
    before = count(AuditEvent)
    r = await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["state"] == "published" and "履行中" in r.json()["detail"]
    r = await api.post(f"/api/commitments/{cid}/publish", headers=tokens["fgw"])
    assert r.status_code == 409 and r.json()["state"] == "published"
    assert count(AuditEvent) == before


async def test_department_cannot_see_or_touch_another_departments_draft(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(publish=False), headers=tokens["fgw"])).json()["id"]
    assert (await api.get(f"/api/commitments/{cid}")).status_code == 404
    assert (await api.get(f"/api/commitments/{cid}", headers=tokens["scjg"])).status_code == 404
    assert (await api.get(f"/api/commitments/{cid}", headers=tokens["fgw"])).status_code == 200
    assert (await api.post(f"/api/commitments/{cid}/publish", headers=tokens["scjg"])).status_code == 404


async def test_full_path_report_verify_and_amendment_refused_for_change_of_term(api, tokens, smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    r = await api.post(f"/api/commitments/{cid}/amendment", headers=tokens["fgw"], json={
        "reason_code": "public_interest", "reason": "领导换届，新班子另有安排", "due_date": _due(60)})
    assert r.status_code == 422 and "换届" in r.json()["detail"]
    r = await api.post(f"/api/commitments/{cid}/fulfilment", headers=tokens["fgw"],
                       json={"report": "已全部办结", "evidence": ["办结清单.pdf"]})
    assert r.status_code == 200 and r.json()["state"] == "fulfilment_reported"
    await smtp_sink.wait_for(lambda m: "xyb@test.local" in str(m["To"]) and "报告履行情况" in str(m["Subject"]))
    r = await api.post(f"/api/commitments/{cid}/verification", headers=tokens["xyb"],
                       json={"accepted": True, "reason": "材料齐全"})
    assert r.status_code == 200 and r.json()["state"] == "fulfilled"
    detail = await settled(api, cid, {}, lambda c: c["state"] == "fulfilled")
    assert "amendment_requested" not in [h["action"] for h in detail["history"]]
    audit = (await api.get("/api/audit", params={"case": f"commitment-{cid}"}, headers=tokens["xyb"])).json()
    assert [e["action"] for e in audit["items"]][-2:] == ["fulfilment_reported", "verified_accepted"]
    assert (await api.get("/api/audit", params={"case": f"commitment-{cid}"},
                          headers=tokens["fgw"])).status_code == 403


async def test_idempotency_key_returns_first_response(api, tokens) -> None:
    headers = {**tokens["fgw"], "Idempotency-Key": "req-42"}
    first = await api.post("/api/commitments", json=body(), headers=headers)
    second = await api.post("/api/commitments", json=body(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and count() == 1
    other = await api.post("/api/commitments", json=body(title="另一项"), headers=headers)
    assert other.status_code == 422 and count() == 1


async def test_calendar_deadline_and_versioned_overrides(api, tokens) -> None:
    r = await api.get("/api/calendar/deadline", params={"start": "2026-09-30", "working_days": 5})
    assert r.json()["due_date"] == "2026-10-13" and r.json()["provisional"] is False
    r = await api.get("/api/calendar/deadline", params={"start": "2026-12-30", "working_days": 2})
    assert r.json()["due_date"] == "2027-01-04" and r.json()["provisional"] is True
    assert "暂定" in r.json()["receipt_text"]
    r = await api.get("/api/calendar/deadline", params={"start": "2026-13-01", "working_days": 2})
    assert r.status_code == 422
    override = {"date": "2027-01-04", "kind": "holiday", "reason": "测试：元旦调休"}
    assert (await api.post("/api/calendar/overrides", json=override, headers=tokens["fgw"])).status_code == 403
    assert (await api.post("/api/calendar/overrides", json={**override, "reason": ""},
                           headers=tokens["admin"])).status_code == 422
    r = await api.post("/api/calendar/overrides", json=override, headers=tokens["admin"])
    assert r.status_code == 201 and r.json()["version"] >= 1
    r = await api.get("/api/calendar/deadline", params={"start": "2026-12-30", "working_days": 2})
    assert r.json()["due_date"] == "2027-01-05"
    assert r.json()["receipt"]["calendar_version"] >= 1
    listed = (await api.get("/api/calendar/overrides", headers=tokens["xyb"])).json()
    assert listed["items"][0]["reason"] == "测试：元旦调休" and listed["items"][0]["created_by"] == "admin"


async def test_departments_and_health(api, tokens) -> None:
    assert (await api.get("/healthz")).json()["status"] == "ok"
    new = {"code": "jyj", "name": "市教育局", "email": "jyj@test.local"}
    assert (await api.post("/api/departments", json=new, headers=tokens["xyb"])).status_code == 403
    assert (await api.post("/api/departments", json={**new, "email": "not-an-email"},
                           headers=tokens["admin"])).status_code == 422
    r = await api.post("/api/departments", json=new, headers=tokens["admin"])
    assert r.status_code == 201
    assert (await api.post("/api/departments", json=new, headers=tokens["admin"])).status_code == 409
    codes = [d["code"] for d in (await api.get("/api/departments")).json()["items"]]
    assert "jyj" in codes




async def test_pages_escape_text_and_hide_drafts(api, tokens) -> None:
    title = 'A&B "引号" 承诺'
    cid = (await api.post("/api/commitments", json=body(title=title), headers=tokens["fgw"])).json()["id"]
    draft = (await api.post("/api/commitments", json=body(title="草稿承诺", publish=False),
                            headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    page = (await api.get(f"/commitments/{cid}")).text
    assert "A&amp;B &#34;引号&#34; 承诺" in page and title not in page
    portal = (await api.get("/")).text
    assert "A&amp;B" in portal and "草稿承诺" not in portal
    assert (await api.get(f"/commitments/{draft}")).status_code == 404


async def test_edge_inputs_get_problems_not_500s(api, tokens) -> None:
    far = await api.post("/api/commitments", json=body(due_date="9999-12-31"), headers=tokens["fgw"])
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "due_date"
    r = await api.get("/api/calendar/deadline", params={"start": "9999-12-30", "working_days": 5})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    r = await api.get("/api/commitments/99999999999999999999")
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM)
    assert count() == 0


async def test_actions_on_an_ended_case_are_409_and_action_keys_are_scoped(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    key = {"Idempotency-Key": "same-key"}
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"},
                       headers={**tokens["fgw"], **key})
    assert r.status_code == 200 and r.json()["state"] == "fulfilment_reported"
    again = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"},
                           headers={**tokens["fgw"], **key})
    assert again.status_code == 200 and again.json() == r.json()  # a repeat returns the first outcome
    r = await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True},
                       headers={**tokens["xyb"], **key})
    assert r.status_code == 200 and r.json()["state"] == "fulfilled"  # same key, other action: runs
    await settled(api, cid, {}, lambda c: c["state"] == "fulfilled")
    for _ in range(100):  # the workflow ends once its last notices are out
        r = await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
        if r.status_code == 409:
            break
        await asyncio.sleep(0.1)
    assert r.status_code == 409 and r.json()["state"] == "fulfilled"


async def test_an_action_key_reused_with_another_body_is_refused_and_a_repeat_replays(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    keyed = {**tokens["fgw"], "Idempotency-Key": "report-1"}
    first = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"}, headers=keyed)
    assert first.status_code == 200 and first.json()["state"] == "fulfilment_reported", first.text
    again = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"}, headers=keyed)
    assert again.status_code == 200 and again.json() == first.json()
    other = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "另一份报告"}, headers=keyed)
    assert other.status_code == 422 and other.headers["content-type"] == PROBLEM
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    history = (await api.get(f"/api/commitments/{cid}", headers=tokens["fgw"])).json()["history"]
    assert [h["action"] for h in history].count("fulfilment_reported") == 1


async def test_405_names_every_method_of_the_path(api) -> None:
    r = await api.delete("/api/commitments")
    assert r.status_code == 405 and r.headers["content-type"] == PROBLEM
    assert set(r.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
