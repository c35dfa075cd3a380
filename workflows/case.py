"""What every case workflow shares: serialised actions, actor checks, notices, reminders and
escalations as audit events, and re-projection after a calendar change.

A subclass sets `case`, `state`, `title`, `state_labels`, `case_type_zh`, `department`, creates its
deadline clocks and lists them in `_clocks()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.actions import ActionTable, Facts
    from domain.deadlines import ScheduledEvent
    from domain.events import Event
    from domain.messages import SYSTEM, Actor, CalendarWake, CaseRef, NoticeRequest

from workflows.common import ONE_STEP, ONE_STEP_EVERYWHERE, CaseJournal, DeadlineClock, Notifier, refuse, today_local

ESCALATION_LEVELS = {"due": "逾期", "serious": "严重逾期", "digest": "逾期提醒（每日汇总）"}
ESCALATION_EVENTS = {"due": Event.escalation_due, "serious": Event.escalation_serious,
                     "digest": Event.escalation_digest}


class CaseWorkflow:
    case: CaseRef
    state: str
    title: str
    department: str
    state_labels: dict[str, str]
    case_type_zh: str
    rules: ActionTable  # who may act, in which state, on which condition (the domain's table)

    def _init_case(self, case: CaseRef, state: str, title: str) -> None:
        self.case = case
        self.department = case.department or ""
        self.state = state
        self.title = title
        self.created = False  # set once registration is written (and the initial steps done)
        self.finished = False  # set once a final state's clocks are closed and its notices queued
        self.lock = asyncio.Lock()
        self.notifier = Notifier()
        self.journal = CaseJournal(case, self.notifier)

    def _mark_finished(self) -> None:
        self.finished = True

    def _clocks(self) -> list[DeadlineClock | None]:
        """Each case type lists its deadline clocks (None where not started)."""
        return []

    def _open_clocks(self) -> list[DeadlineClock]:
        return [c for c in self._clocks() if c is not None and not c.closed]

    async def _wind_up(self) -> None:
        """End of run: every update handled, every queued notice delivered."""
        await workflow.wait_condition(lambda: self.finished)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.notifier.drain()

    def _facts(self) -> Facts:
        """What this case shows about itself, for its action table; subclasses add their flags."""
        return Facts(state=self.state, department=self.department, today=today_local())

    def _require(self, action: str, actor: Actor) -> None:
        """Validator check from the process's action table. Until registration is written the state is not
        settled: only who may act is checked then; the handler waits for it and re-checks under the lock."""
        if self.created:
            refused = self.rules.refusal(action, actor.role, actor.department, self._facts())
        else:
            refused = self.rules.authorize(action, actor.role, actor.department, self.department)
        if refused is not None:
            raise refuse(refused.message, refused.kind, **refused.details)

    async def _move(self, action: Event, actor: Actor, to_state: str, reason: str, changes: dict | None = None,
                    data: dict | None = None) -> None:
        """One transition: audit event and row change in one activity, then the in-memory state."""
        await self.journal.write(action, actor, from_state=self.state, to_state=to_state, reason=reason,
                                 changes=changes, data=data)
        self.state = to_state

    def _step(self) -> AbstractAsyncContextManager[None]:
        """A step moved onto one activity by workflows.common.ONE_STEP_EVERYWHERE (older histories: as they ran)."""
        return self.journal.step(ONE_STEP_EVERYWHERE)

    def _acting(self, check: Callable[[Any], None], req: object) -> _Acting:
        return _Acting(self, check, req)

    def _context(self) -> dict[str, object]:
        return {"case_type": self.case.case_type, "case_type_zh": self.case_type_zh, "case_id": self.case.case_id,
                "title": self.title, "department": self.department, "state": self.state,
                "state_zh": self.state_labels[self.state]}

    async def _notify(self, event: str, template: str, recipients: list[str], *, window: bool = False,
                      key: str | None = None, **context: object) -> None:
        await self.notifier.notify(NoticeRequest(
            case=self.case, event_key=key or f"{self.journal.seq:04d}:{event}", template=template,
            recipients=recipients, at=workflow.now(), window=window, context={**self._context(), **context},
        ))

    async def _reminder(self, clock: DeadlineClock, event: ScheduledEvent, recipients: list[str]) -> None:
        assert clock.plan is not None
        left = f"{clock.spec.label}：还剩{event.working_days_left}个工作日"
        async with self.journal.step():
            await self.journal.write(Event.reminder, SYSTEM, reason=left,
                                     data={"deadline": clock.spec.key, "event": event.key})
            await self._notify("reminder", "deadline_reminder", recipients, window=True,
                               key=f"{clock.spec.key}:{event.key}", label=clock.spec.label,
                               due_at=clock.plan.deadline.due_at.isoformat(sep=" ")[:19],
                               provisional=clock.plan.deadline.provisional, days_left=event.working_days_left,
                               receipt=clock.receipt_zh)

    async def _escalate(self, clock: DeadlineClock, event: ScheduledEvent, recipients: list[str]) -> None:
        assert clock.plan is not None
        level = ESCALATION_LEVELS[event.kind]
        async with self.journal.step():
            await self.journal.write(ESCALATION_EVENTS[event.kind], SYSTEM, reason=f"{clock.spec.label}{level}",
                                     data={"deadline": clock.spec.key, "event": event.key})
            await self._notify(event.kind, "deadline_escalation", recipients, window=True,
                               key=f"{clock.spec.key}:{event.key}", label=clock.spec.label, level=level,
                               due_at=clock.plan.deadline.due_at.isoformat(sep=" ")[:19],
                               receipt=clock.receipt_zh)

    @workflow.signal
    async def calendar_changed(self, wake: CalendarWake | None = None) -> None:
        """Woken by a calendar change (workflows.calendar_change): an event of this case moved earlier or its
        deadline passed or un-passed, so re-plan its timers now. The batch has logged the move and told the
        party; what the old due instant caused is undone here. The waker carries the new plans, read from the
        rows the batch wrote: a clock whose plan came with it needs no activity."""
        async with self.lock:
            plans = wake.plans if wake is not None and workflow.patched(ONE_STEP) else {}
            for clock in self._open_clocks():
                before = clock.plan.deadline.due_at if clock.plan else None
                if clock.spec.key in plans:
                    clock.replanned(plans[clock.spec.key])
                else:
                    await clock.reproject()
                if clock.plan is not None and clock.plan.deadline.due_at != before:
                    await self._clock_moved(clock, SYSTEM)

    async def _clock_moved(self, clock: DeadlineClock, actor: Actor) -> None:
        """Hook: a deadline was re-projected (pause, extension, new date, calendar); undo what its old due
        instant caused if the new one lies ahead."""

    async def _note_passed_move(self, clock: DeadlineClock, actor: Actor) -> None:
        """A due date that had passed moved (extension, pause, new date): the history says from when to when,
        since what was escalated for the old date is not sent again (workflows.common.DeadlineClock)."""
        if clock.passed_move is None:
            return
        old, new = clock.passed_move
        clock.passed_move = None
        await self.journal.write(Event.deadline_moved, actor,
                                 reason=f"{clock.spec.label}截止日由 {old.isoformat()} 改为 {new.isoformat()}",
                                 data={"deadline": clock.spec.key, "from": old.isoformat(), "to": new.isoformat()})


class _Acting:
    """Serialises an update with every other transition and re-runs its validator under the lock
    (a timer may have changed the state since the update was accepted)."""

    def __init__(self, wf: CaseWorkflow, check: Callable[[Any], None], req: object) -> None:
        self.wf = wf
        self.check = check
        self.req = req

    async def __aenter__(self) -> None:
        await workflow.wait_condition(lambda: self.wf.created)
        await self.wf.lock.acquire()
        try:
            self.check(self.req)
        except BaseException:
            self.wf.lock.release()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.wf.lock.release()
