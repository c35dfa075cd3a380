"""建议提案 over HTTP: the coordinator registers, the lead unit drafts and its leader approves the reply, the
co-unit sends its opinion, other units are kept out, and the public reads a reply only once it is made public,
never the deputy's contact."""

from __future__ import annotations

import asyncio

import httpx
import pytest_asyncio

from store.db import session_scope
from store.models import Department
from tests.api.conftest import bearer_headers
from tests.api.test_commitments_api import PROBLEM
from tests.api.test_staff_pages import _csrf, _login

CONTACT = "13800000000"


def motion_body(**over: object) -> dict:
    return {"kind": "deputy_session", "number": "建议第101号", "title": "关于优化营商环境的建议",
            "content": "建议清理拖欠企业账款。", "deputy_name": "李代表", "deputy_contact": CONTACT,
            "lead_department": "fgw", "co_departments": ["scjg"], **over}


@pytest_asyncio.fixture
async def staff(api: httpx.AsyncClient, tokens: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The STAFF tokens, a coordinator (政府办) and a third unit that has nothing to do with the motion."""
    with session_scope() as session:
        session.add(Department(code="jtj", name="市交通运输局", email="jtj@test.local",
                               supervisor_email="jtj-sup@test.local", feed_token="t-jtj"))
    return {**tokens, **await bearer_headers(api, {"zfb": ("coordinator", None), "jtj": ("department", "jtj")})}


async def motion_state(api: httpx.AsyncClient, mid: int, headers: dict[str, str], predicate) -> dict:  # type: ignore[no-untyped-def]
    for _ in range(400):
        r = await api.get(f"/api/motions/{mid}", headers=headers)
        if r.status_code == 200 and predicate(r.json()):
            return r.json()
        await asyncio.sleep(0.05)
    raise AssertionError(f"motion {mid} did not settle: {r.text}")


async def register(api: httpx.AsyncClient, headers: dict[str, str], **over: object) -> int:
    r = await api.post("/api/motions", json=motion_body(**over), headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "assigned"
    return int(r.json()["id"])


async def test_lead_unit_replies_after_the_co_unit_and_the_public_sees_it_once_published(api, staff) -> None:
    mid = await register(api, staff["zfb"])
    url = f"/api/motions/{mid}"
    seen = await motion_state(api, mid, staff["zfb"], lambda d: d["state"] == "assigned")
    assert seen["deputy_contact"] == CONTACT and seen["department_name"] == "市发展和改革委员会"

    lead = (await api.get(url, headers=staff["fgw"])).json()
    assert lead["deputy_contact"] is None and lead["deputy_name"] == "李代表"
    assert (await api.get(url, headers=staff["ducha"])).json()["deputy_contact"] is None
    assert (await api.get(url, headers=staff["scjg"])).status_code == 200

    # not the lead's action while the co-unit has not sent its opinion; not the co-unit's to draft
    r = await api.post(f"{url}/draft_reply", json={"reply": "已办理", "result_class": "A"}, headers=staff["fgw"])
    assert r.status_code == 409, r.text
    r = await api.post(f"{url}/draft_reply", json={"reply": "已办理", "result_class": "A"}, headers=staff["scjg"])
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    r = await api.post(f"{url}/send_opinion", json={"opinion": "同意"}, headers=staff["fgw"])
    assert r.status_code == 403, r.text

    r = await api.post(f"{url}/send_opinion", json={"opinion": "同意主办单位意见，配合清欠。"}, headers=staff["scjg"],
                       )
    assert r.status_code == 200 and r.json()["co_sent"] == ["scjg"], r.text
    r = await api.post(f"{url}/draft_reply", json={"reply": "已清理拖欠账款 3 笔。", "result_class": "A"},
                       headers={**staff["fgw"], "Idempotency-Key": "draft-1"})
    assert r.status_code == 200 and r.json()["state"] == "drafted", r.text
    again = await api.post(f"{url}/draft_reply", json={"reply": "已清理拖欠账款 3 笔。", "result_class": "A"},
                           headers={**staff["fgw"], "Idempotency-Key": "draft-1"})
    assert again.status_code == 200 and again.json()["state"] == "drafted"
    r = await api.post(f"{url}/approve_reply", json={"leader": "王主任"}, headers=staff["fgw"])
    assert r.status_code == 200 and r.json()["state"] == "replied", r.text
    done = await motion_state(api, mid, staff["zfb"], lambda d: d["state"] == "replied")
    assert done["approved_by_leader"] == "王主任" and done["result_class"] == "A"

    public = (await api.get("/api/motions")).json()
    assert public["items"] == []
    r = await api.post(f"{url}/publish_reply", headers=staff["fgw"])
    assert r.status_code == 403, r.text
    r = await api.post(f"{url}/publish_reply", headers=staff["zfb"])
    assert r.status_code == 200 and r.json()["reply_public"] is True, r.text
    await motion_state(api, mid, staff["zfb"], lambda d: d["reply_public"])
    listed = await api.get("/api/motions")
    [item] = listed.json()["items"]
    assert item["number"] == "建议第101号" and item["department_name"] == "市发展和改革委员会"
    assert item["result_class_zh"].startswith("A类") and item["reply_text"] == "已清理拖欠账款 3 笔。"
    assert item["replied_on"] is not None
    assert CONTACT not in listed.text and "李代表" not in listed.text and "同意主办单位" not in listed.text
    page = await api.get("/motions")
    assert page.status_code == 200 and "建议第101号" in page.text and "A类：已解决或基本解决" in page.text
    assert CONTACT not in page.text and 'data-label="答复内容"' in page.text

    r = await api.post(f"{url}/record_feedback", json={"feedback": "satisfied"}, headers=staff["zfb"])
    assert r.status_code == 200 and r.json()["state"] == "closed", r.text

    # the reply and the feedback count for the lead unit on /ranking, each rate linked to the motions behind it
    ranking = (await api.get("/ranking")).text
    assert "建议提案按期答复率" in ranking and "figure=motion_reply_rate" in ranking
    for figure, words in (("motion_reply_rate", "按期"), ("motion_satisfaction_rate", "代表委员意见：满意")):
        listed = await api.get("/ranking/answers", params={"figure": figure, "department": "fgw"})
        assert listed.status_code == 200 and "建议第101号" in listed.text, listed.text
        assert "《关于优化营商环境的建议》（主办：市发展和改革委员会）" in listed.text and words in listed.text
        assert CONTACT not in listed.text and "李代表" not in listed.text


async def test_other_units_and_anonymous_callers_are_kept_out(api, staff) -> None:
    mid = await register(api, staff["zfb"])
    url = f"/api/motions/{mid}"
    assert (await api.get(url, headers=staff["jtj"])).status_code == 403
    r = await api.post(f"{url}/send_opinion", json={"opinion": "同意"}, headers=staff["jtj"])
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    for action, body in [("send_opinion", {"opinion": "同意"}), ("publish_reply", None),
                         ("approve_reply", {"leader": "王"})]:
        assert (await api.post(f"{url}/{action}", json=body)).status_code == 401
    assert (await api.get(url)).status_code == 401
    assert (await api.get("/api/motions/999999", headers=staff["zfb"])).status_code == 404

    # units register nothing; the credit office may where there is no government office
    assert (await api.post("/api/motions", json=motion_body(), headers=staff["fgw"])).status_code == 403
    assert (await api.post("/api/motions", json=motion_body(lead_department="nope"),
                           headers=staff["xyb"])).status_code == 422
    await register(api, staff["xyb"], number="提案第7号", kind="member_proposal", co_departments=[])

    lists = {who: (await api.get("/api/motions", headers=staff[who])).json() for who in ("zfb", "scjg", "jtj")}
    assert lists["zfb"]["total"] == 2 and lists["scjg"]["total"] == 1 and lists["jtj"]["total"] == 0
    assert CONTACT not in str(lists)


async def _page_client(api: httpx.AsyncClient, name: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=api._transport, base_url=str(api.base_url))
    await _login(client, name)
    return client


async def test_case_page_offers_the_co_unit_its_opinion_and_the_lead_its_reply(api, staff) -> None:
    mid = await register(api, staff["zfb"])
    await motion_state(api, mid, staff["zfb"], lambda d: d["state"] == "assigned")
    co, lead, other = [await _page_client(api, n) for n in ("scjg", "fgw", "jtj")]
    page = await co.get(f"/staff/motions/{mid}")
    assert page.status_code == 200 and 'id="action-send_opinion"' in page.text
    assert 'id="action-draft_reply"' not in page.text and CONTACT not in page.text
    assert "主办 市发展和改革委员会，会办 市市场监督管理局" in page.text  # the history names units, never their codes
    assert (await other.get(f"/staff/motions/{mid}")).status_code == 404
    queue = await co.get("/staff")
    assert "送会办意见" in queue.text, queue.text

    r = await api.post(f"/api/motions/{mid}/send_opinion", json={"opinion": "同意"}, headers=staff["scjg"])
    assert r.status_code == 200, r.text
    await motion_state(api, mid, staff["fgw"], lambda d: d["co_opinions"])
    page = await lead.get(f"/staff/motions/{mid}")
    assert 'id="action-draft_reply"' in page.text and 'id="action-request_reassignment"' in page.text
    assert 'id="action-send_opinion"' not in page.text
    assert "D类：留作参考" in page.text  # the result classes to choose from
    for c in (co, lead, other):
        await c.aclose()


async def test_the_coordinator_registers_a_motion_on_its_form_with_several_co_units(api, staff) -> None:
    """The form lists every department as a tick box; what is ticked becomes the co-units; the lead unit ticked
    too, or a field left empty, is said next to the field with the form kept as it was typed."""
    office = await _page_client(api, "zfb")
    home = await office.get("/staff")
    assert 'href="/staff/motions/new"' in home.text
    unit = await _page_client(api, "fgw")
    assert 'href="/staff/motions/new"' not in (await unit.get("/staff")).text
    assert (await unit.get("/staff/motions/new")).status_code == 404
    form = await office.get("/staff/motions/new")
    assert form.status_code == 200 and 'type="checkbox" name="co_departments" value="scjg"' in form.text
    csrf = _csrf(form.text)
    fields = {"csrf": csrf, "kind": "member_proposal", "number": "提案第 88 号", "title": "关于加快审批的提案",
              "content": "压缩审批时限。", "deputy_name": "周委员", "deputy_contact": CONTACT, "lead_department": "fgw"}

    r = await office.post("/staff/motions/new", data={**fields, "co_departments": ["fgw", "scjg"]})
    assert r.status_code == 422 and "会办单位不能重复，也不能是主办单位" in r.text
    assert 'value="scjg" checked' in r.text and "关于加快审批的提案" in r.text  # kept as typed
    r = await office.post("/staff/motions/new", data={**fields, "title": ""})
    assert r.status_code == 422 and 'href="#new-title"' in r.text and "请填写标题" in r.text

    r = await office.post("/staff/motions/new", data={**fields, "co_departments": ["scjg", "jtj"]})
    assert r.status_code == 303, r.text
    mid = int(r.headers["location"].split("/")[3].split("?")[0])
    seen = await motion_state(api, mid, staff["zfb"], lambda d: d["state"] == "assigned")
    assert seen["co_departments"] == ["scjg", "jtj"] and seen["deputy_contact"] == CONTACT
    assert seen["kind"] == "member_proposal" and seen["number"] == "提案第 88 号"
    page = await office.get(r.headers["location"])
    assert "登记建议提案" in page.text
    for c in (office, unit):
        await c.aclose()
