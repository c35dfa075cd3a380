"""Script tags and HTML typed into every public form come back escaped on every page: refused where
markup is not allowed (with nothing stored), and shown as text wherever plain text with <, & and quotes
is stored — public pages, the tracking page, staff pages, the Atom feed."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET

from markupsafe import escape
from sqlmodel import func, select

from store.db import session_scope
from store.models import Complaint, Objection
from tests.api.test_citizen_forms import file_form
from tests.api.test_citizens_api import _published_record
from tests.api.test_commitments_api import body, settled
from tests.api.test_staff_pages import _login

HOSTILE = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
TEXT = '甲 < 乙 & "丙" \'丁\' > 戊'  # plain text: stored, and must be shown as text


def assert_no_markup(html: str) -> None:
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def assert_shown_as_text(html: str, text: str = TEXT) -> None:
    assert text not in html and str(escape(text)) in html


def count(model: type) -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_search_and_lookup_forms_echo_markup_escaped(api) -> None:
    for url, params in [("/", {"q": HOSTILE}), ("/commitments", {"q": HOSTILE}), ("/records", {"q": HOSTILE}),
                        ("/about/deadlines", {"start": HOSTILE, "working_days": HOSTILE})]:
        r = await api.get(url, params=params)
        assert r.status_code in (200, 422), url
        assert_no_markup(r.text)
        assert "&lt;script&gt;" in r.text, url  # echoed back into the search box, as text
    r = await api.post("/track", data={"code": HOSTILE})
    assert r.status_code == 404 and "查询码无效" in r.text
    assert_no_markup(r.text)
    login = await api.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    r = await api.post("/login", data={"username": HOSTILE, "password": HOSTILE, "csrf": csrf})
    assert r.status_code == 401
    assert_no_markup(r.text)


async def test_filing_forms_refuse_markup_and_store_nothing(api, tokens) -> None:
    rid = await _published_record(api, tokens)
    objection = {"target_type": "record", "target_id": str(rid), "applicant_name": "王五",
                 "applicant_email": "ww@example.com", "applicant_phone": "", "claim": "有误", "reasons": "理由"}
    for name in ("applicant_name", "applicant_phone", "claim", "reasons", "target_id"):
        r = await api.post("/objections/new", data={**objection, name: HOSTILE})
        assert r.status_code == 422, name
        assert_no_markup(r.text)
        assert "&lt;script&gt;" in r.text, name  # kept in the form, as text
    complaint = {"department": "fgw", "topic": "arrears", "subject": "拖欠", "description": "未结算",
                 "complainant_name": "", "complainant_email": ""}
    for name in ("subject", "description", "complainant_name", "department"):
        r = await api.post("/complaints/new", data={**complaint, name: HOSTILE})
        assert r.status_code == 422, name
        assert_no_markup(r.text)
    assert count(Objection) == 0 and count(Complaint) == 0


async def _tracked(api, code: str, predicate) -> str:  # type: ignore[no-untyped-def]
    for _ in range(400):
        page = await api.post("/track", data={"code": code})
        if predicate(page.text):
            return page.text
        await asyncio.sleep(0.05)
    raise AssertionError(page.text)


async def test_plain_text_with_html_characters_is_shown_as_text_on_every_page(api, tokens) -> None:
    # a commitment whose title and content hold <, & and quotes: public list, page, department page, feed
    cid = (await api.post("/api/commitments", json=body(title=TEXT, content=TEXT), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    for url in ("/", "/commitments", f"/commitments/{cid}", "/departments/fgw"):
        assert_shown_as_text((await api.get(url)).text)
    feed = ET.fromstring((await api.get("/feed.atom")).content)  # XML-escaped: parses, and reads back the text
    assert feed is not None

    # a complaint filed through the form with that text: the tracking page and the staff pages
    r, code = await file_form(api, "/complaints/new", {"department": "fgw", "topic": "arrears", "subject": TEXT,
                                                       "description": TEXT, "complainant_name": "",
                                                       "complainant_email": ""})
    assert_shown_as_text(r.text)
    assert_shown_as_text(await _tracked(api, code, lambda html: "投诉" in html))
    kid = (await api.get("/api/complaints", headers=tokens["xyb"])).json()["items"][0]["id"]
    await _login(api, "xyb")
    assert_shown_as_text((await api.get(f"/staff/complaints/{kid}")).text)
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    await api.post(f"/api/complaints/{kid}/response", json={"response": TEXT}, headers=tokens["fgw"])
    await api.post(f"/api/complaints/{kid}/review", json={"substantiated": False, "reason": TEXT},
                   headers=tokens["xyb"])
    page = await _tracked(api, code, lambda html: "满意" in html)
    assert_shown_as_text(page)
    rated = await api.post("/track", data={"code": code, "action": "dissatisfied", "comment": HOSTILE})
    assert rated.status_code == 422 and "评价意见" in rated.text
    assert_no_markup(rated.text)
    asked = await api.post("/track", data={"code": code, "action": "dissatisfied", "comment": TEXT})
    assert asked.status_code == 200 and "确认评价" in asked.text
    assert_shown_as_text(asked.text)
    rated = await api.post("/track", data={"code": code, "action": "dissatisfied", "comment": TEXT, "confirmed": "1"})
    assert rated.status_code == 200 and "已记录您的评价：不满意。" in rated.text
    api.cookies.clear()
    await _login(api, "xyb")
    staff = await api.get(f"/staff/complaints/{kid}")
    assert_shown_as_text(staff.text)
    assert_no_markup(staff.text)

    # an objection's claim: the staff page of the credit office and of the department
    rid = await _published_record(api, tokens)
    r, _ = await file_form(api, "/objections/new", {"target_type": "record", "target_id": str(rid),
                                                    "applicant_name": TEXT, "applicant_email": "ww@example.com",
                                                    "claim": TEXT, "reasons": TEXT})
    oid = (await api.get("/api/objections", headers=tokens["xyb"])).json()["items"][0]["id"]
    assert_shown_as_text((await api.get(f"/staff/objections/{oid}")).text)
    await _login(api, "fgw")
    assert_shown_as_text((await api.get(f"/staff/objections/{oid}")).text)
