"""Every read endpoint and list filter × every role × own/foreign department (../shared/spec/processes.md §10),
as the pages do.

fgw holds a draft commitment, a published commitment, a minor record (never published) and a record in
publicity. The credit office, supervisors, admins and fgw itself read all of it in full; scjg (another
department) and the public read only what is public, and the history they get names roles, not logins.
"""

from __future__ import annotations

from typing import Any

from api.validation import today_local
from tests.api.test_citizens_api import APPLICANT
from tests.api.test_commitments_api import body, settled
from tests.api.test_records_api import _wait, record_body
from tests.api.test_staff_pages import _login as staff_login

FULL = {"own", "credit_office", "supervisor", "admin"}
ACTORS = ("public", "own", "foreign", "credit_office", "supervisor", "admin")


def _ids(listing: dict[str, Any]) -> set[int]:
    return {item["id"] for item in listing["items"]}


async def _fgw_cases(api, tokens) -> dict[str, int]:  # type: ignore[no-untyped-def]
    published = (await api.post("/api/commitments", json=body(title="公开的承诺"), headers=tokens["fgw"])).json()["id"]
    draft = (await api.post("/api/commitments", json=body(title="草稿承诺", publish=False),
                            headers=tokens["fgw"])).json()["id"]
    await settled(api, published, tokens["fgw"], lambda c: c["state"] == "published")
    hidden = (await api.post("/api/records", json=record_body(severity="minor", facts="轻微失信未公示的事实",
                                                         decision_date=today_local().isoformat()),
                             headers=tokens["xyb"])).json()["id"]
    public = (await api.post("/api/records", json=record_body(facts="公示中的失信事实"),
                             headers=tokens["xyb"])).json()["id"]
    await _wait(api, public, lambda r: r["state"] == "published")
    await _wait(api, hidden, lambda r: bool(r["deadlines"]), tokens["xyb"])
    filed = await api.post("/api/objections", json={"target_type": "record", "target_id": public, "claim": "有误",
                                                    "reasons": "已付清", **APPLICANT})
    objection = filed.json()["id"]
    complaint = (await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears", "subject": "拖欠",
                                                          "description": "未付"})).json()["id"]
    return {"published": published, "draft": draft, "hidden": hidden, "public": public, "objection": objection,
            "complaint": complaint}


async def test_reads_follow_the_department_scope(api, tokens) -> None:  # type: ignore[no-untyped-def]
    ids = await _fgw_cases(api, tokens)
    headers = {"public": {}, "own": tokens["fgw"], "foreign": tokens["scjg"], "credit_office": tokens["xyb"],
               "supervisor": tokens["ducha"], "admin": tokens["admin"]}
    wrong: list[str] = []

    def expect(what: str, actor: str, ok: bool) -> None:
        if not ok:
            wrong.append(f"{what} as {actor}")

    for actor in ACTORS:
        h, full = headers[actor], actor in FULL
        # lists and every filter: the hidden cases appear exactly for those who read fgw in full
        for params in ({}, {"department": "fgw"}, {"q": "草稿"}, {"state": "draft"}):
            listed = _ids((await api.get("/api/commitments", params=params, headers=h)).json())
            expect(f"commitments {params} lists the draft == {full}", actor, (ids["draft"] in listed) == full)
        for params in ({}, {"department": "fgw"}, {"q": "未公示"}, {"severity": "minor"}, {"state": "recorded"},
                       {"page_size": 100}):
            listed = _ids((await api.get("/api/records", params=params, headers=h)).json())
            expect(f"records {params} lists the minor record == {full}", actor, (ids["hidden"] in listed) == full)
        public_listing = _ids((await api.get("/api/records", headers=h)).json())
        expect("records lists the public record", actor, ids["public"] in public_listing)
        # details: hidden ones are 404 (existence not revealed), public ones readable by all
        for path in (f"/api/commitments/{ids['draft']}", f"/api/records/{ids['hidden']}"):
            r = await api.get(path, headers=h)
            expect(f"{path} → {r.status_code}", actor, r.status_code == (200 if full else 404))
            if not full:
                expect(f"{path} is problem+json", actor, r.headers["content-type"] == "application/problem+json")
                expect(f"{path} reveals nothing", actor, "未公示" not in r.text and "草稿承诺" not in r.text)
        for path in (f"/api/commitments/{ids['published']}", f"/api/records/{ids['public']}"):
            r = await api.get(path, headers=h)
            expect(f"{path} → {r.status_code}", actor, r.status_code == 200)
            logins = {e["actor"] for e in r.json()["history"]} - {None}
            expect(f"{path} history names logins ({logins}) == {full}", actor, bool(logins) == full)
        # objections and complaints about fgw: staff who read fgw in full; another department nothing, the public 401
        for kind in ("objections", "complaints"):
            listing = await api.get(f"/api/{kind}", headers=h)
            detail = await api.get(f"/api/{kind}/{ids[kind[:-1]]}", headers=h)
            if actor == "public":
                expect(f"{kind} needs a login", actor, listing.status_code == detail.status_code == 401)
                continue
            expect(f"{kind} lists fgw's == {full}", actor, (ids[kind[:-1]] in _ids(listing.json())) == full)
            expect(f"{kind} detail → {detail.status_code}", actor, (detail.status_code == 200) == full)
        # open deadlines: fgw's only for those who read fgw in full
        if actor != "public":
            r = await api.get("/api/deadlines", params={"department": "fgw"}, headers=h)
            if full:
                expect("deadlines of fgw", actor, r.status_code == 200 and any(
                    d["case_id"] == ids["published"] for d in r.json()["items"]))
            else:
                expect(f"deadlines of fgw refused ({r.status_code})", actor, r.status_code == 403)
            everything = (await api.get("/api/deadlines", headers=h)).json()["items"]
            expect("unfiltered deadlines hold fgw's == full", actor,
                   any(d["department"] == "fgw" for d in everything) == full)
    assert not wrong, "\n".join(wrong)


async def test_staff_pages_and_the_api_agree_on_a_foreign_department(api, tokens) -> None:  # type: ignore[no-untyped-def]
    ids = await _fgw_cases(api, tokens)
    for who, status in (("scjg", 404), ("fgw", 200)):
        await staff_login(api, who)
        page = await api.get(f"/staff/records/{ids['hidden']}")
        api_read = await api.get(f"/api/records/{ids['hidden']}", headers=tokens[who])
        assert page.status_code == api_read.status_code == status, (who, page.status_code, api_read.status_code)
        api.cookies.clear()
