"""Dishonesty records over HTTP: the whole path with every notice arriving exactly once, who may do
what, and what the public may see."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from api.validation import today_local

LETTER = "本单位郑重承诺：依法履职、诚信守诺，如有违反自愿接受惩戒。"


def record_body(**over: object) -> dict[str, object]:
    return {"subject_department": "fgw", "category": "arrears", "severity": "general",
            "facts": "拖欠某民营企业工程款120万元逾期未付。",
            "decision_date": (today_local() - timedelta(days=150)).isoformat(),
            "rectification_due": (today_local() + timedelta(days=30)).isoformat(), "shared_with": ["fgw", "scjg"],
            **over}


async def _wait(api, rid: int, predicate, headers=None) -> dict:  # type: ignore[no-untyped-def]
    for _ in range(400):
        r = await api.get(f"/api/records/{rid}", headers=headers or {})
        if r.status_code == 200 and predicate(r.json()):
            return r.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"record {rid} did not settle: {r.text}")


async def test_whole_path_over_http_each_notice_exactly_once(api, tokens, smtp_sink) -> None:
    r = await api.post("/api/records", json=record_body(), headers=tokens["xyb"])
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    listed = (await api.get("/api/records")).json()
    assert [i["id"] for i in listed["items"]] == [rid]
    assert (await api.get(f"/records/{rid}")).status_code == 200

    steps = [
        ("fgw", "explanation", {"explanation": "财政资金拨付滞后所致"}, "rectifying"),
        ("fgw", "rectification", {"description": "已于本月全额支付", "evidence": ["付款凭证.pdf"]}, "rectifying"),
        ("xyb", "rectification-verification", {"accepted": True, "reason": "核实已付清"}, "rectified"),
        ("fgw", "repair", {"commitment_letter": LETTER}, "repair_requested"),
        ("xyb", "repair-decision", {"approved": True, "reason": "整改到位"}, "repaired"),
    ]
    for who, action, payload, state in steps:
        r = await api.post(f"/api/records/{rid}/{action}", json=payload, headers=tokens[who])
        assert r.status_code == 200, (action, r.text)
        assert r.json()["state"] == state

    await smtp_sink.wait_for(lambda m: "scjg@test.local" in str(m["To"]) and "已修复" in str(m["Subject"]))
    await smtp_sink.wait_for(lambda m: "xyb@test.local" in str(m["To"]) and "已书面说明原因" in str(m["Subject"]))
    await asyncio.sleep(0.5)
    pairs = Counter((str(m["To"]), str(m["Subject"])) for m in smtp_sink.messages)
    assert max(pairs.values()) == 1, pairs
    subjects = smtp_sink.subjects("fgw@test.local")
    assert any("请在5个工作日内书面说明原因" in s for s in subjects)
    assert any("已书面说明原因" in s for s in smtp_sink.subjects("xyb@test.local"))
    # repaired: gone from the public list, a tombstone remains, staff still see everything
    assert (await api.get("/api/records")).json()["total"] == 0
    tomb = (await api.get(f"/api/records/{rid}")).json()
    assert tomb["tombstone"] is True and tomb["state_label"] == "已修复" and "facts" not in tomb
    assert "已修复" in (await api.get(f"/records/{rid}")).text
    staff = (await api.get(f"/api/records/{rid}", headers=tokens["ducha"])).json()
    assert staff["commitment_letter"] == LETTER
    assert [h["action"] for h in staff["history"]][-1] == "repaired"


async def test_department_cannot_act_on_another_departments_record(api, tokens) -> None:
    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    for action, payload in (("explanation", {"explanation": "x"}), ("repair", {"commitment_letter": LETTER}),
                            ("rectification", {"description": "x"})):
        r = await api.post(f"/api/records/{rid}/{action}", json=payload, headers=tokens["scjg"])
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    r = await api.post(f"/api/records/{rid}/repair-decision", json={"approved": True}, headers=tokens["fgw"])
    assert r.status_code == 403
    assert (await api.post("/api/records", json=record_body(), headers=tokens["fgw"])).status_code == 403


async def test_repair_too_early_is_409_with_the_date(api, tokens) -> None:
    decided = today_local() - timedelta(days=10)
    rid = (await api.post("/api/records", json=record_body(decision_date=decided.isoformat()),
                          headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    r = await api.post(f"/api/records/{rid}/repair", json={"commitment_letter": LETTER}, headers=tokens["fgw"])
    assert r.status_code == 409
    possible = r.json()["possible_from"]
    assert possible > today_local().isoformat() and possible in r.json()["detail"]


async def test_minor_records_are_never_public_and_bad_input_is_refused(api, tokens) -> None:
    rid = (await api.post("/api/records", json=record_body(severity="minor"), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "recorded", tokens["xyb"])
    assert (await api.get("/api/records")).json()["total"] == 0
    assert (await api.get(f"/api/records/{rid}")).status_code == 404
    assert (await api.get(f"/records/{rid}")).status_code == 404
    for bad in (record_body(facts="<script>x</script>"), record_body(subject_department="nope"),
                record_body(decision_date=(today_local() + timedelta(days=1)).isoformat()),
                record_body(severity="catastrophic"), record_body(shared_with=["fgw", "nope"])):
        r = await api.post("/api/records", json=bad, headers=tokens["xyb"])
        assert r.status_code == 422, r.text
    staff = (await api.get("/api/records", headers=tokens["xyb"])).json()
    assert staff["total"] == 1


async def test_decision_dates_outside_a_plausible_range_are_refused(api, tokens) -> None:
    for bad in ("0001-01-01", "1999-12-31", (today_local() + timedelta(days=1)).isoformat()):
        r = await api.post("/api/records", json=record_body(decision_date=bad), headers=tokens["xyb"])
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
        assert r.json()["errors"][0]["field"] == "decision_date"
    assert (await api.get("/api/records", headers=tokens["xyb"])).json()["total"] == 0
