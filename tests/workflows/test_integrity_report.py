"""Integrity reports (政务诚信建设情况报送) on the time-skipping server: the opener starts one report per
department for 2026Q3 (due 2026-10-20, ten working days after the quarter and 国庆节) and never twice; a
report submitted on time is accepted; one not in by its due date is reminded and escalated to the credit
office, submitted late, returned with reasons and a new due date, and accepted when resubmitted."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError

from domain.integrity_report import report_workflow_id
from domain.messages import IntegrityOpenRun, ReportAcceptance, ReportReturn, ReportSubmission
from domain.report import LogEntry, parse_period
from domain.report_timeliness import report_timeliness
from domain.settings import get_settings
from store.db import session_scope
from store.models import IntegrityReport
from tests.workflows.harness import CREDIT, DEPT, OTHER_DEPT, audit, eventually, harness_at, local, outbox
from workflows.integrity_report import IntegrityReportOpenerWorkflow, IntegrityReportWorkflow


def _report(department: str, period: str = "2026Q3") -> IntegrityReport:
    with session_scope() as session:
        return session.exec(select(IntegrityReport).where(IntegrityReport.department_code == department,
                                                          IntegrityReport.period_key == period)).one()


def _reports() -> list[tuple[str, str]]:
    with session_scope() as session:
        return sorted((r.department_code, r.period_key) for r in session.exec(select(IntegrityReport)))


async def test_opened_once_per_department_then_on_time_accepted_and_late_returned_and_resubmitted(
        smtp_sink) -> None:
    office = get_settings().credit_office_email
    async with harness_at(local(2026, 10, 1, 0, 10)) as h:  # when the daily Schedule fires
        first = await h.env.client.execute_workflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(),
                                                    id="opener-1", task_queue=h.task_queue)
        # H1 (due 07-01) and the year 2025 (due 2026-01-04) had passed: not opened on a first run
        assert sorted(first.started) == [report_workflow_id("fgw", "2026Q3"), report_workflow_id("scjg", "2026Q3")]
        again = await h.env.client.execute_workflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(),
                                                    id="opener-2", task_queue=h.task_queue)
        assert again.started == [] and again.already == 2
        assert _reports() == [("fgw", "2026Q3"), ("scjg", "2026Q3")]

        fgw = h.env.client.get_workflow_handle_for(IntegrityReportWorkflow.run, report_workflow_id("fgw", "2026Q3"))
        scjg = h.env.client.get_workflow_handle_for(IntegrityReportWorkflow.run,
                                                    report_workflow_id("scjg", "2026Q3"))
        view = await fgw.query(IntegrityReportWorkflow.view)
        assert view.state == "open" and view.due_date == date(2026, 10, 20)

        with pytest.raises(WorkflowUpdateFailedError):  # another department's report
            await fgw.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=OTHER_DEPT, text="x"))

        await h.sleep_until(local(2026, 10, 12, 10))
        view = await fgw.execute_update(IntegrityReportWorkflow.submit,
                                        ReportSubmission(actor=DEPT, text="本季度建立政务诚信档案"))
        assert view.state == "submitted" and view.on_time is True
        # (decided at the end: once a workflow started as an abandoned child ends, the time-skipping test server
        # no longer skips time; a real server is not affected)

        # scjg reports nothing: reminded 5, 3, 1 and 0 working days before 10-20, escalated after it
        await h.sleep_until(local(2026, 10, 22, 10))
        sid = (await scjg.query(IntegrityReportWorkflow.view)).report_id
        await eventually(lambda: _report("scjg").overdue)
        reminders = outbox(sid, "deadline_reminder", case_type="integrity_report")
        assert {r.deliver_at.astimezone(local(2026, 1, 1).tzinfo).date() for r in reminders} == {
            date(2026, 10, 13), date(2026, 10, 15), date(2026, 10, 19), date(2026, 10, 20)}
        assert all(r.recipient == "scjg@test.local" for r in reminders)
        escalations = outbox(sid, "deadline_escalation", case_type="integrity_report")
        assert {e.recipient for e in escalations} >= {office, "scjg@test.local"}
        assert [e.action for e in audit(sid, "integrity_report")].count("escalation_due") == 1

        # every 2026Q3 report has fallen due: the next daily run mails the consolidated report, once
        for n in (3, 4):
            await h.env.client.execute_workflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(),
                                                id=f"opener-{n}", task_queue=h.task_queue)
        [mail] = outbox(0, "integrity_consolidated", case_type="integrity_summary")
        assert mail.recipient == office and mail.status == "sent" and "2026 年第 3 季度" in mail.subject
        assert "逾期未报送 1 个" in mail.text and "按期报送率：50.0%" in mail.text, mail.text
        assert "/staff/integrity-reports?period=2026Q3" in mail.html

        view = await scjg.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=OTHER_DEPT,
                                                                                          text="迟报"))
        assert view.on_time is False and view.overdue is False
        with pytest.raises(WorkflowUpdateFailedError):  # a department cannot decide
            await scjg.execute_update(IntegrityReportWorkflow.accept, ReportAcceptance(actor=OTHER_DEPT))
        view = await scjg.execute_update(IntegrityReportWorkflow.return_report, ReportReturn(
            actor=CREDIT, reason="缺少信用承诺落实情况", due_date=date(2026, 10, 30)))
        assert view.state == "returned" and view.due_date == date(2026, 10, 30)
        assert _report("scjg").return_reason == "缺少信用承诺落实情况"

        await h.sleep_until(local(2026, 10, 26, 10))
        view = await scjg.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=OTHER_DEPT,
                                                                                          text="补充后的报告"))
        assert view.state == "submitted" and view.on_time is False  # the rate counts the first submission
        await fgw.execute_update(IntegrityReportWorkflow.accept, ReportAcceptance(actor=CREDIT))
        await scjg.execute_update(IntegrityReportWorkflow.accept, ReportAcceptance(actor=CREDIT))
        assert await h.ended(fgw) == "accepted" and await h.ended(scjg) == "accepted"
        row = _report("fgw")
        assert row.on_time is True and row.text == "本季度建立政务诚信档案" and row.decided_at is not None
        actions = [e.action for e in audit(sid, "integrity_report")]
        assert actions.count("report_submitted") == 2 and "report_returned" in actions
        assert actions.count("escalation_due") == 1  # the new due date (10-30) was met
        assert _report("scjg").text == "补充后的报告"

        # the monitoring figure from the audit log (domain/report_timeliness.py): fgw on time, scjg late
        log = [LogEntry(e.case_type, e.case_id, e.action, e.to_state, e.at, e.data or {})
               for rid in (_report("fgw").id, sid) for e in audit(rid or 0, "integrity_report")]
        figures = report_timeliness(parse_period("2026Q4"), {_report("fgw").id or 0: "fgw", sid: "scjg"},
                                    sorted(log, key=lambda e: e.at))
        assert figures["fgw"].report_rate == 1.0 and figures["scjg"].reports_late == 1
        assert report_timeliness(parse_period("2026Q3"), {sid: "scjg"}, log) == {}  # nothing before 10-01


async def test_a_returned_report_not_resubmitted_is_escalated_again_and_wrong_steps_are_refused(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 1, 0, 10)) as h:
        await h.env.client.execute_workflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(), id="opener",
                                            task_queue=h.task_queue)
        fgw = h.env.client.get_workflow_handle_for(IntegrityReportWorkflow.run, report_workflow_id("fgw", "2026Q3"))
        rid = (await fgw.query(IntegrityReportWorkflow.view)).report_id
        with pytest.raises(WorkflowUpdateFailedError):  # nothing to decide before a submission
            await fgw.execute_update(IntegrityReportWorkflow.accept, ReportAcceptance(actor=CREDIT))
        with pytest.raises(WorkflowUpdateFailedError):  # an empty report
            await fgw.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text=" "))
        await h.sleep_until(local(2026, 10, 9, 10))
        await fgw.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text="初稿"))
        for bad in (ReportReturn(actor=CREDIT, reason="", due_date=date(2026, 10, 30)),
                    ReportReturn(actor=CREDIT, reason="补充", due_date=date(2026, 10, 9))):
            with pytest.raises(WorkflowUpdateFailedError):  # a return names its reasons and a later date
                await fgw.execute_update(IntegrityReportWorkflow.return_report, bad)
        view = await fgw.execute_update(IntegrityReportWorkflow.return_report,
                                        ReportReturn(actor=CREDIT, reason="补充", due_date=date(2026, 10, 16)))
        assert view.state == "returned" and view.on_time is True

        # not resubmitted by 10-16: escalated on the new date, then 严重逾期 three working days later
        await h.sleep_until(local(2026, 10, 22, 10))
        await eventually(lambda: _report("fgw").overdue)
        actions = [e.action for e in audit(rid, "integrity_report")]
        assert actions.count("escalation_due") == 1 and actions.count("escalation_serious") == 1
        assert "reminder" in actions  # before the new date
        escalated_to = {o.recipient for o in outbox(rid, "deadline_escalation", case_type="integrity_report")}
        assert {"fgw-sup@test.local", "fgw@test.local", get_settings().credit_office_email} <= escalated_to
        view = await fgw.query(IntegrityReportWorkflow.view)
        assert view.state == "returned" and view.overdue and view.due_date == date(2026, 10, 16)
        await fgw.execute_update(IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text="终稿"))
        await fgw.execute_update(IntegrityReportWorkflow.accept, ReportAcceptance(actor=CREDIT))
        assert await h.ended(fgw) == "accepted"
        assert _report("fgw").on_time is True  # the first submission was on time
