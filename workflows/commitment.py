"""Commitment (政务承诺 → 践诺/违诺), ../shared/spec/processes.md §3. One workflow per commitment: `commitment-{id}`.

It decides and waits; activities write the read model, the audit trail and the notices. Every API
action is an Update whose validator refuses an illegal action before anything enters history.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.record import open_breach_record
    from domain.actions import Facts
    from domain.commitment import (
        AMENDMENT_PENDING,
        FINAL_STATES,
        MILESTONE_OPEN,
        PAUSED,
        RULES,
        STATE_LABELS_ZH,
        Action,
        CommitmentState,
        unlawful_reason,
    )
    from domain.commitment_status import STATUS_EVENTS, decision_zh, status_changes
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event
    from domain.messages import (
        PROGRESS_TEXT_MAX,
        SYSTEM,
        Actor,
        AmendmentDecision,
        AmendmentRequest,
        BreachRecordRequest,
        CaseRef,
        CommitmentStart,
        CommitmentStatusDecision,
        CommitmentView,
        DeadlineState,
        ExtensionRequest,
        FulfilmentReport,
        MilestoneDone,
        PauseRequest,
        ProgressUpdate,
        PublishRequest,
        ResumeRequest,
        VerificationDecision,
        evidence_data,
    )

from workflows.case import CaseWorkflow
from workflows.common import DB_ACTIVITY, DeadlineClock, refuse, today_local
from workflows.record import RecordWorkflow

S = CommitmentState


SUPERVISOR_TOLD_WHEN_LATE_KEPT = "supervisor-told-when-late-commitment-kept"  # workflow.patched() id


@workflow.defn
class CommitmentWorkflow(CaseWorkflow):
    state_labels = STATE_LABELS_ZH
    rules = RULES
    case_type_zh = RULES.case_type_zh

    @workflow.init
    def __init__(self, start: CommitmentStart) -> None:
        self.start = start
        self._init_case(CaseRef(case_type="commitment", case_id=start.commitment_id, department=start.department),
                        S.draft, start.title)
        self.due_date: date = start.due_date
        self.overdue = False
        self.amended = False
        self.due_passed = False
        self.grace_passed = False
        self.pending_amendment: AmendmentRequest | None = None
        self.milestones_done: set[int] = set()
        self.due_clock: DeadlineClock | None = None
        self.grace_clock: DeadlineClock | None = None
        self.verify_clock: DeadlineClock | None = None
        self.milestone_clocks: dict[int, DeadlineClock] = {}

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: CommitmentStart) -> str:
        async with self.lock:
            async with self.journal.step():
                await self.journal.write(Event.created, start.actor, to_state=S.draft, reason="登记承诺")
                await self._notify("created", "commitment_received", [f"department:{start.department}"])
                if start.publish:
                    await self._publish(start.actor)
            self.created = True
        await self._wind_up()
        return self.state

    @workflow.query
    def view(self) -> CommitmentView:
        return CommitmentView(
            commitment_id=self.start.commitment_id, state=self.state, overdue=self.overdue, amended=self.amended,
            due_at=self.due_clock.plan.deadline.due_at if self.due_clock and self.due_clock.plan else None,
            extensions_used=self.due_clock.extensions_used if self.due_clock else 0,
            paused=bool(self.due_clock and self.due_clock.paused),
        )

    def _facts(self) -> Facts:
        paused = bool(self.due_clock and self.due_clock.paused)
        flags = {AMENDMENT_PENDING} if self.pending_amendment is not None else set()
        if paused:
            flags.add(PAUSED)
        if any(m.seq not in self.milestones_done for m in self.start.milestones):
            flags.add(MILESTONE_OPEN)
        used = self.due_clock.extensions_used if self.due_clock else 0
        return Facts(state=self.state, department=self.department, today=today_local(), flags=frozenset(flags),
                     extensions_left=self.start.profile.extension.max_count - used)

    # --- updates: validators refuse before history; handlers re-check under the lock ----------

    @workflow.update
    async def publish(self, req: PublishRequest) -> CommitmentView:
        async with self._acting(self._check_publish, req), self.journal.step():
            await self._publish(req.actor)
        return self.view()

    @publish.validator
    def _check_publish(self, req: PublishRequest) -> None:
        if not self.created and self.start.publish:
            raise refuse("当前状态（履行中）不允许此操作", "InvalidState", state=S.published)
        self._require(Action.publish, req.actor)

    @workflow.update
    async def report_fulfilment(self, req: FulfilmentReport) -> CommitmentView:
        async with self._acting(self._check_report, req), self.journal.step():
            await self.journal.write(Event.fulfilment_reported, req.actor, from_state=self.state,
                                     to_state=S.fulfilment_reported, reason="报告履行情况",
                                     changes={"report": req.report, "evidence": req.evidence},
                                     data=evidence_data(req.attachments))
            self.state = S.fulfilment_reported
            period = self.start.profile.period("fulfilment_verification")
            self.verify_clock = DeadlineClock(
                self.case,
                DeadlineSpec(key=f"verification-{self.journal.seq}", label="践诺核验期限", basis=period.basis,
                             start_event="报告履行情况",
                             start_date=today_local(), unit="working_days", count=period.working_days),
                "credit_office", self.start.profile.reminders, self._on_verification_event, self.notifier)
            await self.verify_clock.start()
            await self._notify("fulfilment_reported", "case_update", ["credit_office"],
                               event_label="承诺单位已报告履行情况，请在时限内核验")
        return self.view()

    @report_fulfilment.validator
    def _check_report(self, req: FulfilmentReport) -> None:
        self._require(Action.report_fulfilment, req.actor)
        if not req.report.strip():
            raise refuse("履行情况报告不能为空", "InvalidInput", field="report")

    @workflow.update
    async def verify(self, req: VerificationDecision) -> CommitmentView:
        async with self._acting(self._check_verify, req), self._step():
            if self.verify_clock:
                await self.verify_clock.close("met")
            if req.accepted:
                await self._finish(S.fulfilled, Event.verified_accepted, req.actor, req.reason or "核验通过", "met")
            elif self.grace_passed:
                await self.journal.write(Event.verified_rejected, req.actor, from_state=self.state, reason=req.reason)
                await self._breach(req.actor, f"核验未通过且宽限期已过：{req.reason}")
            else:
                changes = {"overdue": True} if self.due_passed else {}
                await self.journal.write(Event.verified_rejected, req.actor, from_state=self.state,
                                         to_state=S.published, reason=req.reason, changes=changes)
                self.state = S.published
                self.overdue = self.overdue or self.due_passed
                await self._notify("verified_rejected", "case_update", [f"department:{self.start.department}"],
                                   event_label=f"践诺报告核验未通过：{req.reason}")
        return self.view()

    @verify.validator
    def _check_verify(self, req: VerificationDecision) -> None:
        self._require(Action.verify, req.actor)
        if not req.accepted and not req.reason.strip():
            raise refuse("核验不通过须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def request_amendment(self, req: AmendmentRequest) -> CommitmentView:
        async with self._acting(self._check_amendment, req), self._step():
            self.pending_amendment = req
            what = "撤回" if req.withdraw else "变更"
            await self.journal.write(Event.amendment_requested, req.actor, from_state=self.state, reason=req.reason,
                                     data={"withdraw": req.withdraw, "reason_code": req.reason_code},
                                     changes={"pending_amendment": req.model_dump(mode="json", exclude={"actor"})})
            await self._notify("amendment_requested", "case_update", ["credit_office"],
                               event_label=f"承诺单位申请{what}承诺，请审批（理由：{req.reason}）")
        return self.view()

    @request_amendment.validator
    def _check_amendment(self, req: AmendmentRequest) -> None:
        self._require(Action.request_amendment, req.actor)
        why_not = unlawful_reason(req.reason_code, req.reason)
        if why_not:
            raise refuse(why_not, "UnlawfulReason", field="reason")
        if not req.reason.strip():
            raise refuse("须说明变更或撤回的理由", "InvalidInput", field="reason")
        if not req.withdraw and req.title is None and req.content is None and req.due_date is None:
            raise refuse("变更申请须至少修改标题、内容或期限之一", "InvalidInput", field="title")
        if req.due_date is not None and req.due_date < today_local():
            raise refuse("新的履行期限不能早于今天", "InvalidInput", field="due_date")

    @workflow.update
    async def decide_amendment(self, req: AmendmentDecision) -> CommitmentView:
        async with self._acting(self._check_decision, req), self._step():
            pending = self.pending_amendment
            assert pending is not None  # the table's condition, re-checked under the lock
            self.pending_amendment = None
            if not req.approved:
                await self.journal.write(Event.amendment_rejected, req.actor, from_state=self.state, reason=req.reason,
                                         changes={"pending_amendment": None})
                await self._notify("amendment_rejected", "case_update", [f"department:{self.start.department}"],
                                   event_label=f"变更或撤回申请未获批准：{req.reason}")
            elif pending.withdraw:
                await self._finish(S.withdrawn, Event.withdrawn, req.actor, pending.reason, "closed",
                                   extra={"pending_amendment": None})
            else:
                changes: dict[str, object] = {"amended": True, "pending_amendment": None}
                for name in ("title", "content", "due_date"):
                    value = getattr(pending, name)
                    if value is not None:
                        changes[name] = value.isoformat() if isinstance(value, date) else value
                await self.journal.write(Event.amendment_approved, req.actor, from_state=self.state,
                                         reason=pending.reason, data={"approval": req.reason}, changes=changes)
                self.amended = True
                if pending.title is not None:
                    self.title = pending.title
                if pending.due_date is not None and pending.due_date != self.due_date:
                    self.due_date = pending.due_date
                    if self.due_clock is not None:
                        await self.due_clock.move_to(pending.due_date)
                        await self._clock_moved(self.due_clock, req.actor)
                await self._notify("amendment_approved", "case_update", [f"department:{self.start.department}"],
                                   event_label=f"承诺变更已批准（理由：{pending.reason}）")
        return self.view()

    @decide_amendment.validator
    def _check_decision(self, req: AmendmentDecision) -> None:
        self._require(Action.decide_amendment, req.actor)
        if not req.approved and not req.reason.strip():
            raise refuse("不予批准须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def pause(self, req: PauseRequest) -> CommitmentView:
        async with self._acting(self._check_pause, req), self._step():
            assert self.due_clock is not None
            for clock in [self.due_clock, *self.milestone_clocks.values()]:
                if not clock.closed:
                    await clock.pause(req.reason_code)
            await self._clock_moved(self.due_clock, req.actor)
            await self.journal.write(Event.paused, req.actor, from_state=self.state, reason=req.reason,
                                     data={"reason_code": req.reason_code})
        return self.view()

    @pause.validator
    def _check_pause(self, req: PauseRequest) -> None:
        self._require(Action.pause, req.actor)
        if not req.reason.strip():
            raise refuse("中止计时须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def resume(self, req: ResumeRequest) -> CommitmentView:
        async with self._acting(self._check_resume, req), self._step():
            assert self.due_clock is not None
            for clock in [self.due_clock, *self.milestone_clocks.values()]:
                if not clock.closed and clock.paused:
                    await clock.resume()
            await self._clock_moved(self.due_clock, req.actor)
            await self.journal.write(Event.resumed, req.actor, from_state=self.state, reason="恢复计时")
        return self.view()

    @resume.validator
    def _check_resume(self, req: ResumeRequest) -> None:
        self._require(Action.resume, req.actor)

    @workflow.update
    async def extend(self, req: ExtensionRequest) -> CommitmentView:
        async with self._acting(self._check_extend, req), self._step():
            assert self.due_clock is not None
            await self.due_clock.extend(req.working_days, req.reason, req.actor.username)
            await self.journal.write(Event.extended, req.actor, from_state=self.state, reason=req.reason,
                                     data={"working_days": req.working_days})
            await self._clock_moved(self.due_clock, req.actor)
        return self.view()

    @extend.validator
    def _check_extend(self, req: ExtensionRequest) -> None:
        self._require(Action.extend, req.actor)
        rule = self.start.profile.extension
        if not 1 <= req.working_days <= rule.max_working_days:
            raise refuse(f"延期须为1至{rule.max_working_days}个工作日", "InvalidInput", field="working_days")
        if not req.reason.strip():
            raise refuse("延期须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def complete_milestone(self, req: MilestoneDone) -> CommitmentView:
        await workflow.wait_condition(lambda: self.created)
        async with self.lock, self._step():
            self._check_milestone(req)
            self.milestones_done.add(req.seq)
            await self.journal.write(Event.milestone_done, req.actor, from_state=self.state,
                                     reason=req.note or "节点完成",
                                     data=evidence_data(req.attachments, {"seq": req.seq}))
            clock = self.milestone_clocks.get(req.seq)
            if clock:
                await clock.close("met")
        return self.view()

    @complete_milestone.validator
    def _check_milestone(self, req: MilestoneDone) -> None:
        self._require(Action.complete_milestone, req.actor)
        if req.seq not in {m.seq for m in self.start.milestones}:
            raise refuse("没有这个节点", "NotFound", field="seq")
        if req.seq in self.milestones_done:
            raise refuse("该节点已完成", "InvalidState", state=self.state)

    @workflow.update
    async def post_progress(self, req: ProgressUpdate) -> CommitmentView:
        """A dated progress note for the public timeline: an audit event, no change of state or deadline."""
        async with self._acting(self._check_progress, req), self._step():
            await self.journal.write(Event.progress_posted, req.actor, from_state=self.state, reason=req.text,
                                     data=evidence_data(req.attachments, {"text": req.text, "percent": req.percent}))
        return self.view()

    @post_progress.validator
    def _check_progress(self, req: ProgressUpdate) -> None:
        self._require(Action.post_progress, req.actor)
        if not req.text.strip():
            raise refuse("进展说明不能为空", "InvalidInput", field="text")
        if len(req.text) > PROGRESS_TEXT_MAX:
            raise refuse(f"进展说明不能超过{PROGRESS_TEXT_MAX}字", "InvalidInput", field="text")
        if req.percent is not None and not 0 <= req.percent <= 100:
            raise refuse("进度须为0至100之间的整数", "InvalidInput", field="percent")

    @workflow.signal
    async def apply_status_decision(self, decision: CommitmentStatusDecision) -> None:
        """A decided objection corrects or revokes this commitment's public status (workflows/objection.py sends
        it while this workflow runs; once it has ended the objection writes the same change itself)."""
        await workflow.wait_condition(lambda: self.created)
        async with self.lock, self._step():
            text = decision_zh(decision)
            await self.journal.write(STATUS_EVENTS[decision.outcome], decision.actor, reason=text,
                                     changes=status_changes(decision))
            await self._notify("status_decision", "case_update", [f"department:{self.start.department}"],
                               event_label=text)

    # --- helpers -------------------------------------------------------------------------------

    def _clocks(self) -> list[DeadlineClock | None]:
        return [self.due_clock, self.grace_clock, self.verify_clock, *self.milestone_clocks.values()]

    async def _clock_moved(self, clock: DeadlineClock, actor: Actor) -> None:
        """The due date moved (or its clock stopped): a grace period started by the old due instant ends,
        and a commitment no longer late stops showing 逾期."""
        await self._note_passed_move(clock, actor)
        if clock is not self.due_clock or clock.overdue:
            return
        if self.grace_clock is not None:
            await self.grace_clock.close("closed")
            self.grace_clock = None
        self.due_passed = self.grace_passed = False
        if self.overdue:
            self.overdue = False
            await self.journal.write(Event.overdue_cleared, actor, reason="期限调整后不再逾期",
                                     changes={"overdue": False})

    def _context(self) -> dict[str, object]:
        return {**super()._context(), "due_date": self.due_date.isoformat()}

    async def _publish(self, actor: Actor) -> None:
        await self.journal.write(Event.published, actor, from_state=self.state, to_state=S.published, reason="公开承诺",
                                 changes={"published_at": workflow.now().isoformat()})
        self.state = S.published
        await self._notify("published", "case_update", [f"department:{self.start.department}"],
                           event_label="承诺已公开，开始履行")
        profile = self.start.profile
        self.due_clock = DeadlineClock(
            self.case,
            DeadlineSpec(key="due", label="承诺履行期限", basis="承诺约定的履行期限", start_event="公开承诺",
                         start_date=today_local(), unit="fixed_date", fixed_due=self.due_date),
            f"department:{self.start.department}", profile.reminders, self._on_due_event, self.notifier)
        await self.due_clock.start()
        for m in self.start.milestones:
            clock = DeadlineClock(
                self.case,
                DeadlineSpec(key=f"milestone-{m.seq}", label=f"节点：{m.title}", basis="承诺约定的节点期限",
                             start_event="公开承诺", start_date=today_local(), unit="fixed_date", fixed_due=m.due_date),
                f"department:{self.start.department}", profile.reminders, self._on_milestone_event, self.notifier)
            self.milestone_clocks[m.seq] = clock
            await clock.start()

    async def _finish(self, state: str, action: Event, actor: Actor, reason: str, due_status: DeadlineState,
                      extra: dict | None = None) -> None:
        await self.journal.write(action, actor, from_state=self.state, to_state=state, reason=reason,
                                 changes={"closed_at": workflow.now().isoformat(), **(extra or {})})
        self.state = state
        for clock in self._open_clocks():
            await clock.close(due_status if clock is self.due_clock else "closed")
        recipients = [f"department:{self.start.department}"]
        if state == S.breached:
            recipients += [f"supervisor:{self.start.department}", "credit_office"]
        await self._notify(action, "case_update", recipients, event_label=f"承诺{STATE_LABELS_ZH[state]}：{reason}")
        if state == S.fulfilled and self.overdue and workflow.patched(SUPERVISOR_TOLD_WHEN_LATE_KEPT):
            # The supervisor was sent the escalations: tell them the matter is settled. Guarded because cases
            # that started on older code have histories without this notice (README: changing a workflow).
            await self._notify("escalation_resolved", "case_update", [f"supervisor:{self.start.department}"],
                               event_label="此前逾期督办的承诺已践诺，督办事项办结")
        if state == S.breached:
            await self._open_breach_record()
        self.journal.once_written(self._mark_finished)

    async def _open_breach_record(self) -> None:
        """Breach creates a dishonesty record (category commitment_breach, severity general) with its own
        workflow, which outlives this one."""
        start = await workflow.execute_activity(
            open_breach_record,
            BreachRecordRequest(commitment_id=self.start.commitment_id, department=self.department, title=self.title,
                                at=workflow.now(), profile=self.start.profile),
            **DB_ACTIVITY,
        )
        try:
            await workflow.start_child_workflow(
                RecordWorkflow.run, start, id=f"record-{start.record_id}",
                parent_close_policy=ParentClosePolicy.ABANDON)
        except WorkflowAlreadyStartedError:
            pass
        await self.journal.write(Event.record_opened, SYSTEM, reason=f"未践诺，生成失信记录（编号 {start.record_id}）",
                                 data={"record_id": start.record_id})

    async def _breach(self, actor: Actor, reason: str) -> None:
        await self._finish(S.breached, Event.breached, actor, reason, "missed")

    # --- what the deadlines do --------------------------------------------------------------------

    async def _on_due_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        dept = self.start.department
        async with self.lock:
            if self.state in FINAL_STATES or not clock.is_current(event):
                return
            if event.kind == "reminder":
                if self.state == S.published:
                    await self._reminder(clock, event, [f"department:{dept}"])
            elif event.kind == "due":
                self.due_passed = True
                async with self.journal.step():
                    if self.state == S.published:
                        await self.journal.write(Event.overdue, SYSTEM, from_state=self.state,
                                                 reason="到期未报告履行情况", changes={"overdue": True})
                        self.overdue = True
                        await self._escalate(clock, event, [f"department:{dept}", f"supervisor:{dept}"])
                    await self._start_grace(clock)
            elif self.state == S.published and self.overdue:
                recipients = [f"department:{dept}", f"supervisor:{dept}"]
                if event.kind == "serious":
                    recipients.append("credit_office")
                await self._escalate(clock, event, recipients)

    async def _start_grace(self, due_clock: DeadlineClock) -> None:
        assert due_clock.plan is not None
        if self.grace_clock is not None:
            await self.grace_clock.close("closed")
        period = self.start.profile.period("commitment_grace")
        self.grace_clock = DeadlineClock(
            self.case,
            DeadlineSpec(key=f"grace-{due_clock.plan.deadline.due_date.isoformat()}", label="逾期宽限期",
                         basis=period.basis, start_event="承诺到期",
                         start_date=due_clock.plan.deadline.due_date, unit="working_days", count=period.working_days),
            f"department:{self.start.department}", None, self._on_grace_event, self.notifier)
        await self.grace_clock.start()

    async def _on_grace_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock, self._step():
            if event.kind != "due" or self.state in FINAL_STATES or not clock.is_current(event):
                return
            self.grace_passed = True
            if self.state == S.published:
                await self._breach(SYSTEM, "宽限期满仍未报告履行情况，自动认定未践诺")
            else:
                await clock.close("closed")

    async def _on_verification_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock:
            if self.state != S.fulfilment_reported or not clock.is_current(event):
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, ["credit_office"])
            else:
                await self._escalate(clock, event, ["credit_office", "admins"])

    async def _on_milestone_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        dept = self.start.department
        seq = int(clock.spec.key.split("-")[1])
        async with self.lock, self._step():
            if self.state in FINAL_STATES or seq in self.milestones_done or not clock.is_current(event):
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, [f"department:{dept}"])
            elif event.kind == "due":
                await self.journal.write(Event.milestone_overdue, SYSTEM, reason=f"{clock.spec.label}逾期",
                                         data={"seq": seq})
                await self._escalate(clock, event, [f"department:{dept}", f"supervisor:{dept}"])
                await clock.close("missed")

