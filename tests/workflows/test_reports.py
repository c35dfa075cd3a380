"""Monitoring figures from a history made by real workflows on the time-skipping server through Q4 2026:
exact figures, a past period unchanged by what happens after it, and the quarterly report workflow that
waits for the first working day after the quarter (2026-10-08 for Q3 2026) and mails the report once."""

from __future__ import annotations

from datetime import date

from activities.report import department_report
from domain.messages import (
    ExplanationIn,
    FulfilmentReport,
    RectificationIn,
    RectificationVerdict,
    ReportRun,
    ResponseIn,
    TriageIn,
    VerificationDecision,
)
from domain.report import parse_period
from domain.settings import get_settings
from store.db import session_scope
from tests.workflows.harness import CREDIT, DEPT, eventually, harness_at, local
from workflows.commitment import CommitmentWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.record import RecordWorkflow
from workflows.report import QuarterlyReportWorkflow


def _figures(period: str) -> dict[str, dict]:
    with session_scope() as session:
        return {r["department"]: r for r in department_report(session, parse_period(period))["items"]}


async def test_a_quarter_of_real_cases_gives_exact_figures_that_later_events_do_not_change(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 9, 9)) as h:
        _, on_time = await h.commitment(date(2026, 10, 20), title="按期履行")
        _, late = await h.commitment(date(2026, 10, 14), title="逾期后履行")
        _, never = await h.commitment(date(2026, 10, 14), title="未履行")  # breached 10-22, opens a record
        _, open_at_end = await h.commitment(date(2026, 12, 29), title="期末逾期")  # breached in 2027
        _, rectified = await h.record("general", date(2026, 10, 9), rectification_due=date(2026, 10, 30))
        await h.record("general", date(2026, 10, 9), rectification_due=date(2026, 10, 30), department="scjg")
        _, answered = await h.complaint()
        _, answered_late = await h.complaint()
        for k in (answered, answered_late):
            await k.execute_update(ComplaintWorkflow.triage, TriageIn(actor=CREDIT))

        await h.sleep_until(local(2026, 10, 12, 10))
        await answered.execute_update(ComplaintWorkflow.respond, ResponseIn(actor=DEPT, response="已结清"))
        await h.sleep_until(local(2026, 10, 15, 10))
        await on_time.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="完成"))
        await h.sleep_until(local(2026, 10, 16, 10))  # `late` went overdue at the end of 10-14
        await late.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="补办"))
        await on_time.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
        await h.sleep_until(local(2026, 10, 19, 10))
        await late.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
        await h.sleep_until(local(2026, 10, 20, 10))
        await rectified.execute_update(RecordWorkflow.explain, ExplanationIn(actor=DEPT, explanation="资金未到位"))
        await rectified.execute_update(RecordWorkflow.submit_rectification,
                                       RectificationIn(actor=DEPT, description="已支付"))
        await h.sleep_until(local(2026, 10, 21, 10))
        await rectified.execute_update(RecordWorkflow.verify_rectification,
                                       RectificationVerdict(actor=CREDIT, accepted=True))
        await h.sleep_until(local(2026, 11, 3, 10))  # the response was due 15 working days after 10-09
        await answered_late.execute_update(ComplaintWorkflow.respond, ResponseIn(actor=DEPT, response="迟复"))
        assert await h.ended(never) == "breached"  # breached on 10-22; no time skipping while waiting

        await h.sleep_until(local(2027, 1, 1, 0, 30))
        await eventually(lambda: _figures("2026Q4")["fgw"]["overdue_at_end"] == 1)  # written at 12-30 00:00
        q4 = _figures("2026Q4")
        fgw, scjg = q4["fgw"], q4["scjg"]
        assert {k: fgw[k] for k in ("commitments_made", "fulfilled_on_time", "fulfilled_late", "breached",
                                    "overdue_at_end", "complaints_received", "answered_on_time", "answered_late",
                                    "records_opened", "rectified", "rectification_overdue_at_end", "repaired")} == {
            "commitments_made": 4, "fulfilled_on_time": 1, "fulfilled_late": 1, "breached": 1, "overdue_at_end": 1,
            "complaints_received": 2, "answered_on_time": 1, "answered_late": 1,
            "records_opened": 2,  # one recorded by the credit office, one opened by the breach
            "rectified": 1, "rectification_overdue_at_end": 1, "repaired": 0}
        assert round(fgw["on_time_rate"], 4) == 0.3333 and fgw["answer_rate"] == 0.5
        # 100 × (0.5 × 1/3 + 0.25 × 0.5 + 0.25 × 0.5) = 41.7, less 5 for each of its two new general records
        assert fgw["rectification_rate"] == 0.5 and fgw["score"] == 31.7
        # only the rectification rate applies to scjg (0%), less 5 for its new record, at least 0
        assert scjg["records_opened"] == 1 and scjg["rectification_rate"] == 0 and scjg["score"] == 0.0
        assert [fgw["rank"], scjg["rank"]] == [1, 2]
        assert _figures("2026Q3")["fgw"]["commitments_made"] == 0  # nothing before 10-09

        # after the quarter the last commitment is breached automatically: 2027Q1 shows it, 2026Q4 does not change
        assert await open_at_end.result() == "breached"
        await h.sleep_until(local(2027, 1, 15, 10))
        assert _figures("2026Q4") == q4
        assert _figures("2027Q1")["fgw"]["breached"] == 1
        assert _figures("2026")["fgw"]["commitments_made"] == 4 and _figures("2026-10")["fgw"]["breached"] == 1


async def test_the_quarterly_report_waits_for_the_first_working_day_and_is_mailed_once(smtp_sink) -> None:
    office = get_settings().credit_office_email
    async with harness_at(local(2026, 10, 1, 0, 5)) as h:  # when the Schedule starts it
        handle = await h.env.client.start_workflow(QuarterlyReportWorkflow.run, ReportRun(), id="report-q3",
                                                   task_queue=h.task_queue)
        done = await handle.result()
        assert done.period == "2026Q3" and done.notices == 1
        sent = done.sent_at.astimezone(local(2026, 1, 1).tzinfo)
        assert local(2026, 10, 8, 8, 30) <= sent < local(2026, 10, 8, 8, 31)  # the first working day after 国庆节
        mails = await smtp_sink.wait_for(lambda m: office in str(m["To"]))
        assert len(mails) == 1 and "2026 年第 3 季度" in str(mails[0]["Subject"])
        html = mails[0].get_body(("html",)).get_content()
        assert "排名公式" in html and "市发展和改革委员会" in html
        again = await h.env.client.execute_workflow(QuarterlyReportWorkflow.run, ReportRun(period="2026Q3"),
                                                    id="report-q3-again", task_queue=h.task_queue)
        assert again.period == "2026Q3"
        assert len(smtp_sink.to(office)) == 1  # the same period is mailed once
