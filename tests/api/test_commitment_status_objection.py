"""An objection to a commitment's status decided over HTTP: the public JSON and page show the corrected status
with the decision and its reason (the workflow tests cover the breach record it revokes)."""

from __future__ import annotations

from email.message import EmailMessage

from tests.api.test_citizens_api import APPLICANT, _objection_state
from tests.api.test_commitments_api import body, settled


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part is not None else ""


async def test_corrected_status_is_shown_with_the_decision_and_reason(api, tokens, smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    r = await api.post("/api/objections", json={"target_type": "commitment", "target_id": cid, **APPLICANT,
                                                 "claim": "状态有误", "reasons": "承诺已于上月办结"})
    code, oid = r.json()["tracking_code"], r.json()["id"]
    await _objection_state(api, code, "submitted")
    await api.post(f"/api/objections/{oid}/acceptance", json={"accepted": True}, headers=tokens["xyb"])
    await api.post(f"/api/objections/{oid}/verification", json={"finding": "已办结属实"}, headers=tokens["fgw"])
    r = await api.post(f"/api/objections/{oid}/decision", headers=tokens["xyb"],
                       json={"outcome": "corrected", "reason": "办结凭证齐全", "correction": "已办结，待核验"})
    assert r.status_code == 200 and r.json()["state"] == "closed", r.text
    public = await settled(api, cid, {}, lambda c: c["status_decision"] is not None and not c["objection_pending"])
    decision = public["status_decision"]
    assert decision["status_label"] == "已更正：已办结，待核验" and decision["outcome_label"] == "更正"
    assert decision["reason"] == "办结凭证齐全" and decision["disputed_label"] == "履行中"
    listed = (await api.get("/api/commitments")).json()
    assert [c["status_decision"]["status_label"] for c in listed["items"] if c["id"] == cid] == [
        "已更正：已办结，待核验"]
    page = (await api.get(f"/commitments/{cid}")).text
    assert '<span class="badge">已更正：已办结，待核验</span>' in page
    assert "异议处理决定：</strong>更正原“履行中”状态。理由：办结凭证齐全" in page
    history = [e for e in public["history"] if e["action"] == "commitment_status_corrected"]
    assert [e["action_label"] for e in history] == ["经异议更正承诺状态"] and "办结凭证齐全" in history[0]["reason"]
    await smtp_sink.wait_for(lambda m: "zhangsan@example.com" in str(m["To"]) and "已办结，待核验" in _text(m))
    await smtp_sink.wait_for(lambda m: "fgw@test.local" in str(m["To"]) and "办结凭证齐全" in _text(m))
