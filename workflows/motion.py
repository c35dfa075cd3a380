"""Suggestion or proposal (建议提案办理), domain/motion.py. One workflow per motion: `motion-{id}`.

assigned → (reassignment_requested → assigned at the new lead unit) → drafted → replied → closed on the
deputy's feedback; 不满意 reopens once. Clocks: the reply period (3 months, 6 with the coordinator's approval;
proposals the profile's figure), the 10-day window to ask for reassignment, each co-unit's 1-month opinion and
the feedback period. A B/C reply's promise becomes a commitment with its own workflow, linked both ways.
"""

from __future__ import annotations

from typing import Literal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.motion import PromiseStarter, open_promise_commitment
    from domain.actions import Facts
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event
    from domain.messages import (
        SYSTEM,
        Actor,
        ApprovalIn,
        CaseRef,
        DraftIn,
        MotionExtensionIn,
        MotionFeedbackIn,
        MotionPromiseRequest,
        MotionPublishIn,
        MotionStart,
        MotionView,
        OpinionIn,
        ReassignIn,
        ReassignmentRequestIn,
    )
    from domain.motion import (
        CO_SETTLED,
        EXTENDED,
        FEEDBACK,
        MOTION_FINAL,
        MOTION_KINDS,
        MOTION_RULES,
        MOTION_STATES_ZH,
        PROMISE_CLASSES,
        PROPOSAL_KINDS,
        PUBLIC_REPLY,
        REASSIGN_OPEN,
        RESULT_CLASSES,
        MotionAction,
        MotionState,
        authorize,
        refusal,
    )

from workflows.case import CaseWorkflow
from workflows.common import DB_ACTIVITY, DeadlineClock, refuse, today_local

S = MotionState
COORDINATOR = "coordinator"  # recipient: the government office (activities.notify falls back to the credit office)


@workflow.defn
class MotionWorkflow(CaseWorkflow):
    state_labels = MOTION_STATES_ZH
    rules = MOTION_RULES
    case_type_zh = MOTION_RULES.case_type_zh

    @workflow.init
    def __init__(self, start: MotionStart) -> None:
        self.start = start
        self._init_case(CaseRef(case_type="motion", case_id=start.motion_id, department=start.department),
                        S.assigned, start.title)
        self.co_sent: list[str] = []
        self.co_late: list[str] = []
        self.reassign_open = True
        self.extended = False
        self.late = False
        self.reopened = False
        self.reply_public = False
        self.round = 1
        self.draft: DraftIn | None = None
        self.commitment_ids: list[int] = []
        self.reply_clock: DeadlineClock | None = None
        self.reassign_clock: DeadlineClock | None = None
        self.feedback_clock: DeadlineClock | None = None
        self.co_clocks: dict[str, DeadlineClock] = {}
        self.names = dict(start.unit_names)  # code → name: the history and the notices name units, never codes
        self.opinions: dict[str, str] = {}  # co-unit → its opinion

    @workflow.run
    async def run(self, start: MotionStart) -> str:
        async with self.lock, self._step():
            co = "、".join(self._unit(d) for d in start.co_departments) or "无"
            await self.journal.write(Event.assigned, start.actor, to_state=S.assigned,
                                     reason=f"交办{MOTION_KINDS[start.kind]}（{start.number}）："
                                            f"主办 {self._unit(start.department)}，会办 {co}")
            await self._assign_lead("交办")
            for dept in start.co_departments:
                self.co_clocks[dept] = await self._clock("motion_co_opinion", "会办意见期限", "交办",
                                                         f"department:{dept}")
                await self._notify(f"co:{dept}", "case_update", [f"department:{dept}"],
                                   event_label=f"收到会办{MOTION_KINDS[start.kind]}，请在1个月内将会办意见送主办单位"
                                               f"{self._unit(start.department)}")
            self.created = True
        await self._wind_up()
        return self.state

    @workflow.query
    def view(self) -> MotionView:
        due = self.reply_clock.plan.deadline.due_at if self.reply_clock and self.reply_clock.plan else None
        return MotionView(motion_id=self.start.motion_id, state=self.state, department=self.department,
                          co_departments=self.start.co_departments, co_sent=self.co_sent, co_late=self.co_late,
                          extended=self.extended, late=self.late, reopened=self.reopened,
                          reply_public=self.reply_public, reply_due_at=due, commitment_ids=self.commitment_ids)

    def _facts(self) -> Facts:
        flags = set()
        if self.reassign_open:
            flags.add(REASSIGN_OPEN)
        if self.reopened or all(d in self.co_sent or d in self.co_late for d in self.start.co_departments):
            flags.add(CO_SETTLED)
        if self.extended:
            flags.add(EXTENDED)
        if self.reply_public:
            flags.add(PUBLIC_REPLY)
        return Facts(state=self.state, department=self.department, today=today_local(), flags=frozenset(flags))

    def _require(self, action: str, actor: Actor) -> None:
        """Co-units act on their own opinion, every other unit action is the lead unit's (domain.motion)."""
        co = self.start.co_departments
        refused = (refusal(action, actor.role, actor.department, self._facts(), co) if self.created
                   else authorize(action, actor.role, actor.department, self.department, co))
        if refused is not None:
            raise refuse(refused.message, refused.kind, **refused.details)

    # --- reassignment --------------------------------------------------------------------------------

    @workflow.update
    async def request_reassignment(self, req: ReassignmentRequestIn) -> MotionView:
        async with self._acting(self._check_request_reassignment, req), self._step():
            await self._move(Event.reassignment_requested, req.actor, S.reassignment_requested, req.reason)
            if self.reassign_clock is not None:
                await self.reassign_clock.close("met")
            self.reassign_open = False
            await self._notify("reassignment_requested", "case_update", [COORDINATOR],
                               event_label=f"承办单位 {self.department} 申请调整承办单位：{req.reason}")
        return self.view()

    @request_reassignment.validator
    def _check_request_reassignment(self, req: ReassignmentRequestIn) -> None:
        self._require(MotionAction.request_reassignment, req.actor)
        if not req.reason.strip():
            raise refuse("须说明不属于本单位职责的理由", "InvalidInput", field="reason")

    @workflow.update
    async def reassign(self, req: ReassignIn) -> MotionView:
        async with self._acting(self._check_reassign, req), self._step():
            if req.department is None:
                await self._move(Event.reassignment_declined, req.actor, S.assigned, req.reason or "不予调整")
                await self._notify("reassignment_declined", "case_update", [f"department:{self.department}"],
                                   event_label=f"调整承办单位的申请未获同意，请继续办理：{req.reason}")
            else:
                self.department = req.department
                if req.department_name:
                    self.names[req.department] = req.department_name
                self.case = self.case.model_copy(update={"department": req.department})
                self.journal.case = self.case
                await self._move(Event.reassigned, req.actor, S.assigned, req.reason or "调整承办单位",
                                 {"department_code": req.department, "late": False})
                self.late = False
                self.reassign_open = True
                if self.reply_clock is not None:
                    await self.reply_clock.close("closed")
                await self._assign_lead("调整承办单位")
        return self.view()

    @reassign.validator
    def _check_reassign(self, req: ReassignIn) -> None:
        self._require(MotionAction.reassign, req.actor)
        if req.department is not None and (req.department == self.department
                                           or req.department in self.start.co_departments):
            raise refuse("新的主办单位须是其他单位（且不是会办单位）", "InvalidInput", field="department")

    # --- co-handling --------------------------------------------------------------------------------

    @workflow.update
    async def send_opinion(self, req: OpinionIn) -> MotionView:
        async with self._acting(self._check_send_opinion, req), self._step():
            dept = req.actor.department or ""
            self.co_sent.append(dept)
            self.opinions[dept] = req.opinion
            opinions = {d: self.opinions.get(d, "已送达") for d in self.co_sent}
            await self._move(Event.co_opinion_sent, req.actor, self.state, req.opinion,
                             {"co_opinions": opinions}, data={"co_department": dept, "opinion": req.opinion})
            clock = self.co_clocks.get(dept)
            if clock is not None:
                await clock.close("met")
            await self._notify(f"opinion:{dept}", "case_update", [f"department:{self.department}"],
                               event_label=f"会办单位{self._unit(dept)}送来会办意见：{req.opinion}")
        return self.view()

    @send_opinion.validator
    def _check_send_opinion(self, req: OpinionIn) -> None:
        self._require(MotionAction.send_opinion, req.actor)
        if req.actor.department in self.co_sent:
            raise refuse("本单位已送会办意见", "InvalidState", state=self.state)
        if not req.opinion.strip():
            raise refuse("会办意见不能为空", "InvalidInput", field="opinion")

    # --- the reply ------------------------------------------------------------------------------------

    @workflow.update
    async def draft_reply(self, req: DraftIn) -> MotionView:
        async with self._acting(self._check_draft_reply, req), self._step():
            self.draft = req
            await self._move(Event.reply_drafted, req.actor, S.drafted, RESULT_CLASSES[req.result_class],
                             {"reply_text": req.reply, "result_class": req.result_class, "promise": req.promise,
                              "promise_due": req.promise_due.isoformat() if req.promise_due else None})
        return self.view()

    @draft_reply.validator
    def _check_draft_reply(self, req: DraftIn) -> None:
        self._require(MotionAction.draft_reply, req.actor)
        if not req.reply.strip():
            raise refuse("答复内容不能为空", "InvalidInput", field="reply")
        if req.result_class in PROMISE_CLASSES:
            if not (req.promise or "").strip():
                raise refuse("B类、C类答复须写明所作承诺", "InvalidInput", field="promise")
            if req.promise_due is None or req.promise_due <= today_local():
                raise refuse("须写明承诺兑现的日期（今天以后）", "InvalidInput", field="promise_due")

    @workflow.update
    async def approve_reply(self, req: ApprovalIn) -> MotionView:
        async with self._acting(self._check_approve_reply, req), self._step():
            assert self.draft is not None
            await self._move(Event.reply_approved, req.actor, S.replied, f"经单位领导 {req.leader} 审签后答复",
                             {"approved_by_leader": req.leader, "replied_at": workflow.now().isoformat()})
            if self.reply_clock is not None:
                await self.reply_clock.close("met")
            if self.draft.result_class in PROMISE_CLASSES:
                await self._track_promise(self.draft, req.actor)
            self.feedback_clock = await self._clock("motion_feedback", "登记代表委员意见期限", "答复",
                                                    COORDINATOR)
            await self._notify("replied", "case_update", [COORDINATOR],
                               event_label=f"承办单位已答复（{RESULT_CLASSES[self.draft.result_class]}），"
                                           "请登记代表委员的意见")
        return self.view()

    @approve_reply.validator
    def _check_approve_reply(self, req: ApprovalIn) -> None:
        self._require(MotionAction.approve_reply, req.actor)
        if not req.leader.strip():
            raise refuse("须写明审签的单位领导", "InvalidInput", field="leader")

    @workflow.update
    async def extend(self, req: MotionExtensionIn) -> MotionView:
        async with self._acting(self._check_extend, req), self._step():
            period = self.start.profile.period("motion_reply_complex")
            self.extended = True
            await self._move(Event.extended, req.actor, self.state, req.reason, {"extended": True})
            if self.reply_clock is not None and not self.reply_clock.closed:
                await self.reply_clock.recount(period.months, period.basis)
                await self._note_passed_move(self.reply_clock, req.actor)
                if self.late and not self.reply_clock.overdue:
                    self.late = False
                    await self.journal.write(Event.deadline_moved, req.actor, reason="延长答复期限后不再逾期",
                                             changes={"late": False})
            await self._notify("extended", "case_update", [f"department:{self.department}"],
                               event_label=f"答复期限经批准延长至{period.months}个月：{req.reason}")
        return self.view()

    @extend.validator
    def _check_extend(self, req: MotionExtensionIn) -> None:
        self._require(MotionAction.extend, req.actor)
        if self.reopened:
            raise refuse("重新办理的答复期限不能延长", "InvalidState", state=self.state)
        if not req.reason.strip():
            raise refuse("须说明延期理由（涉及面广、处理难度大）", "InvalidInput", field="reason")

    # --- the deputy's feedback, publication -------------------------------------------------------------

    @workflow.update
    async def record_feedback(self, req: MotionFeedbackIn) -> MotionView:
        async with self._acting(self._check_record_feedback, req), self._step():
            said = FEEDBACK[req.feedback] + (f"：{req.comment}" if req.comment else "")
            await self._move(Event.feedback, req.actor, self.state, said,
                             {"feedback": req.feedback, "feedback_comment": req.comment})
            if self.feedback_clock is not None:
                await self.feedback_clock.close("met")
            if req.feedback == "dissatisfied" and not self.reopened:
                await self._reopen(req.actor)
            else:
                await self._end(req.actor, "建议提案办结")
        return self.view()

    @record_feedback.validator
    def _check_record_feedback(self, req: MotionFeedbackIn) -> None:
        self._require(MotionAction.record_feedback, req.actor)

    @workflow.update
    async def publish_reply(self, req: MotionPublishIn) -> MotionView:
        async with self._acting(self._check_publish_reply, req), self._step():
            self.reply_public = True
            await self._move(Event.published, req.actor, self.state, "公开答复（建议提案复文）",
                             {"reply_public": True})
        return self.view()

    @publish_reply.validator
    def _check_publish_reply(self, req: MotionPublishIn) -> None:
        self._require(MotionAction.publish_reply, req.actor)

    # --- helpers ----------------------------------------------------------------------------------------

    def _clocks(self) -> list[DeadlineClock | None]:
        return [self.reply_clock, self.reassign_clock, self.feedback_clock, *self.co_clocks.values()]

    def _reply_period(self) -> str:
        if self.reopened:
            return "motion_reopen_reply"
        if self.extended:
            return "motion_reply_complex"
        return "proposal_reply" if self.start.kind in PROPOSAL_KINDS else "motion_reply"

    def _unit(self, code: str) -> str:
        return self.names.get(code, code)

    async def _assign_lead(self, start_event: str) -> None:
        """The lead unit's clocks from today: its reply period and its 10 days to ask for reassignment."""
        self.reply_clock = await self._clock(self._reply_period(), "答复期限", start_event,
                                             f"department:{self.department}")
        self.reassign_clock = await self._clock("motion_reassign_request", "申请调整承办单位期限", start_event,
                                                f"department:{self.department}", reminders=False)
        await self._notify(f"assigned:{self.department}", "case_update", [f"department:{self.department}"],
                           event_label=f"收到主办{MOTION_KINDS[self.start.kind]}，请在答复期限内办理并答复")

    async def _clock(self, period_key: str, label: str, start_event: str, binds: str, *,
                     reminders: bool = True) -> DeadlineClock:
        period = self.start.profile.period(period_key)
        unit: Literal["working_days", "natural_days", "natural_months"]
        if period.months:
            unit, count = "natural_months", period.months
        elif period.natural_days:
            unit, count = "natural_days", period.natural_days
        else:
            unit, count = "working_days", period.working_days
        clock = DeadlineClock(
            self.case,
            DeadlineSpec(key=f"{period_key}-{self.journal.seq}", label=label, basis=period.basis,
                         start_event=start_event, start_date=today_local(), unit=unit, count=count),
            binds, self.start.profile.reminders if reminders else None, self._on_clock_event, self.notifier)
        await clock.start()
        return clock

    async def _track_promise(self, draft: DraftIn, actor: Actor) -> None:
        """The promise of a B/C reply: a commitment of the lead unit, published and run by its own workflow."""
        assert draft.promise is not None and draft.promise_due is not None
        start = await workflow.execute_activity(
            open_promise_commitment,
            MotionPromiseRequest(motion_id=self.start.motion_id, round=self.round, department=self.department,
                                 title=f"{self.start.number} {self.title}：答复承诺", promise=draft.promise,
                                 due_date=draft.promise_due, actor=actor, at=workflow.now()),
            **DB_ACTIVITY)
        if start.commitment_id not in self.commitment_ids:
            self.commitment_ids.append(start.commitment_id)
        await workflow.execute_activity_method(PromiseStarter.start_promise_commitment, start, **DB_ACTIVITY)
        await self.journal.write(Event.promise_tracked, SYSTEM,
                                 reason=f"答复所作承诺转为政务承诺（编号 {start.commitment_id}），跟踪至兑现",
                                 data={"commitment_id": start.commitment_id})

    async def _reopen(self, actor: Actor) -> None:
        self.reopened = True
        self.round += 1
        self.draft = None
        await self._move(Event.motion_reopened, actor, S.reopened, "代表委员不满意，重新办理（一次）",
                         {"reopened": True})
        self.reply_clock = await self._clock("motion_reopen_reply", "重新办理答复期限", "代表委员不满意",
                                             f"department:{self.department}")
        await self._notify("reopened", "case_update", [f"department:{self.department}"],
                           event_label="代表委员对答复不满意，请在3个月内重新办理并答复（仅一次）")

    async def _end(self, actor: Actor, reason: str) -> None:
        await self._move(Event.closed, actor, S.closed, reason, {"closed_at": workflow.now().isoformat()})
        for clock in self._open_clocks():
            await clock.close("closed")
        self.journal.once_written(self._mark_finished)  # a timer may end it: not before its step is written

    async def _on_clock_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock, self._step():
            if self.state in MOTION_FINAL or not clock.is_current(event):
                return
            if clock is self.reassign_clock:
                if event.kind == "due":
                    self.reassign_open = False
                    await clock.close("closed")
                return
            if clock is self.feedback_clock:
                if event.kind == "reminder":
                    await self._reminder(clock, event, [COORDINATOR])
                elif event.kind == "due":
                    await self._end(SYSTEM, "登记代表委员意见期限届满，按答复办结")
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, [clock.binds])
                return
            co = next((d for d, c in self.co_clocks.items() if c is clock), None)
            if co is not None:
                if event.kind == "due" and co not in self.co_sent:
                    self.co_late.append(co)
                    await self.journal.write(Event.co_opinion_late, SYSTEM,
                                             reason=f"会办单位{self._unit(co)}逾期未送会办意见",
                                             changes={"co_late": list(self.co_late)}, data={"department": co})
                    await self._notify(f"co_late:{co}", "case_update", [f"department:{self.department}"],
                                       event_label=f"会办单位{self._unit(co)}逾期未送会办意见，可先行拟定答复")
                await self._escalate(clock, event, [f"department:{co}", f"supervisor:{co}", COORDINATOR])
                return
            if event.kind == "due" and not self.late:
                self.late = True
                await self.journal.write(Event.reply_late, SYSTEM, reason=f"{clock.spec.label}届满，承办单位未答复",
                                         changes={"late": True}, data={"department": self.department})
            dept = self.department
            await self._escalate(clock, event, [f"department:{dept}", f"supervisor:{dept}", COORDINATOR])
