"""Importing a State Council holiday notice over the real Temporal dev server: one version, its year
confirmed, open deadlines re-projected — a provisional 2027 deadline becomes a confirmed one, and the case
whose date changed logs the move (../shared/spec/processes.md §1)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tests.api.test_commitments_api import body, settled

NOTICE_2027 = (Path(__file__).parent.parent / "data" / "notice_2027.txt").read_text(encoding="utf-8")
LAW_MAKE_UP = "2027-02-09 按《全国年节及纪念日放假办法》第六条推定为补假（春节逢周末）"


def _due(detail: dict) -> dict:
    return next(d for d in detail["deadlines"] if d["key"] == "due")


async def test_importing_the_2027_notice_confirms_provisional_deadlines_and_logs_the_move(api, tokens) -> None:
    # promised for 2027-02-04, extended by 5 working days: over 春节 by the law alone that is 02-17
    cid = (await api.post("/api/commitments", json=body(due_date="2027-02-04"), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    r = await api.post(f"/api/commitments/{cid}/extension", json={"working_days": 5, "reason": "春节前后项目验收"},
                       headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    detail = await settled(api, cid, {}, lambda c: _due(c)["due_at"].startswith("2027-02-17"))
    assert _due(detail)["provisional"] is True and LAW_MAKE_UP in _due(detail)["receipt_text"]

    preview = await api.post("/api/calendar/notices/preview", json={"text": NOTICE_2027}, headers=tokens["admin"])
    assert preview.status_code == 200, preview.text
    p = preview.json()
    assert p["errors"] == [] and p["year"] == 2027 and len(p["holidays"]) == 28 and len(p["workdays"]) == 5
    moved = next(d for d in p["deadlines"] if d["case_id"] == cid and d["key"] == "due")
    # the notice makes 02-11/02-12 rest days too but Sunday 02-14 a working day
    assert (moved["old_due_date"], moved["new_due_date"], moved["provisional"]) == ("2027-02-17", "2027-02-18", False)
    assert p["message"] == f"此变更将影响 {p['affected']} 个未到期时限"
    assert (await api.post("/api/calendar/notices/preview", json={"text": NOTICE_2027},
                           headers=tokens["fgw"])).status_code == 403

    r = await api.post("/api/calendar/notices", json={"text": NOTICE_2027}, headers=tokens["admin"])
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    assert r.json()["reprojection"] == f"calendar-change-{version}" and r.json()["affected"] == p["affected"]
    for _ in range(400):
        detail = (await api.get(f"/api/commitments/{cid}")).json()
        if _due(detail)["receipt"]["calendar_version"] == version and any(
                h["action"] == "deadline_moved" for h in detail["history"]):
            break
        await asyncio.sleep(0.05)
    due = _due(detail)
    assert due["due_at"].startswith("2027-02-18") and due["provisional"] is False
    assert "暂定" not in due["receipt_text"] and due["receipt"]["calendar_version"] == version
    assert "承诺履行期限因节假日安排调整由 2027-02-17 改为 2027-02-18" in [h["reason"] for h in detail["history"]]
    page = await api.get(f"/commitments/{cid}")
    row = re.search(r"<td[^>]*>2027-02-18 23:59:59[^<]*(<span[^>]*>暂定</span>)?", page.text)
    assert row is not None and row.group(1) is None  # shown, no longer 暂定

    items = (await api.get("/api/calendar/overrides", headers=tokens["admin"])).json()["items"]
    mine = [i for i in items if i["version"] == version]
    assert len(mine) == 34 and {i["kind"] for i in mine} == {"holiday", "workday", "year_confirmed"}
    assert all(i["reason"].startswith("国务院办公厅关于2027年部分节假日安排的通知") for i in mine)
    assert max(i["version"] for i in items) == version  # one import, one version


async def test_a_notice_that_cannot_be_read_whole_is_refused_and_saves_nothing(api, tokens) -> None:
    text = NOTICE_2027.replace("5月8日（周六）上班", "5月8日（周五）上班")
    r = await api.post("/api/calendar/notices", json={"text": text}, headers=tokens["admin"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "5月8日是周六，通知写作周五" in r.json()["errors"][0]["message"] and r.json()["errors"][0]["field"] == "text"
    assert (await api.get("/api/calendar/overrides", headers=tokens["admin"])).json()["total"] == 0
