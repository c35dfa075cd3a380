"""Dishonesty record (政务失信记录 → 整改 → 信用修复), ../shared/spec/processes.md §6. One workflow per record:
`record-{id}`, alive from recording until repair or the end of the maximum publicity period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.actions import Facts
    from domain.calendar import end_of_day
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event
    from domain.messages import (
        SYSTEM,
        Actor,
        CaseRef,
        ExplanationIn,
        MitigationIn,
        ObjectionOutcome,
        RecordStart,
        RecordView,
        RectificationDueIn,
        RectificationIn,
        RectificationVerdict,
        RepairDecision,
        RepairRequest,
        SeverityIn,
        evidence_data,
    )
    from domain.record import (
        APPROVAL_NEEDS_REPAIR_DATE,
        EXPLAINED,
        FINAL_STATES,
        MITIGATIONS,
        RECTIFICATION_PENDING,
        RULES,
        SEVERITIES,
        STATE_LABELS_ZH,
        RecordAction,
        RecordState,
        is_published,
        publicity_ends,
        repair_possible_from,
    )

from workflows.case import CaseWorkflow
from workflows.common import DeadlineClock, refuse, today_local

S = RecordState


@workflow.defn
class RecordWorkflow(CaseWorkflow):
    state_labels = STATE_LABELS_ZH
    rules = RULES
    case_type_zh = RULES.case_type_zh

    @workflow.init
    def __init__(self, start: RecordStart) -> None:
        self.start = start
        self._init_case(CaseRef(case_type="record", case_id=start.record_id, department=start.department),
                        S.recorded, start.title)
        self.severity = start.severity
        self.public = False
        self.explained = False
        self.rectification_pending = False
        self.rectification_overdue = False
        self.explanation_clock: DeadlineClock | None = None
        self.rectification_clock: DeadlineClock | None = None
        self.verification_clock: DeadlineClock | None = None
        self.repair_clock: DeadlineClock | None = None
        self._publicity_changed = False

    @property
    def repair_from(self) -> date:
        return repair_possible_from(self.start.decision_date, self.severity, self.start.profile)

    @property
    def publicity_end(self) -> date:
        return publicity_ends(self.start.decision_date, self.severity, self.start.profile)

    # --- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, start: RecordStart) -> str:
        async with self.lock:
            async with self._step():
                await self.journal.write(Event.created, start.actor, to_state=S.recorded, reason="记录失信信息")
                await self._notify("created", "record_received", [f"department:{start.department}"],
                                   explanation_days=start.profile.period("record_explanation").working_days)
                if is_published(self.severity, start.profile):
                    await self._publish(start.actor)
                await self._start_clocks()
            self.created = True
        await self._await_expiry()
        await self._wind_up()
        return self.state

    async def _await_expiry(self) -> None:
        """Publication stops by itself at the end of the maximum publicity period (公示期满)."""
        while not self.finished:
            self._publicity_changed = False
            ends = end_of_day(self.publicity_end) + timedelta(seconds=1)
            delay = (ends - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(lambda: self.finished or self._publicity_changed, timeout=delay)
                    continue
                except TimeoutError:
                    pass
            async with self.lock, self._step():
                if not self.finished and workflow.now() >= ends:
                    await self._finish(S.expired, Event.expired, SYSTEM, "最长公示期届满，自动停止公示")

    @workflow.query
    def view(self) -> RecordView:
        return RecordView(record_id=self.start.record_id, state=self.state, public=self.public,
                          severity=self.severity, rectification_overdue=self.rectification_overdue,
                          repair_possible_from=self.repair_from, publicity_ends=self.publicity_end)

    def _facts(self) -> Facts:
        flags = {f for f, on in ((EXPLAINED, self.explained), (RECTIFICATION_PENDING, self.rectification_pending))
                 if on}
        return Facts(state=self.state, department=self.department, today=today_local(), flags=frozenset(flags),
                     repair_from=self.repair_from)

    # --- updates ---------------------------------------------------------------------------------

    @workflow.update
    async def explain(self, req: ExplanationIn) -> RecordView:
        async with self._acting(self._check_explain, req), self._step():
            self.explained = True
            await self._move(Event.explained, req.actor, S.rectifying, "书面说明原因", {"explanation": req.explanation},
                             evidence_data(req.attachments))
            if self.explanation_clock:
                await self.explanation_clock.close("met")
            await self._notify("explained", "case_update", ["credit_office"], event_label="责任单位已书面说明原因")
        return self.view()

    @explain.validator
    def _check_explain(self, req: ExplanationIn) -> None:
        self._require(RecordAction.explain, req.actor)
        if not req.explanation.strip():
            raise refuse("书面说明不能为空", "InvalidInput", field="explanation")

    @workflow.update
    async def submit_rectification(self, req: RectificationIn) -> RecordView:
        async with self._acting(self._check_rectification, req), self._step():
            self.rectification_pending = True
            await self._move(Event.rectification_submitted, req.actor, S.rectifying, "提交整改材料",
                             {"rectification": req.description, "rectification_evidence": req.evidence},
                             evidence_data(req.attachments))
            period = self.start.profile.period("rectification_verification")
            self.verification_clock = DeadlineClock(
                self.case,
                DeadlineSpec(key=f"rectification-verification-{self.journal.seq}", label="整改核验期限",
                             basis=period.basis, start_event="提交整改材料", start_date=today_local(),
                             unit="working_days", count=period.working_days),
                "credit_office", self.start.profile.reminders, self._on_credit_office_event, self.notifier)
            await self.verification_clock.start()
            await self._notify("rectification_submitted", "case_update", ["credit_office"],
                               event_label="责任单位已提交整改材料，请在时限内核验")
        return self.view()

    @submit_rectification.validator
    def _check_rectification(self, req: RectificationIn) -> None:
        self._require(RecordAction.submit_rectification, req.actor)
        if not req.description.strip():
            raise refuse("整改情况不能为空", "InvalidInput", field="description")

    @workflow.update
    async def verify_rectification(self, req: RectificationVerdict) -> RecordView:
        async with self._acting(self._check_verification, req), self._step():
            self.rectification_pending = False
            if self.verification_clock:
                await self.verification_clock.close("met")
            if req.accepted:
                self.rectification_overdue = False
                await self._move(Event.rectification_verified, req.actor, S.rectified, req.reason or "整改核验通过",
                                 {"rectification_overdue": False})
                for clock in (self.rectification_clock, self.explanation_clock):
                    if clock and not clock.closed:
                        await clock.close("met")
                await self._notify("rectification_verified", "case_update", [f"department:{self.department}"],
                                   event_label=f"整改已核验通过，可自 {self.repair_from} 起申请信用修复")
            else:
                await self._move(Event.rectification_rejected, req.actor, self.state, req.reason)
                await self._notify("rectification_rejected", "case_update", [f"department:{self.department}"],
                                   event_label=f"整改核验未通过：{req.reason}")
        return self.view()

    @verify_rectification.validator
    def _check_verification(self, req: RectificationVerdict) -> None:
        self._require(RecordAction.verify_rectification, req.actor)
        if not req.accepted and not req.reason.strip():
            raise refuse("核验不通过须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def request_repair(self, req: RepairRequest) -> RecordView:
        async with self._acting(self._check_repair_request, req), self._step():
            await self._move(Event.repair_requested, req.actor, S.repair_requested, "申请信用修复",
                             {"commitment_letter": req.commitment_letter}, evidence_data(req.attachments))
            acceptance = self.start.profile.period("repair_acceptance")
            decision = self.start.profile.period("repair_decision")
            self.repair_clock = DeadlineClock(
                self.case,
                DeadlineSpec(key=f"repair-decision-{self.journal.seq}", label="信用修复受理与决定期限",
                             basis=f"{acceptance.basis}；{decision.basis}", start_event="申请信用修复",
                             start_date=today_local(), unit="working_days",
                             count=acceptance.working_days + decision.working_days),
                "credit_office", self.start.profile.reminders, self._on_credit_office_event, self.notifier)
            await self.repair_clock.start()
            await self._notify("repair_requested", "case_update", ["credit_office"],
                               event_label="责任单位申请信用修复（附信用承诺书），请在时限内受理并决定")
        return self.view()

    @request_repair.validator
    def _check_repair_request(self, req: RepairRequest) -> None:
        self._require(RecordAction.request_repair, req.actor)
        if not req.commitment_letter.strip():
            raise refuse("须提交信用承诺书", "InvalidInput", field="commitment_letter")

    @workflow.update
    async def decide_repair(self, req: RepairDecision) -> RecordView:
        async with self._acting(self._check_repair_decision, req), self._step():
            if self.repair_clock:
                await self.repair_clock.close("met")
            if req.approved:
                await self._finish(S.repaired, Event.repaired, req.actor, req.reason or "信用修复完成，停止公示",
                                   {"repair_decision_reason": req.reason})
            else:
                await self._move(Event.repair_rejected, req.actor, S.repair_rejected, req.reason,
                                 {"repair_decision_reason": req.reason})
                await self._notify("repair_rejected", "case_update", [f"department:{self.department}"],
                                   event_label=f"信用修复申请未通过：{req.reason}（可补充材料后重新申请）")
        return self.view()

    @decide_repair.validator
    def _check_repair_decision(self, req: RepairDecision) -> None:
        self._require(RecordAction.decide_repair, req.actor)
        too_early = APPROVAL_NEEDS_REPAIR_DATE(self._facts()) if self.created and req.approved else None
        if too_early is not None:
            raise refuse(too_early.message, too_early.kind, **too_early.details)
        if not req.approved and not req.reason.strip():
            raise refuse("不予修复须说明理由", "InvalidInput", field="reason")

    @workflow.update
    async def mitigate(self, req: MitigationIn) -> RecordView:
        async with self._acting(self._check_mitigation, req), self._step():
            await self._move(Event.mitigated, req.actor, self.state, req.reason,
                             {"mitigation": req.effect, "mitigation_reason": req.reason},
                             data={"effect": req.effect})
            await self._notify("mitigated", "case_update", [f"department:{self.department}"],
                               event_label=f"主动纠错：{MITIGATIONS[req.effect]}（{req.reason}）")
        return self.view()

    @mitigate.validator
    def _check_mitigation(self, req: MitigationIn) -> None:
        self._require(RecordAction.mitigate, req.actor)
        if not req.reason.strip():
            raise refuse("须说明主动纠错的情况", "InvalidInput", field="reason")

    @workflow.update
    async def classify(self, req: SeverityIn) -> RecordView:
        """The credit office sets the severity (a breach record starts as `general`)."""
        async with self._acting(self._check_classify, req), self._step():
            was_public = self.public
            self.severity = req.severity
            await self._move(Event.classified, req.actor, self.state, req.reason,
                             {"severity": req.severity, "repair_possible_from": self.repair_from.isoformat(),
                              "publicity_ends": self.publicity_end.isoformat()}, data={"severity": req.severity})
            now_public = is_published(self.severity, self.start.profile)
            if now_public and not was_public and self.state not in FINAL_STATES:
                await self._publish(req.actor)
            elif was_public and not now_public:
                self.public = False
                await self._move(Event.unpublished, req.actor, self.state, "轻微失信不予公示", {"public": False})
            self._publicity_changed = True
        return self.view()

    @classify.validator
    def _check_classify(self, req: SeverityIn) -> None:
        self._require(RecordAction.classify, req.actor)
        if not req.reason.strip():
            raise refuse("须说明认定理由", "InvalidInput", field="reason")

    @workflow.update
    async def set_rectification_due(self, req: RectificationDueIn) -> RecordView:
        async with self._acting(self._check_due, req), self._step():
            await self._move(Event.rectification_due_set, req.actor, self.state, req.reason,
                             {"rectification_due": req.due_date.isoformat(), "rectification_overdue": False})
            self.rectification_overdue = False
            if self.rectification_clock:
                await self.rectification_clock.close("closed")
            self.rectification_clock = self._rectification_clock(req.due_date)
            await self.rectification_clock.start()
        return self.view()

    @set_rectification_due.validator
    def _check_due(self, req: RectificationDueIn) -> None:
        self._require(RecordAction.set_rectification_due, req.actor)
        if req.due_date < today_local():
            raise refuse("整改期限不能早于今天", "InvalidInput", field="due_date")

    @workflow.signal
    async def apply_objection_outcome(self, outcome: ObjectionOutcome) -> None:
        """A decided objection: revoke the record (publication stops) or correct it; holders are told."""
        await workflow.wait_condition(lambda: self.created)
        async with self.lock, self._step():
            what = "撤销" if outcome.outcome == "revoked" else "更正"
            text = f"经{outcome.source or f'异议（编号 {outcome.objection_id}）'}核实{what}：" \
                   f"{outcome.correction or outcome.reason}"
            if self.finished:  # already repaired/expired/revoked and winding up: keep the note, state stays
                await self.journal.write(Event.correction_noted, outcome.actor, reason=text,
                                         changes={"correction_note": text})
                return
            if outcome.outcome == "revoked":
                await self._finish(S.revoked, Event.revoked, outcome.actor, text, {"correction_note": text})
            elif outcome.outcome == "corrected":
                await self._move(Event.corrected, outcome.actor, self.state, text, {"correction_note": text})
                holders = [f"department:{code}" for code in self.start.shared_with]
                await self._notify("corrected", "case_update", holders, event_label=text)

    # --- helpers -----------------------------------------------------------------------------------

    def _clocks(self) -> list[DeadlineClock | None]:
        return [self.explanation_clock, self.rectification_clock, self.verification_clock, self.repair_clock]

    async def _clock_moved(self, clock: DeadlineClock, actor: Actor) -> None:
        if clock is self.rectification_clock and self.rectification_overdue and not clock.overdue:
            self.rectification_overdue = False
            await self.journal.write(Event.rectification_overdue_cleared, actor, reason="整改期限调整后不再逾期",
                                     changes={"rectification_overdue": False})

    def _context(self) -> dict[str, object]:
        return {**super()._context(), "severity_zh": SEVERITIES[self.severity]}

    async def _publish(self, actor: Actor) -> None:
        self.public = True
        await self._move(Event.published, actor, S.published if self.state == S.recorded else self.state,
                         "公示失信信息", {"public": True, "published_at": workflow.now().isoformat()})

    def _rectification_clock(self, due: date | None) -> DeadlineClock:
        if due is None:
            period = self.start.profile.period("rectification_default")
            spec = DeadlineSpec(key="rectification", label="限期整改", basis=period.basis, start_event="记录失信信息",
                                start_date=self.start.recorded_on, unit="working_days", count=period.working_days)
        else:
            spec = DeadlineSpec(key=f"rectification-{self.journal.seq}", label="限期整改", basis="信用办确定的整改期限",
                                start_event="记录失信信息", start_date=self.start.recorded_on, unit="fixed_date",
                                fixed_due=due)
        return DeadlineClock(self.case, spec, f"department:{self.department}", self.start.profile.reminders,
                             self._on_rectification_event, self.notifier)

    async def _start_clocks(self) -> None:
        period = self.start.profile.period("record_explanation")
        self.explanation_clock = DeadlineClock(
            self.case,
            DeadlineSpec(key="explanation", label="书面说明原因期限", basis=period.basis, start_event="记录失信信息",
                         start_date=self.start.recorded_on, unit="working_days", count=period.working_days),
            f"department:{self.department}", self.start.profile.reminders, self._on_explanation_event,
            self.notifier)
        await self.explanation_clock.start()
        self.rectification_clock = self._rectification_clock(self.start.rectification_due)
        await self.rectification_clock.start()

    async def _finish(self, state: str, action: Event, actor: Actor, reason: str, extra: dict | None = None) -> None:
        self.public = False
        await self._move(action, actor, state, reason,
                         {"public": False, "closed_at": workflow.now().isoformat(), **(extra or {})})
        for clock in self._open_clocks():
            await clock.close("closed")
        holders = [f"department:{code}" for code in self.start.shared_with if code != self.department]
        label = {S.repaired: "已修复，停止公示", S.expired: "最长公示期届满，停止公示",
                 S.revoked: "经异议核实已撤销，停止公示"}[RecordState(state)]
        await self._notify(action, "case_update", [f"department:{self.department}", *holders, "credit_office"],
                           event_label=f"失信记录{label}")
        self.finished = True  # its step is written before the run ends: _await_expiry or a handler holds it

    # --- what the deadlines do ----------------------------------------------------------------------

    async def _on_explanation_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        await self._department_deadline(clock, event, lambda: not self.explained)

    async def _on_rectification_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async def overdue() -> None:
            if self.rectification_overdue:
                return
            self.rectification_overdue = True
            await self.journal.write(Event.rectification_overdue, SYSTEM, reason="逾期未整改",
                                     changes={"rectification_overdue": True})

        await self._department_deadline(clock, event, lambda: not self.rectification_pending
                                        and self.state not in (S.rectified, *FINAL_STATES)
                                        and self.state not in (S.repair_requested, S.repair_rejected), overdue)

    async def _department_deadline(self, clock: DeadlineClock, event: ScheduledEvent, still_open: Callable[[], bool],
                                   on_due: Callable[[], Awaitable[None]] | None = None) -> None:
        dept = self.department
        async with self.lock, self._step():
            if self.finished or not still_open() or not clock.is_current(event):
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, [f"department:{dept}"])
                return
            if on_due is not None:  # due, or a later escalation after a rejected verification
                await on_due()
            recipients = [f"department:{dept}", f"supervisor:{dept}"]
            if event.kind == "serious":
                recipients.append("credit_office")
            await self._escalate(clock, event, recipients)

    async def _on_credit_office_event(self, clock: DeadlineClock, event: ScheduledEvent) -> None:
        async with self.lock:
            if self.finished or not clock.is_current(event):
                return
            if event.kind == "reminder":
                await self._reminder(clock, event, ["credit_office"])
            else:
                await self._escalate(clock, event, ["credit_office", "admins"])
