"""CSV exports open safely in a spreadsheet: text that starts like a formula (=, +, -, @) is written with
a leading single quote, in open data and in the department report alike, while numbers stay numbers."""

from __future__ import annotations

import csv
import io

from api.validation import today_local
from domain.report import quarter_of
from tests.api.test_commitments_api import body, settled
from tests.api.test_records_api import _wait, record_body

LINK = '=HYPERLINK("http://evil.example/steal","点此查看详情")'


def rows(raw: bytes) -> list[dict[str, str]]:
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


async def test_open_data_csv_neutralises_formulas_but_json_keeps_the_title(api, tokens) -> None:
    titles = [LINK, "+86 热线受理全天候", "-1+1 窗口", "@SUM(A1:A9) 办结", "企业开办一日办结"]
    ids = []
    for title in titles:
        r = await api.post("/api/commitments", json=body(title=title), headers=tokens["fgw"])
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    for cid in ids:
        await settled(api, cid, {}, lambda c: c["state"] == "published")
    exported = rows((await api.get("/open-data/commitments.csv")).content)
    assert [r["title"] for r in exported] == [f"'{LINK}", "'+86 热线受理全天候", "'-1+1 窗口", "'@SUM(A1:A9) 办结",
                                              "企业开办一日办结"]
    assert [r["id"] for r in exported] == [str(i) for i in ids]  # numbers as numbers, no quote
    assert all(r["due_date"][:1].isdigit() for r in exported)
    published = (await api.get("/open-data/commitments.json")).json()["items"]
    assert published[0]["title"] == LINK  # only the CSV cell is neutralised, the data is not changed


async def test_department_names_are_neutralised_in_records_and_report_csv(api, tokens) -> None:
    r = await api.post("/api/departments", json={"code": "evil", "name": LINK, "email": "evil@test.local"},
                       headers=tokens["admin"])
    assert r.status_code == 201, r.text
    rid = (await api.post("/api/records", json=record_body(subject_department="evil", shared_with=[]),
                          headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda d: d["state"] == "published")
    record = next(r for r in rows((await api.get("/open-data/records.csv")).content) if r["id"] == str(rid))
    assert record["department_name"] == f"'{LINK}" and record["subject_department"] == "evil"

    quarter = quarter_of(today_local()).key
    raw = (await api.get("/api/reports/departments.csv", params={"period": quarter}, headers=tokens["xyb"])).content
    report = {r["department"]: r for r in rows(raw)}
    assert report["evil"]["name"] == f"'{LINK}" and report["fgw"]["name"] == "市发展和改革委员会"
    assert all(r["commitments_made"].isdigit() for r in report.values())  # numbers stay numbers, unquoted
    assert report["evil"]["rank"].isdigit()  # ranked: it has a case; a department with none has no rank (无数据)
    assert all(r["rank"].isdigit() or (r["rank"] == "" and r["score"] == "") for r in report.values())
    assert report["evil"]["records_opened"] == "1"
