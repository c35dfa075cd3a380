"""Integrity reports over HTTP: a department sees and submits only its own report (text and files), the credit
office returns it with reasons and a new due date and accepts the resubmission; the consolidated report of
the period (JSON and CSV) says who reported on time. The report is the current quarter's, so its due date
lies ahead whatever day the tests run."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx
from temporalio.client import Client

from activities.worker import INTEGRITY_SCHEDULE_ID, ensure_integrity_schedule
from domain.calendar import TZ, end_of_day
from domain.integrity_report import due_date, parse_report_period, report_workflow_id
from domain.messages import IntegrityReportStart
from domain.profiles import load_profile
from store.calendars import load_calendar
from store.db import session_scope
from store.models import IntegrityReport
from tests.api.test_attachments import PDF, upload
from tests.api.test_staff_pages import _login
from workflows.integrity_report import IntegrityReportWorkflow


def _current_quarter() -> str:
    today = datetime.now(TZ).date()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


async def _open(client: Client, task_queue: str, department: str = "fgw") -> tuple[int, str]:
    """What the opener does for one department (tested on the time-skipping server), for a period ahead."""
    key, profile, now = _current_quarter(), load_profile("henan"), datetime.now(TZ)
    with session_scope() as session:
        due = due_date(parse_report_period(key), profile, load_calendar(session))
        row = IntegrityReport(department_code=department, period_key=key, kind="quarter", state="open",
                              due_at=end_of_day(due), profile_name="henan", profile_version=profile.version,
                              created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        rid = row.id
    assert rid is not None
    handle = await client.start_workflow(
        IntegrityReportWorkflow.run, IntegrityReportStart(report_id=rid, department=department, period_key=key,
                                                          profile=profile),
        id=report_workflow_id(department, key), task_queue=task_queue)
    await handle.query(IntegrityReportWorkflow.view)
    return rid, key


async def _state(api: httpx.AsyncClient, headers: dict[str, str], rid: int) -> str:
    r = await api.get(f"/api/integrity-reports/{rid}", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["state"])


async def test_submitted_returned_resubmitted_accepted_and_consolidated(
        api: httpx.AsyncClient, tokens: dict[str, dict[str, str]], temporal_client: Client, worker: str) -> None:
    rid, key = await _open(temporal_client, worker)
    fgw, scjg, xyb = tokens["fgw"], tokens["scjg"], tokens["xyb"]

    assert [i["id"] for i in (await api.get("/api/integrity-reports", headers=fgw)).json()["items"]] == [rid]
    assert (await api.get("/api/integrity-reports", headers=scjg)).json()["items"] == []
    assert (await api.get(f"/api/integrity-reports/{rid}", headers=scjg)).status_code == 403
    r = await api.post(f"/api/integrity-reports/{rid}/submission", json={"text": "x"}, headers=scjg)
    assert r.status_code == 403

    files = await upload(api, fgw, ("报告.pdf", PDF))
    assert files.status_code == 201, files.text
    body = {"text": "本季度开展政务诚信培训两次", "attachments": [files.json()["attachments"][0]["id"]]}
    r = await api.post(f"/api/integrity-reports/{rid}/submission", json=body,
                       headers={**fgw, "Idempotency-Key": "sub-1"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "submitted" and r.json()["on_time"] is True
    again = await api.post(f"/api/integrity-reports/{rid}/submission", json=body,
                           headers={**fgw, "Idempotency-Key": "sub-1"})
    assert again.status_code == 200 and again.json() == r.json()  # a retry is the same submission
    detail = (await api.get(f"/api/integrity-reports/{rid}", headers=xyb)).json()
    assert detail["text"] == body["text"] and [a["step"] for a in detail["attachments"]] == ["report_submitted"]

    assert (await api.post(f"/api/integrity-reports/{rid}/acceptance", json={}, headers=fgw)).status_code == 403
    r = await api.post(f"/api/integrity-reports/{rid}/return", headers=xyb,
                       json={"reason": "缺少信用承诺落实情况", "due_date": "2020-01-01"})
    assert r.status_code == 422
    new_due = (datetime.now(TZ) + timedelta(days=20)).date().isoformat()
    r = await api.post(f"/api/integrity-reports/{rid}/return", headers=xyb,
                       json={"reason": "缺少信用承诺落实情况", "due_date": new_due})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "returned" and r.json()["due_date"] == new_due
    assert (await api.post(f"/api/integrity-reports/{rid}/acceptance", json={}, headers=xyb)).status_code == 409

    r = await api.post(f"/api/integrity-reports/{rid}/submission", json={"text": "补充后的报告"}, headers=fgw)
    assert r.status_code == 200, r.text
    r = await api.post(f"/api/integrity-reports/{rid}/acceptance", json={"comment": "同意"}, headers=xyb)
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    assert await _state(api, xyb, rid) == "accepted"

    assert (await api.get(f"/api/integrity-reports/consolidated?period={key}", headers=fgw)).status_code == 403
    report = (await api.get(f"/api/integrity-reports/consolidated?period={key}", headers=xyb)).json()
    rows = {i["department"]: i for i in report["items"]}
    assert rows["fgw"]["timeliness"] == "按期报送" and rows["fgw"]["text"] == "补充后的报告"
    assert rows["scjg"]["timeliness"] == "未开启"
    assert report["summary"]["on_time"] == 1 and report["summary"]["on_time_rate"] == 1.0
    csv = await api.get(f"/api/integrity-reports/consolidated.csv?period={key}", headers=xyb)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("department,name,period") and any("按期报送" in line for line in lines)
    assert (await api.get("/api/integrity-reports/consolidated?period=2026Q9", headers=xyb)).status_code == 422


async def test_the_report_is_in_the_queues_and_decided_through_the_staff_forms(
        api: httpx.AsyncClient, tokens: dict[str, dict[str, str]], temporal_client: Client, worker: str) -> None:
    rid, key = await _open(temporal_client, worker)
    csrf = await _login(api, "fgw")
    waiting = await api.get("/staff")
    assert f"诚信建设情况报告 {rid}" in waiting.text and "报送情况报告" in waiting.text
    page = await api.get(f"/staff/integrity-reports/{rid}")
    assert page.status_code == 200 and "本期政务诚信建设情况" in page.text and "退回" not in page.text
    r = await api.post(f"/staff/integrity-reports/{rid}/submission", data={"csrf": csrf, "text": ""})
    assert r.status_code == 422  # the text is required; nothing sent
    r = await api.post(f"/staff/integrity-reports/{rid}/submission", data={"csrf": csrf, "text": "已完成自查"})
    assert r.status_code == 303
    assert await _state(api, tokens["fgw"], rid) == "submitted"
    await _login(api, "scjg")
    assert (await api.get(f"/staff/integrity-reports/{rid}")).status_code == 404  # another department's

    csrf = await _login(api, "xyb")
    assert f"诚信建设情况报告 {rid}" in (await api.get("/staff")).text
    new_due = (datetime.now(TZ) + timedelta(days=15)).date().isoformat()
    r = await api.post(f"/staff/integrity-reports/{rid}/return",
                       data={"csrf": csrf, "reason": "请补充承诺践诺情况", "due_date": new_due})
    assert r.status_code == 303
    assert await _state(api, tokens["xyb"], rid) == "returned"

    csrf = await _login(api, "fgw")
    r = await api.post(f"/staff/integrity-reports/{rid}/submission", data={"csrf": csrf, "text": "已补充"})
    assert r.status_code == 303
    csrf = await _login(api, "xyb")
    r = await api.post(f"/staff/integrity-reports/{rid}/acceptance", data={"csrf": csrf})
    assert r.status_code == 303
    assert await _state(api, tokens["xyb"], rid) == "accepted"
    page = await api.get(f"/staff/integrity-reports/{rid}")
    assert "已审核通过" in page.text and "请补充承诺践诺情况" in page.text

    assert "/staff/integrity-reports" in (await api.get("/staff")).text
    link = await api.get(f"/integrity_reports/{rid}")  # the notices' link
    assert link.status_code == 303 and link.headers["location"] == f"/staff/integrity-reports/{rid}"
    summary = await api.get(f"/staff/integrity-reports?period={key}")
    assert summary.status_code == 200 and "按期报送率：100.0%" in summary.text and "已补充" in summary.text
    csv = await api.get(f"/staff/integrity-reports.csv?period={key}")
    assert csv.status_code == 200 and "已补充" in csv.content.decode("utf-8-sig")
    assert (await api.get("/staff/integrity-reports?period=nope")).status_code == 422
    await _login(api, "fgw")
    assert (await api.get(f"/staff/integrity-reports?period={key}")).status_code == 404  # the credit office's


async def test_the_daily_opener_schedule_is_created_once_and_runs_the_opener(
        api: httpx.AsyncClient, temporal_client: Client, worker: str) -> None:
    await ensure_integrity_schedule(temporal_client, worker)
    await ensure_integrity_schedule(temporal_client, worker)  # idempotent: a restarted worker changes nothing
    handle = temporal_client.get_schedule_handle(INTEGRITY_SCHEDULE_ID)
    try:
        upcoming = (await handle.describe()).info.next_action_times[0].astimezone(TZ)
        assert (upcoming.hour, upcoming.minute) == (0, 10) and upcoming - datetime.now(TZ) <= timedelta(days=1)
        await handle.trigger()
        for _ in range(200):
            runs = [w async for w in temporal_client.list_workflows(
                "WorkflowType='IntegrityReportOpenerWorkflow' AND ExecutionStatus='Completed'")]
            if runs:
                break
            await asyncio.sleep(0.05)
        assert runs, "the opener ran"
    finally:
        await handle.delete()
