"""Every figure of the ranking links to the cases behind it: following a count's link opens the public list
of exactly that many cases, a rate's link the cases it was computed from, a deduction's the records that
cost the points."""

from __future__ import annotations

import html
import re

from api.validation import today_local
from tests.api.test_commitments_api import body, settled
from tests.api.test_records_api import _wait, record_body

LINK = re.compile(r'<a href="(/(?:commitments|records)\?[^"]*figure=(\w+)[^"]*)"[^>]*>([^<]+)</a>')


def row_of(page: str, name: str) -> str:
    """The table row of the department named `name`."""
    return next(r for r in page.split("<tr>") if f">{name}</a>" in r)


async def listed(api, url: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(the figure's total the list states, the cases it shows) of a figure's list."""
    r = await api.get(url)
    assert r.status_code == 200, (url, r.text[:300])
    total = int(re.search(r"，共 (\d+) 件。", r.text)[1])  # type: ignore[index]
    shown = len(set(re.findall(r'<td[^>]*><a href="/(?:commitments|records)/(\d+)">', r.text)))
    return total, shown


async def test_each_figure_links_to_a_list_of_as_many_cases(api, tokens) -> None:
    done, open_ = [(await api.post("/api/commitments", json=body(title=t), headers=tokens["fgw"])).json()["id"]
                   for t in ("按期办结的承诺", "仍在履行的承诺")]
    await settled(api, done, {}, lambda c: c["state"] == "published")
    await settled(api, open_, {}, lambda c: c["state"] == "published")
    await api.post(f"/api/commitments/{done}/fulfilment", json={"report": "完成"}, headers=tokens["fgw"])
    await api.post(f"/api/commitments/{done}/verification", json={"accepted": True}, headers=tokens["xyb"])
    await settled(api, done, {}, lambda c: c["state"] == "fulfilled")
    serious = (await api.post("/api/records", json=record_body(subject_department="scjg", severity="serious"),
                              headers=tokens["xyb"])).json()["id"]
    await _wait(api, serious, lambda r: r["state"] == "published")
    quarter = f"{today_local().year}Q{(today_local().month - 1) // 3 + 1}"

    page = (await api.get("/ranking", params={"period": quarter})).text
    fgw = {figure: (html.unescape(url), text) for url, figure, text in LINK.findall(row_of(page, "市发展和改革委员会"))}
    scjg = {figure: (html.unescape(url), text) for url, figure, text in LINK.findall(row_of(page, "市市场监督管理局"))}
    assert fgw["commitments_made"][1] == "2" and fgw["fulfilled_on_time"][1] == "1" and fgw["breached"][1] == "0"
    assert fgw["on_time_rate"][1] == "100.0%" and scjg["deductions"][1] == "−10" and scjg["records_opened"][1] == "1"

    for figure, (url, text) in fgw.items():
        if figure.endswith("_rate") or figure == "deductions":  # not counts: checked below
            continue
        assert await listed(api, url) == (int(text), int(text)), figure
    assert await listed(api, fgw["on_time_rate"][0]) == (1, 1)  # the rate's denominator: the one fulfilled
    made = await api.get(fgw["commitments_made"][0])
    assert "按期办结的承诺" in made.text and "仍在履行的承诺" in made.text
    assert f"/ranking?period={quarter}" in made.text  # and back to the table
    on_time = await api.get(fgw["fulfilled_on_time"][0])
    assert "按期办结的承诺" in on_time.text and "仍在履行的承诺" not in on_time.text
    assert await listed(api, scjg["deductions"][0]) == (1, 1)  # a serious record in publicity: −10
    assert await listed(api, scjg["records_opened"][0]) == (1, 1)
    assert await listed(api, scjg["commitments_made"][0]) == (0, 0)
    # paging and the search form keep the figure
    assert 'name="figure" value="commitments_made"' in made.text


ANSWERS = re.compile(r'<a href="(/ranking/answers\?[^"]*figure=(\w+)[^"]*)"[^>]*>([^<]+)</a>')


async def test_objection_and_complaint_figures_list_their_cases_without_personal_data(api, tokens) -> None:
    rid = (await api.post("/api/records", json=record_body(), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda r: r["state"] == "published")
    r = await api.post("/api/objections", json={"target_type": "record", "target_id": rid, "applicant_name": "王五",
                                                "applicant_email": "ww@example.com", "claim": "已付清",
                                                "reasons": "王五的银行回单"})
    assert r.status_code == 201, r.text
    oid = r.json()["id"]
    r = await api.post("/api/complaints", json={"department": "fgw", "topic": "arrears", "subject": "张三的工程款",
                                                "description": "张三 13800000000", "complainant_name": "张三",
                                                "complainant_email": "zs@example.com"})
    kid = r.json()["id"]
    await api.post(f"/api/complaints/{kid}/triage", json={}, headers=tokens["xyb"])
    r = await api.post(f"/api/complaints/{kid}/response", json={"response": "已支付"}, headers=tokens["fgw"])
    assert r.status_code == 200, r.text
    quarter = f"{today_local().year}Q{(today_local().month - 1) // 3 + 1}"

    page = (await api.get("/ranking", params={"period": quarter})).text
    links = {f: (html.unescape(u), t) for u, f, t in ANSWERS.findall(row_of(page, "市发展和改革委员会"))}
    assert links["objections_received"][1] == "1" and links["complaints_received"][1] == "1"
    assert links["answer_rate"][1] == "100.0%"

    received = await api.get(links["objections_received"][0])
    assert received.status_code == 200 and "共 1 件" in received.text
    assert f"异议 {oid}" in received.text and f'href="/records/{rid}"' in received.text
    answered = (await api.get(links["answer_rate"][0])).text
    assert f"投诉 {kid}" in answered and "对市发展和改革委员会的投诉（" in answered and "按期" in answered
    for shown in (received.text, answered):
        for private in ("王五", "张三", "13800000000", "ww@example.com", "工程款", "银行回单"):
            assert private not in shown
    bad = await api.get("/ranking/answers", params={"figure": "nope", "period": quarter},
                        headers={"accept": "text/html"})
    assert bad.status_code == 422 and "不是本列表可以筛选的指标" in bad.text
