"""Monitoring over HTTP: the report API (staff) with its formula and CSV, the public ranking page and the
department page charts (SVG, no JavaScript), a named official's archive (staff only), the quarterly
Schedule on the real dev server, and the CLI report for any past period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from activities.worker import REPORT_SCHEDULE_ID, ensure_report_schedule
from api.cli import main
from api.validation import today_local
from domain.calendar import TZ
from domain.settings import get_settings
from tests.api.test_commitments_api import PROBLEM, body, settled
from tests.api.test_records_api import _wait, record_body
from tests.api.test_staff_pages import _login


async def test_report_api_csv_ranking_and_department_charts(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(), headers=tokens["fgw"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "完成"}, headers=tokens["fgw"])
    await api.post(f"/api/commitments/{cid}/verification", json={"accepted": True}, headers=tokens["xyb"])
    await settled(api, cid, {}, lambda c: c["state"] == "fulfilled")
    quarter = f"{today_local().year}Q{(today_local().month - 1) // 3 + 1}"

    assert (await api.get("/api/reports/departments")).status_code == 401
    bad = await api.get("/api/reports/departments", params={"period": "2026Q5"}, headers=tokens["fgw"])
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM
    assert bad.json()["errors"][0]["field"] == "period"
    report = (await api.get("/api/reports/departments", params={"period": quarter}, headers=tokens["fgw"])).json()
    assert report["period"] == quarter and "得分 = 100" in report["formula"]
    fgw = next(r for r in report["items"] if r["department"] == "fgw")
    assert fgw["commitments_made"] == 1 and fgw["fulfilled_on_time"] == 1 and fgw["on_time_rate"] == 1.0
    ranked = [r["rank"] for r in report["items"] if r["score"] is not None]
    assert ranked == list(range(1, len(ranked) + 1))  # distinct ranks in order; 无数据 rows last, unranked
    assert all(r["rank"] is None for r in report["items"][len(ranked):])
    raw = (await api.get("/api/reports/departments.csv", params={"period": quarter}, headers=tokens["xyb"])).content
    assert raw.startswith(b"\xef\xbb\xbf") and "市发展和改革委员会" in raw.decode("utf-8-sig")

    ranking = await api.get("/ranking")
    assert ranking.status_code == 200 and "排名公式" in ranking.text and "<svg" in ranking.text
    assert "市发展和改革委员会" in ranking.text
    assert (await api.get("/ranking", params={"period": "last year"})).status_code == 422
    department = await api.get("/departments/fgw")
    assert department.text.count("<svg") == 2 and "近四个季度按期践诺率" in department.text
    assert f">{quarter}<" in department.text and ">100%<" in department.text  # this quarter's column


async def test_official_archive_across_departments_is_staff_only(api, tokens) -> None:
    cid = (await api.post("/api/commitments", json=body(official="王建国"), headers=tokens["fgw"])).json()["id"]
    rid = (await api.post("/api/records", json=record_body(subject_department="scjg", subject_official="王建国"),
                          headers=tokens["xyb"])).json()["id"]
    await settled(api, cid, {}, lambda c: c["state"] == "published")
    await _wait(api, rid, lambda r: r["state"] == "published")
    assert (await api.get("/api/officials/王建国", headers=tokens["fgw"])).status_code == 403
    archive = (await api.get("/api/officials/王建国", headers=tokens["ducha"])).json()
    assert [c["id"] for c in archive["commitments"]] == [cid] and [r["id"] for r in archive["records"]] == [rid]
    assert {c["department"] for c in archive["commitments"]} | {r["subject_department"] for r in
                                                                archive["records"]} == {"fgw", "scjg"}
    await _login(api, "xyb")
    page = await api.get("/staff/officials/王建国")
    assert page.status_code == 200 and "市市场监督管理局" in page.text and "市发展和改革委员会" in page.text
    await _login(api, "fgw")
    assert (await api.get("/staff/officials/王建国")).status_code == 404


async def test_quarterly_schedule_on_the_dev_server_mails_the_last_quarter_once(
        api, temporal_client: Client, worker: str, smtp_sink) -> None:
    await ensure_report_schedule(temporal_client, worker)
    await ensure_report_schedule(temporal_client, worker)  # idempotent: a restarted worker changes nothing
    handle = temporal_client.get_schedule_handle(REPORT_SCHEDULE_ID)
    try:
        described = await handle.describe()
        upcoming = described.info.next_action_times[0].astimezone(TZ)
        assert (upcoming.month, upcoming.day, upcoming.hour, upcoming.minute) in {(m, 1, 0, 5) for m in (1, 4, 7, 10)}
        assert upcoming > datetime.now(UTC) and upcoming - datetime.now(UTC) < timedelta(days=93)
        office = get_settings().credit_office_email
        before = len(smtp_sink.to(office))
        await handle.trigger()  # as if the quarter began now: the quarter that ended last is reported
        mails = await smtp_sink.wait_for(lambda m: office in str(m["To"]) and "监测报告" in str(m["Subject"]))
        assert len(mails) == before + 1
        await handle.trigger()
        for _ in range(40):  # the second run finds the period already mailed
            runs = [w async for w in temporal_client.list_workflows(
                "WorkflowType='QuarterlyReportWorkflow' AND ExecutionStatus='Completed'")]
            if len(runs) >= 2:
                break
            await __import__("asyncio").sleep(0.25)
        assert len(smtp_sink.to(office)) == before + 1
    finally:
        await handle.delete()


def test_cli_report_writes_html_and_csv_for_any_period(tmp_path, capsys) -> None:
    assert main(["report", "2026Q3", "--out", str(tmp_path)]) == 0
    html = (tmp_path / "report-2026Q3.html").read_text(encoding="utf-8")
    assert "2026 年第 3 季度" in html and "排名公式" in html and "市发展和改革委员会" in html
    assert (tmp_path / "report-2026Q3.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["report", "2026Q9", "--out", str(tmp_path)]) == 2
    assert "期间格式" in capsys.readouterr().err


async def test_department_archive_public_view_honours_publicity_and_staff_view_is_complete(api, tokens) -> None:
    rid = (await api.post("/api/records", json=record_body(severity="minor"), headers=tokens["xyb"])).json()["id"]
    await _wait(api, rid, lambda r: r["state"] != "recorded" or r["deadlines"], headers=tokens["xyb"])
    public = await api.get("/departments/fgw")
    assert f"/records/{rid}" not in public.text and "全部失信记录" not in public.text  # minor: never published
    await _login(api, "scjg")  # another department sees the public view
    assert f"/staff/records/{rid}" not in (await api.get("/departments/fgw")).text
    for who in ("xyb", "fgw"):
        await _login(api, who)
        staff = await api.get("/departments/fgw")
        assert "全部失信记录" in staff.text and f'href="/staff/records/{rid}"' in staff.text and "不公示" in staff.text
        assert "<title>市发展和改革委员会 诚信档案 · 诚信</title>" in staff.text
