"""Complaint (政务失信投诉举报), ../shared/spec/processes.md §5. One workflow per complaint: `complaint-{id}`.

submitted → triaged (assigned) | dismissed → responded → substantiated | unsubstantiated → closed.
The complainant may rate the outcome; 不满意 reopens the review once. Substantiated opens a record.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.record import open_complaint_record
    from domain.complaint import COMPLAINT_FINAL, COMPLAINT_RULES, COMPLAINT_STATES_ZH, ComplaintAction, ComplaintState
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event
    from domain.messages import (
        SYSTEM,
        Actor,
        CaseRef,
        ComplaintRecordRequest,
        ComplaintStart,
        ComplaintView,
        FeedbackIn,
        ObjectionOutcome,
        ResponseIn,
        ReviewIn,
        TriageIn,
        evidence_data,
    )

from workflows.case import CaseWorkflow
from workflows.common import DB_ACTIVITY, DeadlineClock, refuse, today_local
from workflows.record import RecordWorkflow

S = ComplaintState
COMPLAINANT = Actor(username="complainant", role="public")


@workflow.defn
class ComplaintWorkflow(CaseWorkflow):
    state_labels = COMPLAINT_STATES_ZH
    rules = COMPLAINT_RULES
    case_type_zh = COMPLAINT_RULES.case_type_zh

    @workflow.init
    def __init__(self, start: ComplaintStart) -> None:
        self.start = start
        self._init_case(CaseRef(case_type="complaint", case_id=start.complaint_id, department=start.department),
                        S.submitted, start.subject)
        self.reopened = False
        self.record_id: int | None = None
        self.clock: DeadlineClock | None = None  # the one deadline running at a time

    @workflow.run
    async def run(self, start: ComplaintStart) -> str:
        async with self.lock:
            async with self._step():
                await self.journal.write(Event.submitted, COMPLAINANT, to_state=S.submitted, reason="提交投诉")
                if start.complainant_email:
                    await self._notify("submitted", "complaint_received", [f"email:{start.complainant_email}"])
                await self._next_clock("complaint_triage", "投诉分办期限", "收到投诉", "credit_office")
            self.created = True
        await self._wind_up()
        return self.state

    @workflow.query
    def view(self) -> ComplaintView:
        return ComplaintView(complaint_id=self.start.complaint_id, state=self.state, department=self.department,
                             reopened=self.reopened, record_id=self.record_id)

    # --- updates ---------------------------------------------------------------------------------

    @workflow.update
    async def triage(self, req: TriageIn) -> ComplaintView:
        async with self._acting(self._check_triage, req), self._step():
            if req.dismiss:
                await self._end(S.dismissed, Event.dismissed, req.actor, req.reason)
            else:
                if req.department and req.department != self.department:
                    self.department = req.department
                    self.case = self.case.model_copy(update={"department": req.department})
                    self.journal.case = self.case
                await self._move(Event.triaged, req.actor, S.triaged, req.reason or "分办至责任单位",
                                 {"department_code": self.department})
                await self._next_clock("complaint_response", "单位答复期限", "分办投诉",
                                       f"department:{self.department}")
                await self._notify("triaged", "case_update", [f"department:{self.department}"],
                                   event_label="收到政务失信投诉，请在时限内核查并答复")
                await self._tell_complainant("triaged", "您的投诉已分办至责任单位")
        return self.view()

    @triage.validator
    def _check_triage(self, req: TriageIn) -> None:
        self._require(ComplaintAction.triage, req.actor)
        if req.dismiss and not req.reason.strip():
            raise refuse("不予受理须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def respond(self, req: ResponseIn) -> ComplaintView:
        async with self._acting(self._check_respond, req), self._step():
            await self._move(Event.responded, req.actor, S.responded, "单位答复",
                             {"response": req.response, "response_evidence": req.evidence},
                             evidence_data(req.attachments))
            await self._next_clock("complaint_review", "信用办审核期限", "单位答复", "credit_office")
            await self._notify("responded", "case_update", ["credit_office"], event_label="责任单位已答复投诉，请审核")
        return self.view()

    @respond.validator
    def _check_respond(self, req: ResponseIn) -> None:
        self._require(ComplaintAction.respond, req.actor)
        if not req.response.strip():
            raise refuse("答复内容不能为空", "InvalidInput", field="response")

    @workflow.update
    async def review(self, req: ReviewIn) -> ComplaintView:
        async with self._acting(self._check_review, req), self._step():
            to = S.substantiated if req.substantiated else S.unsubstantiated
            await self._move(Event.reviewed, req.actor, to, req.reason, {"review_reason": req.reason},
                             data={"substantiated": req.substantiated})
            if req.substantiated and self.record_id is None:
                await self._open_record(req)
            elif not req.substantiated and self.record_id is not None:  # reversed on re-review
                await workflow.get_external_workflow_handle_for(RecordWorkflow.run, f"record-{self.record_id}").signal(
                    RecordWorkflow.apply_objection_outcome,
                    ObjectionOutcome(objection_id=0, outcome="revoked", reason=req.reason, actor=req.actor,
                                     source=f"投诉（编号 {self.start.complaint_id}）复核"))
            await self._next_clock("complaint_feedback", "投诉人评价期限", "告知处理结果", "complainant")
            await self._notify("reviewed", "case_update", [f"department:{self.department}"],
                               event_label=f"投诉经审核{COMPLAINT_STATES_ZH[to]}：{req.reason}")
            await self._tell_complainant("reviewed", f"投诉处理结果：{COMPLAINT_STATES_ZH[to]}。{req.reason}"
                                         "（可凭查询码评价满意或不满意）")
        return self.view()

    @review.validator
    def _check_review(self, req: ReviewIn) -> None:
        self._require(ComplaintAction.review, req.actor)
        if not req.reason.strip():
            raise refuse("须说明审核意见", "InvalidInput", field="reason")

    @workflow.update
    async def feedback(self, req: FeedbackIn) -> ComplaintView:
        async with self._acting(self._check_feedback, req), self._step():
            rating = "satisfied" if req.satisfied else "dissatisfied"
            said = req.comment or ("满意" if req.satisfied else "不满意")
            await self._move(Event.feedback, COMPLAINANT, self.state, said,
                             {"feedback": rating, "feedback_comment": req.comment})
            if not req.satisfied and not self.reopened:
                self.reopened = True
                await self._move(Event.reopened, COMPLAINANT, S.responded, "投诉人不满意，重新审核", {"reopened": True})
                await self._next_clock("complaint_review", "信用办重新审核期限", "投诉人不满意", "credit_office")
                await self._notify("reopened", "case_update", ["credit_office"],
                                   event_label="投诉人对处理结果不满意，请重新审核（仅一次）")
            else:
                await self._end(S.closed, Event.closed, SYSTEM, "投诉办结")
        return self.view()

    @feedback.validator
    def _check_feedback(self, req: FeedbackIn) -> None:
        self._require(ComplaintAction.feedback, COMPLAINANT)

    # --- helpers -----------------------------------------------------------------------------------

    def _clocks(self) -> list[DeadlineClock | None]:
        return [self.clock]

    async def _tell_complainant(self, event: str, text: str) -> None:
        if self.start.complainant_email:
            await self._notify(event, "case_update", [f"email:{self.start.complainant_email}"], event_label=text,
                               public_link=False)

    async def _next_clock(self, period_key: str, label: str, start_event: str, binds: str) -> None:
        if self.clock is not None and not self.clock.closed:
            await self.clock.close("met")
        period = self.start.profile.period(period_key)
        reminders = None if binds == "complainant" else self.start.profile.reminders
        self.clock = DeadlineClock(
            self.case,
            DeadlineSpec(key=f"{period_key}-{self.journal.seq}", label=label, basis=period.basis,
                         start_event=start_event, start_date=today_local(), unit="working_days",
                         count=period.working_days),
            binds, reminders, self._on_clock_event, self.notifier)
        await self.clock.start()

    async def _open_record(self, req: ReviewIn) -> None:
        """Substantiated: a dishonesty record linked both ways, with its own workflow."""
        start = await workflow.execute_activity(
            open_complaint_record,
            ComplaintRecordRequest(complaint_id=self.start.complaint_id, department=self.department,
                                   subject=self.title, severity=req.severity, reason=req.reason, at=workflow.now(),
                                   profile=self.start.profile),
            **DB_ACTIVITY,
        )
        self.record_id = start.record_id
        try:
            await workflow.start_child_workflow(RecordWorkflow.run, start, id=f"record-{start.record_id}",
                                                parent_close_policy=ParentClosePolicy.ABANDON)
        except WorkflowAlreadyStartedError:
            pass
        await self.journal.write(Event.record_opened, SYSTEM,
                                 reason=f"投诉属实，生成失信记录（编号 {start.record_id}）",
                                 data={"record_id": start.record_id}, changes={"record_id": start.record_id})

    async def _end(self, state: str, action: Event, actor: Actor, reason: str) -> None:
        await self._move(action, actor, state, reason, {"closed_at": workflow.now().isoformat()})
        for clock in self._open_clocks():
            await clock.close("closed")
        if state == S.dismissed:
            await self._tell_complainant(action, f"投诉不予受理：{reason}")
        self.journal.once_written(self._mark_finished)  # a timer ends it: not before its step is written

    async def _on_clock_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock, self._step():
            if self.state in COMPLAINT_FINAL or not clock.is_current(event):
                return
            if clock.binds == "complainant":
                if event.kind == "due":  # no rating in time: the outcome stands
                    await self._end(S.closed, Event.closed, SYSTEM, "评价期限届满，投诉办结")
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, [clock.binds])
            elif clock.binds == "credit_office":
                await self._escalate(clock, event, ["credit_office", "admins"])
            else:
                dept = self.department
                await self._escalate(clock, event, [f"department:{dept}", f"supervisor:{dept}"])
