"""Periodic integrity reports (政务诚信建设情况报送, issue 17). One workflow per department and period,
`integrity-report-{department}-{period}`; the opener, started daily by a Temporal Schedule, starts them.

open → submitted → accepted, or → returned (reasons, a new due date) → submitted … The due date is a
deadline clock: reminders to the department before it, escalation to the credit office after it.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.integrity_report import open_integrity_reports, queue_consolidated_reports
    from domain.calendar import end_of_day
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event
    from domain.integrity_report import (
        REPORT_RULES,
        REPORT_STATES_ZH,
        ReportAction,
        ReportState,
        due_spec,
        parse_report_period,
        report_workflow_id,
    )
    from domain.messages import (
        SYSTEM,
        CaseRef,
        IntegrityOpenDone,
        IntegrityOpenRequest,
        IntegrityOpenRun,
        IntegrityReportStart,
        IntegrityReportView,
        ReportAcceptance,
        ReportReturn,
        ReportSubmission,
        evidence_data,
    )
    from domain.profiles import Reminders

from workflows.case import CaseWorkflow
from workflows.common import DB_ACTIVITY, DeadlineClock, Notifier, refuse, today_local

S = ReportState
MAIL_CONSOLIDATED = "integrity-consolidated-mail"  # the opener mails each period's consolidated report once
WAITING = frozenset({S.open, S.returned})  # the states in which the department owes the report


@workflow.defn
class IntegrityReportWorkflow(CaseWorkflow):
    state_labels = REPORT_STATES_ZH
    rules = REPORT_RULES
    case_type_zh = REPORT_RULES.case_type_zh

    @workflow.init
    def __init__(self, start: IntegrityReportStart) -> None:
        self.start = start
        self.period = parse_report_period(start.period_key)
        self._init_case(CaseRef(case_type="integrity_report", case_id=start.report_id, department=start.department),
                        S.open, f"{self.period.label_zh}政务诚信建设情况")
        self.clock: DeadlineClock | None = None
        self.overdue = False
        self.on_time: bool | None = None

    @workflow.run
    async def run(self, start: IntegrityReportStart) -> str:
        async with self.lock, self._step():
            rule = start.profile.integrity_reports.due[self.period.kind]
            await self._start_clock(due_spec(self.period, rule))
            await self.journal.write(Event.report_opened, SYSTEM, to_state=S.open,
                                     reason=f"开启{self.period.label_zh}政务诚信建设情况报送",
                                     changes={"due_at": self._due_at()})
            await self._notify("opened", "case_update", [f"department:{self.department}"],
                               event_label=f"请于 {self._due_date()} 前报送{self.title}（{rule.basis}）")
        self.created = True
        await self._wind_up()
        return self.state

    @workflow.query
    def view(self) -> IntegrityReportView:
        return IntegrityReportView(
            report_id=self.start.report_id, department=self.department, period_key=self.start.period_key,
            state=self.state, due_date=self.clock.plan.deadline.due_date if self.clock and self.clock.plan else None,
            overdue=self.overdue, on_time=self.on_time)

    # --- updates ---------------------------------------------------------------------------------

    @workflow.update
    async def submit(self, req: ReportSubmission) -> IntegrityReportView:
        async with self._acting(self._check_submit, req), self._step():
            now = workflow.now()
            changes: dict[str, object] = {"text": req.text, "submitted_at": now.isoformat(), "overdue": False}
            if self.on_time is None:  # the on-time rate counts the first submission against the first due date
                assert self.clock is not None and self.clock.plan is not None
                self.on_time = now <= self.clock.plan.deadline.due_at
                changes.update(first_submitted_at=now.isoformat(), on_time=self.on_time)
            if self.clock is not None:
                await self.clock.close("met")
            reason = "逾期报送情况报告" if self.overdue else "报送情况报告"
            self.overdue = False
            await self._move(Event.report_submitted, req.actor, S.submitted, reason, changes,
                             evidence_data(req.attachments))
            await self._notify("submitted", "case_update", ["credit_office"],
                               event_label=f"{self.department} 已报送{self.title}，请审核")
        return self.view()

    @submit.validator
    def _check_submit(self, req: ReportSubmission) -> None:
        self._require(ReportAction.submit, req.actor)
        if not req.text.strip():
            raise refuse("报告内容不能为空", "InvalidInput", field="text")

    @workflow.update
    async def accept(self, req: ReportAcceptance) -> IntegrityReportView:
        async with self._acting(self._check_accept, req), self._step():
            await self._move(Event.report_accepted, req.actor, S.accepted, req.comment or "审核通过",
                             {"decided_at": workflow.now().isoformat()})
            await self._notify("accepted", "case_update", [f"department:{self.department}"],
                               event_label=f"{self.title}已审核通过")
            self.journal.once_written(self._mark_finished)
        return self.view()

    @accept.validator
    def _check_accept(self, req: ReportAcceptance) -> None:
        self._require(ReportAction.accept, req.actor)

    @workflow.update
    async def return_report(self, req: ReportReturn) -> IntegrityReportView:
        async with self._acting(self._check_return, req), self._step():
            spec = DeadlineSpec(key=f"integrity_report-{self.journal.seq + 1}", label=f"{self.title}补充报送期限",
                                basis="信用办退回并另定报送期限", start_event="退回情况报告", start_date=today_local(),
                                unit="fixed_date", fixed_due=req.due_date)
            await self._start_clock(spec)
            await self._move(Event.report_returned, req.actor, S.returned, req.reason,
                             {"return_reason": req.reason, "decided_at": workflow.now().isoformat(),
                              "due_at": self._due_at()}, data={"due_date": req.due_date.isoformat()})
            await self._notify("returned", "case_update", [f"department:{self.department}"],
                               event_label=f"{self.title}被退回：{req.reason}。请于 {self._due_date()} 前重新报送")
        return self.view()

    @return_report.validator
    def _check_return(self, req: ReportReturn) -> None:
        self._require(ReportAction.return_report, req.actor)
        if not req.reason.strip():
            raise refuse("退回须说明理由", "InvalidInput", field="reason")
        if req.due_date <= today_local():
            raise refuse("新的报送期限须晚于今天", "InvalidInput", field="due_date")

    # --- helpers -----------------------------------------------------------------------------------

    def _clocks(self) -> list[DeadlineClock | None]:
        return [self.clock]

    def _due_at(self) -> str:
        assert self.clock is not None and self.clock.plan is not None
        return end_of_day(self.clock.plan.deadline.due_date).isoformat()

    def _due_date(self) -> str:
        assert self.clock is not None and self.clock.plan is not None
        return self.clock.plan.deadline.due_date.isoformat()

    def _reminders(self) -> Reminders:
        base = self.start.profile.reminders
        return base.model_copy(update={
            "offsets_working_days": self.start.profile.integrity_reports.reminder_offsets_working_days})

    async def _start_clock(self, spec: DeadlineSpec) -> None:
        """Close the running clock and start one for `spec`. Inside a step its plan is written at once (the step's
        first activity): what the step then writes and mails states the due date."""
        if self.clock is not None and not self.clock.closed:
            await self.clock.close("met")
        self.clock = DeadlineClock(self.case, spec, f"department:{self.department}", self._reminders(),
                                   self._on_clock_event, self.notifier)
        await self.clock.start()
        await self.journal.flush()

    async def _on_clock_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock:
            if self.state not in WAITING or not clock.is_current(event):
                return
            dept = self.department
            if event.kind == "reminder":
                await self._reminder(clock, event, [f"department:{dept}"])
                return
            if event.kind == "due":
                self.overdue = True
                await self.journal.write(Event.overdue, SYSTEM, reason=f"{clock.spec.label}届满，未报送",
                                         changes={"overdue": True})
                await self._escalate(clock, event, ["credit_office", f"department:{dept}"])
            else:
                await self._escalate(clock, event, ["credit_office", f"department:{dept}", f"supervisor:{dept}"])


@workflow.defn
class IntegrityReportOpenerWorkflow:
    """Started daily by the Schedule: every department's report for each period open today, once. The
    activity inserts what is missing; the workflow id (reuse rejected) makes a second start a no-op. Then each
    period whose reports have all fallen due has its consolidated report mailed to the credit office, once."""

    @workflow.run
    async def run(self, run: IntegrityOpenRun) -> IntegrityOpenDone:
        today = run.today or today_local()
        starts = await workflow.execute_activity(
            open_integrity_reports, IntegrityOpenRequest(today=today, at=workflow.now()), **DB_ACTIVITY)
        started: list[str] = []
        already = 0
        for start in starts:
            wid = report_workflow_id(start.department, start.period_key)
            try:
                await workflow.start_child_workflow(
                    IntegrityReportWorkflow.run, start, id=wid, parent_close_policy=ParentClosePolicy.ABANDON,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE)
                started.append(wid)
            except WorkflowAlreadyStartedError:
                already += 1
        if workflow.patched(MAIL_CONSOLIDATED):
            queued = await workflow.execute_activity(
                queue_consolidated_reports, IntegrityOpenRequest(today=today, at=workflow.now()), **DB_ACTIVITY)
            notifier = Notifier()
            notifier.deliver(queued)
            await notifier.drain()
        return IntegrityOpenDone(started=started, already=already)
