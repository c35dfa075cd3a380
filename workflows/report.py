"""The quarterly monitoring report (../shared/spec/processes.md §9): started by a Temporal Schedule at the start of each
quarter, it waits on a durable timer for 08:30 on the first working day after the quarter, then has the
report computed and mailed to the credit office. Sending is keyed per period, so a repeat sends nothing new."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.report import first_working_day_after, queue_quarterly_report
    from domain.calendar import TZ
    from domain.messages import ReportDone, ReportNotice, ReportRun
    from domain.report import parse_period, quarter_before
    from workflows.common import DB_ACTIVITY, Notifier, today_local

SEND_AT = time(8, 30)


@workflow.defn
class QuarterlyReportWorkflow:
    @workflow.run
    async def run(self, run: ReportRun) -> ReportDone:
        period = parse_period(run.period) if run.period else quarter_before(today_local())
        last_day = period.next_first_day - timedelta(days=1)
        first_working = await workflow.execute_activity(first_working_day_after, last_day, **DB_ACTIVITY)
        send_at = datetime.combine(first_working, SEND_AT, TZ)
        wait = (send_at - workflow.now()).total_seconds()
        if wait > 0:
            await workflow.sleep(wait)
        notice = ReportNotice(period=period.key, at=workflow.now())
        queued = await workflow.execute_activity(queue_quarterly_report, notice, **DB_ACTIVITY)
        notifier = Notifier()
        notifier.deliver(queued)
        await notifier.drain()
        return ReportDone(period=period.key, sent_at=workflow.now(), notices=len(queued))
