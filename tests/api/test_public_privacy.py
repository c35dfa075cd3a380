"""No applicant's personal data in any public output: one sweep over every page, list, open-data file,
feed and public API answer a visitor can reach, after objections and complaints that name people
and a complaint that turned into a public dishonesty record."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import httpx

from tests.api.test_citizens_api import _published_record

SECRETS = {"applicant_name": "欧阳隐私", "applicant_email": "yinsi.applicant@example.com",
           "applicant_phone": "13912345678", "complainant_name": "司马保密",
           "complainant_email": "baomi.complainant@example.com"}
STAFF_ONLY = ("/staff", "/admin", "/login", "/logout", "/dev/", "/track", "/docs", "/redoc")


def _links(base: str, body: str) -> list[str]:
    return [urljoin(base, href) for href in re.findall(r'href="([^"#]+)"', body)]


async def _crawl(api: httpx.AsyncClient, starts: list[str], limit: int = 400) -> dict[str, str]:
    """Every same-site URL reachable from `starts` as an anonymous visitor (each page's links followed)."""
    seen: dict[str, str] = {}
    queue = deque(starts)
    while queue and len(seen) < limit:
        url = queue.popleft()
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc not in ("", "chengxin.test") or path in seen or path.startswith(STAFF_ONLY):
            continue
        r = await api.get(path)
        seen[path] = r.text
        if r.status_code == 200 and "html" in r.headers.get("content-type", ""):
            queue.extend(_links(f"http://chengxin.test{path}", r.text))
    return seen


async def test_no_applicant_data_in_any_public_output(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    r = await api.post("/api/objections", json={
        "target_type": "record", "target_id": rid, "claim": "该记录有误", "reasons": "款项已付清",
        **{k: SECRETS[k] for k in ("applicant_name", "applicant_email", "applicant_phone")}})
    assert r.status_code == 201, r.text
    r = await api.post("/api/complaints", json={
        "department": "fgw", "topic": "arrears", "subject": "拖欠工程款", "description": "竣工两年未结算",
        "complainant_name": SECRETS["complainant_name"], "complainant_email": SECRETS["complainant_email"]})
    assert r.status_code == 201, r.text
    kid = r.json()["id"]
    for who, action, payload in [("xyb", "triage", {"reason": "分办"}), ("fgw", "response", {"response": "已结算"}),
                                 ("xyb", "review", {"substantiated": True, "reason": "经查属实"})]:
        r = await api.post(f"/api/complaints/{kid}/{action}", json=payload, headers=tokens[who])
        assert r.status_code == 200, r.text
    from_complaint = r.json()["record_id"]
    assert from_complaint is not None
    staff_view = await api.get(f"/api/complaints/{kid}", headers=tokens["xyb"])
    assert SECRETS["complainant_name"] in staff_view.text  # stored, and shown to the credit office only

    pages = await _crawl(api, ["/", "/records", "/commitments", "/ranking", "/feed.atom",
                               "/open-data/commitments.csv", "/open-data/commitments.json",
                               "/open-data/records.csv", "/open-data/records.json", "/api/commitments",
                               "/api/records", f"/api/records/{rid}", f"/api/records/{from_complaint}",
                               f"/api/audit?case=record-{from_complaint}", f"/api/audit?case=record-{rid}"])
    # the sweep reached the pages where a leak would be: both records, their department, the open data
    for must in (f"/records/{rid}", f"/records/{from_complaint}", "/departments/fgw", "/open-data/records.json"):
        assert must in pages, sorted(pages)
    assert "投诉" in pages[f"/records/{from_complaint}"]  # the record says where it came from
    for path, body in pages.items():
        for secret in SECRETS.values():
            assert secret not in body, (path, secret)
