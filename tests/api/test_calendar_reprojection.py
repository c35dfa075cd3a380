"""A new calendar version re-projects open working-day deadlines of running cases: the case logs
the move and the bound party is told (../shared/spec/processes.md §1)."""

from __future__ import annotations

import asyncio
from datetime import date

from api.validation import today_local
from tests.api.test_commitments_api import body, settled


async def test_override_moves_open_verification_deadline_and_notifies(api, tokens, smtp_sink) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已办结"}, headers=tokens["fgw"])
    assert r.status_code == 200
    detail = await settled(api, cid, {}, lambda c: any(d["key"].startswith("verification") for d in c["deadlines"]))
    verification = next(d for d in detail["deadlines"] if d["key"].startswith("verification"))
    old_due = date.fromisoformat(verification["due_at"][:10])
    # a working day inside the open period becomes a holiday
    first_day = next(date.fromisoformat(d) for d in _working_days(verification["receipt"], today_local(), old_due))
    override = {"date": first_day.isoformat(), "kind": "holiday", "reason": "测试：临时放假"}
    preview = (await api.post("/api/calendar/preview", json=override, headers=tokens["admin"])).json()
    keys = [(d["case_id"], d["key"]) for d in preview["deadlines"]]
    assert any(c == cid and k.startswith("verification") for c, k in keys)
    assert preview["message"].startswith("此变更将影响")
    r = await api.post("/api/calendar/overrides", json=override, headers=tokens["admin"])
    assert r.status_code == 201
    for _ in range(400):
        detail = (await api.get(f"/api/commitments/{cid}")).json()
        moved = next(d for d in detail["deadlines"] if d["key"].startswith("verification"))
        logged = "deadline_moved" in [h["action"] for h in detail["history"]]
        if moved["due_at"][:10] != old_due.isoformat() and logged:
            break
        await asyncio.sleep(0.05)
    assert date.fromisoformat(moved["due_at"][:10]) > old_due
    assert moved["receipt"]["calendar_version"] == r.json()["version"]
    assert "deadline_moved" in [h["action"] for h in detail["history"]]
    await smtp_sink.wait_for(lambda m: "xyb@test.local" in str(m["To"]) and "节假日安排调整" in str(m["Subject"]))
    version = r.json()["version"]
    progress = (await api.get(f"/api/calendar/reprojections/{version}", headers=tokens["admin"])).json()
    assert progress["replanned"] and progress["reprojected"] >= 2 and progress["moved"] >= 1
    assert progress["reprojection"] == r.json()["reprojection"] == f"calendar-change-{version}"
    assert (await api.get(f"/api/calendar/reprojections/{version}", headers=tokens["fgw"])).status_code == 403
    missing = await api.get("/api/calendar/reprojections/999999", headers=tokens["admin"])
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")


def _working_days(receipt: dict, start: date, due: date) -> list[str]:
    skipped = {s["day"] for s in receipt["skipped"]}
    days = []
    current = start
    while current < due:
        current = date.fromordinal(current.toordinal() + 1)
        if current.isoformat() not in skipped:
            days.append(current.isoformat())
    return days
