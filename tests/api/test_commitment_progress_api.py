"""Progress updates over HTTP, and what the public commitment page shows: the department posts progress (another
department 403, the public 401); the page shows the fulfilment report, the verification outcome with its reason
and date, each milestone's status in words, the percentage bar, the dated timeline of progress and the public
files with their SHA-256."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from api.validation import today_local
from tests.api.test_commitments_api import body, settled

PDF = b"%PDF-1.4\n% progress evidence\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _due(days: int) -> str:
    return (today_local() + timedelta(days=days)).isoformat()


def _text(html: str) -> str:
    """The page's words without tags, for phrases that span elements."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def _commitment(api, tokens) -> int:  # type: ignore[no-untyped-def]
    r = await api.post("/api/commitments", json=body(milestones=[{"title": "制定方案", "due_date": _due(10)},
                                                                 {"title": "全面推行", "due_date": _due(20)}]),
                       headers=tokens["fgw"])
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    return cid


async def test_progress_is_the_departments_and_the_page_shows_what_was_done(api, tokens) -> None:
    cid = await _commitment(api, tokens)
    url = f"/api/commitments/{cid}/progress"
    assert (await api.post(url, json={"text": "进展"})).status_code == 401
    for who in ("scjg", "xyb", "ducha"):
        r = await api.post(url, json={"text": "进展"}, headers=tokens[who])
        assert r.status_code == 403, (who, r.text)
    assert (await api.post(url, json={"text": ""}, headers=tokens["fgw"])).status_code == 422
    assert (await api.post(url, json={"text": "进展", "percent": 101}, headers=tokens["fgw"])).status_code == 422
    assert (await api.post(url, json={"text": "<script>x</script>"}, headers=tokens["fgw"])).status_code == 422

    up = await api.post("/api/attachments", files={"files": ("方案.pdf", PDF, "application/pdf")},
                        headers=tokens["fgw"])
    assert up.status_code == 201, up.text
    file_id = up.json()["attachments"][0]["id"]
    r = await api.post(url, json={"text": "方案已起草完毕\n正在征求意见", "percent": 40, "attachments": [file_id]},
                       headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "published"
    r = await api.post(url, json={"text": "已召开座谈会"}, headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    detail = await settled(api, cid, {}, lambda c: len(c["progress_updates"]) == 2)
    assert [(p["text"], p["percent"]) for p in detail["progress_updates"]] == [
        ("方案已起草完毕\n正在征求意见", 40), ("已召开座谈会", None)]
    assert detail["progress_updates"][0]["at"].endswith("+08:00")

    page = (await api.get(f"/commitments/{cid}")).text
    words = _text(page)
    assert "履行进展" in page and "单位自报完成进度 40%" in words
    assert '<progress class="bar" value="40" max="100"' in page
    assert page.index("已召开座谈会") < page.index("方案已起草完毕")  # newest first
    assert today_local().isoformat() in words
    assert "已完成 0 / 2 个节点（0%）" in words and "未完成" in words
    assert "公开的证明材料" not in page  # the credit office has not made the file public
    assert file_id not in page

    r = await api.post(f"/api/attachments/{file_id}/publicity", json={"public": True}, headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    page = (await api.get(f"/commitments/{cid}")).text
    assert "公开的证明材料" in page and f'href="/files/{file_id}"' in page and "进展材料" in page
    assert hashlib.sha256(PDF).hexdigest() in page and "SHA-256 校验值（存证）" in page and "KB" in page

    r = await api.post(f"/api/commitments/{cid}/milestones/1/completion", json={}, headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "全市企业开办平均用时半天"},
                       headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    r = await api.post(url, json={"text": "报告后"}, headers=tokens["fgw"])
    assert r.status_code == 409, r.text
    r = await api.post(f"/api/commitments/{cid}/verification", json={"accepted": False, "reason": "缺少统计数据"},
                       headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    await settled(api, cid, {}, lambda c: c["verification"] is not None)
    words = _text((await api.get(f"/commitments/{cid}")).text)
    assert "全市企业开办平均用时半天" in words and "核验不通过" in words and "理由：缺少统计数据" in words
    assert "已完成 1 / 2 个节点（50%）" in words and "已完成（按期）" in words

    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "补充统计：平均用时 4 小时"},
                       headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    await settled(api, cid, {}, lambda c: c["state"] == "fulfilment_reported")
    words = _text((await api.get(f"/commitments/{cid}")).text)
    assert "待信用办核验" in words and "前次报告于" in words

    r = await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
    assert r.status_code == 200, r.text
    detail = await settled(api, cid, {}, lambda c: c["state"] == "fulfilled")
    assert detail["verification"]["accepted"] and detail["progress"]["percent"] == 50
    page = (await api.get(f"/commitments/{cid}")).text
    words = _text(page)
    assert "核验通过" in words and "补充统计：平均用时 4 小时" in words
    assert "其中 1 个节点未单独报告完成情况" in words and "未单独报告（承诺已整体践诺）" in words
    assert '<progress id="milestone-progress" class="bar" value="1" max="2"' in page
    assert "style=" not in page
