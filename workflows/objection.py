"""Objection (信用信息异议), ../shared/spec/processes.md §4. One workflow per objection: `objection-{id}`.

The disputed record or commitment is marked 异议处理中 when the profile says and unmarked when the
objection ends; a decision to correct or revoke is applied to the target and its holders are told.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.record import objections_open_on
    from activities.transitions import apply_transition
    from domain.actions import Facts
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event
    from domain.messages import (
        SYSTEM,
        AcceptanceIn,
        Actor,
        CaseRef,
        FindingIn,
        ObjectionDecisionIn,
        ObjectionOutcome,
        ObjectionStart,
        ObjectionView,
        SupplementIn,
        Transition,
        WithdrawalIn,
        evidence_data,
    )
    from domain.objection import (
        DEPARTMENT_LATE,
        FINDING_GIVEN,
        OBJECTION_FINAL,
        OBJECTION_RULES,
        OBJECTION_STATES_ZH,
        OUTCOMES_ZH,
        ObjectionAction,
        ObjectionState,
    )

from workflows.case import CaseWorkflow
from workflows.commitment_objection import decide_on_commitment
from workflows.common import DB_ACTIVITY, DeadlineClock, refuse, today_local
from workflows.record import RecordWorkflow

S = ObjectionState
# what a decision writes on the disputed case when its own workflow does not apply it (see _apply_to_target)
TARGET_EVENTS = {"corrected": Event.objection_corrected, "revoked": Event.objection_revoked}
APPLICANT = Actor(username="applicant", role="public")
# workflow.patched() id: a profile that runs the forward and decision periods as deadlines (上海: 2 WD to forward,
# 5 WD to decide) gets their clocks. Objections started before replay without them.
FORWARD_AND_DECISION_CLOCKS = "objection-forward-and-decision-deadlines"
# workflow.patched() id: a corrected/revoked decision on a commitment replaces its public status and revokes the
# record its breach opened (workflows/commitment_objection.py). Before, only a note was written on the row.
COMMITMENT_STATUS_FROM_OBJECTION = "objection-changes-commitment-status"


@workflow.defn
class ObjectionWorkflow(CaseWorkflow):
    state_labels = OBJECTION_STATES_ZH
    rules = OBJECTION_RULES
    case_type_zh = OBJECTION_RULES.case_type_zh

    @workflow.init
    def __init__(self, start: ObjectionStart) -> None:
        self.start = start
        self._init_case(CaseRef(case_type="objection", case_id=start.objection_id, department=start.target.department),
                        S.submitted, f"对“{start.target.title}”的异议")
        self.marked = False
        self.supplements: list[str] = []
        self.finding: str | None = None
        self.department_late = False
        self.outcome: str | None = None
        self.acceptance_clock: DeadlineClock | None = None
        self.total_clock: DeadlineClock | None = None
        self.supplement_clock: DeadlineClock | None = None
        self.verify_clock: DeadlineClock | None = None
        self.forward_clock: DeadlineClock | None = None
        self.decision_clock: DeadlineClock | None = None

    @workflow.run
    async def run(self, start: ObjectionStart) -> str:
        async with self.lock:
            async with self._step():
                await self.journal.write(Event.submitted, APPLICANT, to_state=S.submitted, reason="提交异议申请")
                await self._notify("submitted", "objection_received", [f"email:{start.applicant_email}"])
                if start.profile.objection.get("mark") != "on_acceptance":
                    await self._mark(True)
                await self._start_platform_clocks()
            self.created = True
        await self._wind_up()
        return self.state

    @workflow.query
    def view(self) -> ObjectionView:
        return ObjectionView(objection_id=self.start.objection_id, state=self.state, outcome=self.outcome,
                             department_late=self.department_late)

    def _facts(self) -> Facts:
        flags = {f for f, on in ((FINDING_GIVEN, self.finding is not None), (DEPARTMENT_LATE, self.department_late))
                 if on}
        return Facts(state=self.state, department=self.department, today=today_local(), flags=frozenset(flags))

    # --- updates ---------------------------------------------------------------------------------

    @workflow.update
    async def accept(self, req: AcceptanceIn) -> ObjectionView:
        async with self._acting(self._check_accept, req), self._step():
            if self.acceptance_clock:
                await self.acceptance_clock.close("met")
            if req.needs_supplement:
                await self._move(Event.supplement_requested, req.actor, S.awaiting_supplement, req.reason)
                for paused in (self.total_clock, self.forward_clock):
                    if paused and not paused.paused:
                        await paused.pause("awaiting_supplement")
                period = self.start.profile.period("supplement_window")
                self.supplement_clock = DeadlineClock(
                    self.case,
                    DeadlineSpec(key=f"supplement-{self.journal.seq}", label="补正材料期限", basis=period.basis,
                                 start_event="通知补正", start_date=today_local(), unit="working_days",
                                 count=period.working_days),
                    "applicant", None, self._on_supplement_event, self.notifier)
                await self.supplement_clock.start()
                await self._tell_applicant("supplement_requested",
                                           f"请在{period.working_days}个工作日内补正材料：{req.reason}")
            elif not req.accepted:
                await self._end(S.rejected, Event.rejected, req.actor, req.reason)
            else:
                await self._move(Event.accepted, req.actor, S.accepted, req.reason or "受理异议")
                if not self.marked:
                    await self._mark(True)
                await self._forward(req.actor)
                await self._tell_applicant("accepted", "您的异议已受理，正在核实")
        return self.view()

    @accept.validator
    def _check_accept(self, req: AcceptanceIn) -> None:
        self._require(ObjectionAction.accept, req.actor)
        if (not req.accepted or req.needs_supplement) and not req.reason.strip():
            raise refuse("不予受理或要求补正须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def supplement(self, req: SupplementIn) -> ObjectionView:
        async with self._acting(self._check_supplement, req), self._step():
            if self.supplement_clock:
                await self.supplement_clock.close("met")
            self.supplements.append(req.material)
            await self._move(Event.supplemented, APPLICANT, S.submitted, "申请人补正材料",
                             {"supplements": list(self.supplements)}, evidence_data(req.attachments))
            for paused in (self.total_clock, self.forward_clock):
                if paused and paused.paused:
                    await paused.resume()
            period = self.start.profile.period("objection_acceptance")
            self.acceptance_clock = self._credit_office_clock(f"acceptance-{self.journal.seq}", "异议受理期限",
                                                              period.basis, "补正材料", period.working_days)
            await self.acceptance_clock.start()
            await self._notify("supplemented", "case_update", ["credit_office"],
                               event_label="申请人已补正材料，请决定是否受理")
        return self.view()

    @supplement.validator
    def _check_supplement(self, req: SupplementIn) -> None:
        self._require(ObjectionAction.supplement, APPLICANT)
        if not req.material.strip():
            raise refuse("补正材料不能为空", "InvalidInput", field="material")

    @workflow.update
    async def verify(self, req: FindingIn) -> ObjectionView:
        async with self._acting(self._check_verify, req), self._step():
            self.finding = req.finding
            if self.verify_clock:
                await self.verify_clock.close("met")
            await self._move(Event.verified, req.actor, self.state, "信息提供单位核实", {"finding": req.finding})
            await self._start_decision_clock("收到核实意见")
            await self._notify("verified", "case_update", ["credit_office"],
                               event_label="信息提供单位已提交核实意见，请作出决定")
        return self.view()

    @verify.validator
    def _check_verify(self, req: FindingIn) -> None:
        self._require(ObjectionAction.verify, req.actor)
        if not req.finding.strip():
            raise refuse("核实意见不能为空", "InvalidInput", field="finding")

    @workflow.update
    async def decide(self, req: ObjectionDecisionIn) -> ObjectionView:
        async with self._acting(self._check_decide, req), self._step():
            self.outcome = req.outcome
            await self._move(Event.decided, req.actor, S.decided, req.reason,
                             {"outcome": req.outcome, "decision_reason": req.reason, "correction": req.correction},
                             data={"outcome": req.outcome})
            for clock in self._open_clocks():
                await clock.close("met")
            told = await self._apply_to_target(req) if req.outcome != "upheld" else ""
            await self._tell_applicant("decided", f"异议处理决定：{OUTCOMES_ZH[req.outcome]}。{req.reason}"
                                       + (f"。{told}" if told else ""))
            await self._end(S.closed, Event.closed, SYSTEM, "异议办结")
        return self.view()

    @decide.validator
    def _check_decide(self, req: ObjectionDecisionIn) -> None:
        self._require(ObjectionAction.decide, req.actor)
        if not req.reason.strip():
            raise refuse("须说明决定理由", "InvalidInput", field="reason")
        if req.outcome == "corrected" and not req.correction.strip():
            raise refuse("更正决定须写明更正内容", "InvalidInput", field="correction")

    @workflow.update
    async def withdraw(self, req: WithdrawalIn) -> ObjectionView:
        async with self._acting(self._check_withdraw, req), self._step():
            await self._end(S.withdrawn, Event.withdrawn, APPLICANT, req.reason or "申请人撤回异议")
        return self.view()

    @withdraw.validator
    def _check_withdraw(self, req: WithdrawalIn) -> None:
        self._require(ObjectionAction.withdraw, APPLICANT)

    # --- helpers -----------------------------------------------------------------------------------

    def _clocks(self) -> list[DeadlineClock | None]:
        return [self.acceptance_clock, self.total_clock, self.supplement_clock, self.verify_clock,
                self.forward_clock, self.decision_clock]

    async def _tell_applicant(self, event: str, text: str) -> None:
        await self._notify(event, "case_update", [f"email:{self.start.applicant_email}"], event_label=text,
                           public_link=False)

    async def _touch_target(self, action: Event, reason: str, changes: dict) -> None:
        """Write on the disputed case's row and audit trail (keys carry this objection's id and sequence)."""
        self.journal.seq += 1
        target = self.start.target
        t = Transition(case=CaseRef(case_type=target.case_type, case_id=target.case_id, department=target.department),
                       event_key=f"objection-{self.start.objection_id}:{self.journal.seq:04d}:{action.value}",
                       action=action.value, from_state=None, to_state=None, actor=SYSTEM, reason=reason,
                       at=workflow.now(), data={"objection_id": self.start.objection_id}, changes=changes)
        await workflow.execute_activity(apply_transition, t, **DB_ACTIVITY)
        await self.journal.tell_followers(t)  # the disputed item's followers see its 异议处理中 mark come and go

    async def _mark(self, on: bool) -> None:
        """Mark the target; unmarking leaves the mark while another objection on it is still open."""
        self.marked = on
        target = self.start.target
        if on:
            await self._touch_target(Event.objection_marked, "异议处理中", {"objection_pending": True})
            return
        still_open = await workflow.execute_activity(
            objections_open_on, CaseRef(case_type=target.case_type, case_id=target.case_id), **DB_ACTIVITY)
        await self._touch_target(Event.objection_unmarked, "异议处理结束", {"objection_pending": still_open})

    def _credit_office_clock(self, key: str, label: str, basis: str, start_event: str, days: int) -> DeadlineClock:
        return DeadlineClock(
            self.case, DeadlineSpec(key=key, label=label, basis=basis, start_event=start_event,
                                    start_date=today_local(), unit="working_days", count=days),
            "credit_office", self.start.profile.reminders, self._on_credit_office_event, self.notifier)

    async def _start_platform_clocks(self) -> None:
        period = self.start.profile.period("objection_acceptance")
        self.acceptance_clock = self._credit_office_clock("acceptance", "异议受理期限", period.basis, "收到异议申请",
                                                          period.working_days)
        await self.acceptance_clock.start()
        total = self.start.profile.periods.get("objection_total")
        if total is not None:
            self.total_clock = self._credit_office_clock("total", "异议处理总时限", total.basis, "收到异议申请",
                                                         total.working_days)
            await self.total_clock.start()
        forward = self.start.profile.tracked("objection_forward")
        if forward is not None and workflow.patched(FORWARD_AND_DECISION_CLOCKS):
            # from receipt until the objection is forwarded (on acceptance); paused while awaiting a supplement
            self.forward_clock = self._credit_office_clock("forward", "转送信息提供单位期限", forward.basis,
                                                           "收到异议申请", forward.working_days)
            await self.forward_clock.start()

    async def _start_decision_clock(self, start_event: str) -> None:
        """The platform's own decision period runs from the source department's finding (or from the end of its
        verification period, when it did not answer) until the decision."""
        period = self.start.profile.tracked("objection_platform_check")
        if period is None or self.decision_clock is not None or not workflow.patched(FORWARD_AND_DECISION_CLOCKS):
            return
        self.decision_clock = self._credit_office_clock("decision", "异议处理决定期限", period.basis, start_event,
                                                        period.working_days)
        await self.decision_clock.start()

    async def _forward(self, actor: Actor) -> None:
        if self.forward_clock:
            await self.forward_clock.close("met")
        await self._move(Event.forwarded, actor, S.verifying, "转信息提供单位核实")
        period = self.start.profile.period("objection_source_verify")
        self.verify_clock = DeadlineClock(
            self.case,
            DeadlineSpec(key="source-verification", label="信息提供单位核实期限", basis=period.basis,
                         start_event="收到核实通知", start_date=today_local(), unit="working_days",
                         count=period.working_days),
            f"department:{self.department}", self.start.profile.reminders, self._on_department_event, self.notifier)
        await self.verify_clock.start()
        await self._notify("forwarded", "case_update", [f"department:{self.department}"],
                           event_label=f"收到信用信息异议，请在{period.working_days}个工作日内核实并提交核实意见")

    async def _apply_to_target(self, req: ObjectionDecisionIn) -> str:
        """Correct or revoke the disputed case; a record's own workflow applies it (and tells its holders), a
        commitment's status changes (workflows/commitment_objection.py). Returns more for the applicant."""
        target = self.start.target
        period = self.start.profile.periods.get("correction_after_revocation")
        if period is not None:
            clock = DeadlineClock(
                self.case,
                DeadlineSpec(key="correction", label="更正期限", basis=period.basis, start_event="作出异议决定",
                             start_date=today_local(), unit="working_days", count=period.working_days),
                "credit_office", None, self._on_credit_office_event, self.notifier)
            await clock.start()
        else:
            clock = None
        text = f"经异议核实{OUTCOMES_ZH[req.outcome]}：{req.correction or req.reason}"
        outcome = ObjectionOutcome(objection_id=self.start.objection_id, outcome=req.outcome, reason=req.reason,
                                   correction=req.correction, actor=req.actor)
        applied = False
        told = ""
        if target.case_type == "commitment" and workflow.patched(COMMITMENT_STATUS_FROM_OBJECTION):
            told = await decide_on_commitment(self, req)
            applied = True
        elif target.case_type == "record":
            try:
                await workflow.get_external_workflow_handle_for(RecordWorkflow.run, f"record-{target.case_id}").signal(
                    RecordWorkflow.apply_objection_outcome, outcome)
                applied = True
            except Exception:  # the record's workflow has ended: apply through the read model below
                applied = False
        if not applied:  # a commitment (its status), or a record whose workflow has ended
            # a record whose workflow has completed is already out of publicity: the note is what remains
            await self._touch_target(TARGET_EVENTS[req.outcome], text, {"correction_note": text})
            await self._notify("target_changed", "case_update", [f"department:{self.department}"], event_label=text)
        if clock is not None:
            await clock.close("met")
        return told

    async def _end(self, state: str, action: Event, actor: Actor, reason: str) -> None:
        await self._move(action, actor, state, reason, {"closed_at": workflow.now().isoformat()})
        for clock in self._open_clocks():
            await clock.close("closed")
        if self.marked:
            await self.journal.flush()  # whether another objection keeps the mark is read with this one ended
            await self._mark(False)
        if state != S.closed:
            await self._tell_applicant(action, f"异议{OBJECTION_STATES_ZH[state]}：{reason}")
        self.journal.once_written(self._mark_finished)  # a timer may end it: not before its step is written

    # --- what the deadlines do ----------------------------------------------------------------------

    async def _department_late(self) -> None:
        if self.department_late or self.state != S.verifying or self.finding is not None:
            return
        self.department_late = True
        await self.journal.write(Event.department_late, SYSTEM, reason="信息提供单位逾期未核实，由信用办直接决定",
                                 data={"department": self.department}, changes={"department_late": True})
        await self._notify("department_late", "case_update", ["credit_office"],
                           event_label="信息提供单位逾期未核实，请信用办直接作出决定")
        await self._start_decision_clock("信息提供单位核实期限届满")

    async def _on_credit_office_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock, self._step():
            if self.state in OBJECTION_FINAL or not clock.is_current(event):
                return
            if clock is self.total_clock and event.kind == "due":  # 河南: the total period decides lateness
                await self._department_late()
            if event.kind == "reminder":
                await self._reminder(clock, event, ["credit_office"])
            else:
                await self._escalate(clock, event, ["credit_office", "admins"])

    async def _on_department_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        dept = self.department
        async with self.lock, self._step():
            if self.state != S.verifying or self.finding is not None or not clock.is_current(event):
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, [f"department:{dept}"])
                return
            if event.kind == "due" and self.total_clock is None:  # no total period: the department's own decides
                await self._department_late()
            await self._escalate(clock, event, [f"department:{dept}", f"supervisor:{dept}"])

    async def _on_supplement_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock, self._step():
            if self.state != S.awaiting_supplement or event.kind != "due" or not clock.is_current(event):
                return
            await self._end(S.withdrawn, Event.withdrawn, SYSTEM, "补正期限届满未补正，视为撤回")
