"""The public commitment and record pages explain each deadline in plain sentences a citizen can check with a
calendar — never a calendar version, a profile name or the platform's internal wording (issue 14, item 3)."""

from __future__ import annotations

import asyncio

from tests.api.test_citizens_api import _published_record
from tests.api.test_commitments_api import body, settled


async def test_public_pages_explain_deadlines_without_internal_words(api, tokens) -> None:  # type: ignore[no-untyped-def]
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, tokens["fgw"], lambda c: c["state"] == "published" and c["deadlines"])
    r = await api.post(f"/api/commitments/{cid}/extension", json={"working_days": 5, "reason": "因系统升级延期"},
                       headers=tokens["xyb"])
    assert r.status_code == 200
    await settled(api, cid, tokens["fgw"], lambda c: any(d["receipt"].get("extensions") for d in c["deadlines"]))
    page = (await api.get(f"/commitments/{cid}")).text
    assert "约定的日期是" in page and "经批准延长 5 个工作日（因系统升级延期）" in page  # a fixed date, extended
    rid = await _published_record(api, tokens)
    for _ in range(400):  # the record's deadlines are planned by its workflow just after it is published
        record_page = (await api.get(f"/records/{rid}")).text
        if "的第二天起算" in record_page:
            break
        await asyncio.sleep(0.05)
    assert "的第二天起算" in record_page
    for words in ("日历版本", "诚信默认", "条例未规定", "henan"):  # the rules' version stays: 适用规则 names it
        assert words not in page and words not in record_page, words
