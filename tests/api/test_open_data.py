"""Open data: CSV with BOM that spreadsheets read as Chinese, JSON, an Atom feed and an iCal feed that
standard parsers accept — and none of it carries applicants' personal data or non-public items."""

from __future__ import annotations

import asyncio
import csv
import io
import xml.etree.ElementTree as ET

import icalendar

from store.db import session_scope
from store.models import Department
from tests.api.test_citizens_api import APPLICANT, _published_record
from tests.api.test_commitments_api import body, settled

ATOM = "{http://www.w3.org/2005/Atom}"


async def test_open_data_feeds_parse_and_hold_public_data_only(api, tokens) -> None:
    title = "窗口服务“好差评”全覆盖"
    cid = (await api.post("/api/commitments", json=body(title=title), headers=tokens["fgw"])).json()["id"]
    draft = (await api.post("/api/commitments", json=body(title="未公开的草稿", publish=False),
                            headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published" and c["deadlines"])
    rid = await _published_record(api, tokens)
    await api.post("/api/objections", json={"target_type": "record", "target_id": rid, **APPLICANT,
                                            "claim": "有误", "reasons": "理由"})

    raw = (await api.get("/open-data/commitments.csv")).content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == [title] and rows[0]["department_name"] == "市发展和改革委员会"
    records = list(csv.DictReader(io.StringIO((await api.get("/open-data/records.csv")).content.decode("utf-8-sig"))))
    assert [int(r["id"]) for r in records] == [rid]
    assert (await api.get("/open-data/commitments.json")).json()["total"] == 1

    r = await api.post(f"/api/commitments/{cid}/extension", json={"working_days": 5, "reason": "因疫情顺延"},
                       headers=tokens["xyb"])
    assert r.status_code == 200
    for _ in range(200):  # the record's 异议处理中 mark is written by the objection's workflow
        feed = ET.fromstring((await api.get("/feed.atom")).content)
        titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
        if f"失信记录 {rid}：异议处理中" in titles:
            break
        await asyncio.sleep(0.05)
    assert f"政务承诺 {cid}：公开" in titles and f"失信记录 {rid}：公开" in titles  # new items
    assert f"政务承诺 {cid}：延期" in titles and f"失信记录 {rid}：异议处理中" in titles  # changed items
    assert not any(f"政务承诺 {draft}：" in t for t in titles) and not any("提醒" in t for t in titles)

    with session_scope() as s:
        token = s.get(Department, "fgw").feed_token
    assert (await api.get("/departments/fgw/deadlines.ics", params={"token": "wrong"})).status_code == 404
    ics = (await api.get("/departments/fgw/deadlines.ics", params={"token": token})).content
    calendar = icalendar.Calendar.from_ical(ics)
    summaries = [str(ev.get("summary")) for ev in calendar.walk("VEVENT")]
    assert any(f"政务承诺 {cid}" in s for s in summaries) and any(f"失信记录 {rid}" in s for s in summaries)
    assert all(len(line.encode()) <= 75 for line in ics.decode().split("\r\n"))

    everything = b"".join([raw, (await api.get("/open-data/records.json")).content,
                           (await api.get("/feed.atom")).content, ics]).decode("utf-8", "ignore")
    assert "张三" not in everything and "zhangsan" not in everything and "未公开的草稿" not in everything


async def test_department_archive_and_deadline_explanation_pages(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(title="承诺甲"), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "完成"}, headers=tokens["fgw"])
    await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
    page = (await api.get("/departments/fgw")).text
    assert "市发展和改革委员会 · 诚信档案" in page and "承诺甲" in page
    assert "<th>按期践诺</th><td>1</td>" in page
    assert (await api.get("/departments/nope")).status_code == 404
    help_page = (await api.get("/about/deadlines", params={"start": "2026-09-30", "working_days": "5"})).text
    assert "2026-10-13 23:59:59" in help_page and "国庆节" in help_page and "次日起算" in help_page
    bad = (await api.get("/about/deadlines", params={"start": "9999-99-99", "working_days": "x"})).text
    assert "请输入有效的起算日期" in bad
