"""What every process workflow shares: activity options, the notifier and the deadline clock.

The clock turns a deadline plan (projected by an activity on the newest calendar) into durable
timers: reminders before the due instant, the due instant, then 严重逾期 and daily digests. Pause,
resume, extension and calendar changes re-project the same spec, so the receipt lists each step.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import TypedDict

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    # Activities are referenced by their functions (the name Temporal knows is the function's name); their
    # modules touch the database and SMTP, so they are passed through, never re-imported in the sandbox.
    from activities.calendar_change import newest_calendar_version
    from activities.deadlines import plan_deadline, set_deadline_status
    from activities.followers import FOLLOWED_CASES, mail_followers
    from activities.notify import queue_failure_alert, queue_notice, send_notice, send_notices
    from activities.push import PUSHED_CASES, DeliveryStarter
    from activities.step import apply_step
    from activities.transitions import apply_transition
    from domain.calendar import TZ, Extension, Pause
    from domain.deadlines import DeadlineSpec, ScheduledEvent
    from domain.events import Event, is_public_change
    from domain.messages import (
        Actor,
        CaseRef,
        DeadlineState,
        DeadlineStatus,
        NoticeRequest,
        Plan,
        PlanRequest,
        QueuedNotice,
        StepRequest,
        Transition,
    )
    from domain.profiles import Reminders


class ActivityOptions(TypedDict, total=False):
    """The keyword options of `workflow.execute_activity` this project sets (typed, so `**options` checks)."""

    start_to_close_timeout: timedelta
    heartbeat_timeout: timedelta
    retry_policy: RetryPolicy


# A programming error in an activity (a missing key, a wrong type) does not heal by waiting: it fails at once
# instead of retrying forever while the case holds its lock. Lost connections, locks and timeouts are retried.
PROGRAMMING_ERRORS = ["KeyError", "LookupError", "TypeError", "AttributeError", "NameError", "AssertionError"]
DB_ACTIVITY = ActivityOptions(
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                             non_retryable_error_types=PROGRAMMING_ERRORS),
)
SEND_ACTIVITY = ActivityOptions(
    start_to_close_timeout=timedelta(seconds=60),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10),
                             maximum_attempts=30),  # = activities.notify.SEND_MAX_ATTEMPTS; then `failed`
)
class LocalActivityOptions(TypedDict, total=False):
    """The keyword options of `workflow.execute_local_activity` this project sets."""

    start_to_close_timeout: timedelta
    retry_policy: RetryPolicy


# A database read or write run inside the workflow task: the same timeout and retries as DB_ACTIVITY.
DB_LOCAL_ACTIVITY = LocalActivityOptions(start_to_close_timeout=DB_ACTIVITY["start_to_close_timeout"],
                                         retry_policy=DB_ACTIVITY["retry_policy"])
ALERT_ACTIVITY = ActivityOptions(  # queueing the admins' alert about a failed notice: bounded, it must not hold a case
    start_to_close_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30),
                             maximum_attempts=40),
)
# workflow.patched() id: a public change of a commitment or record mails its followers. Histories recorded
# before replay without it.
MAIL_FOLLOWERS = "mail-followers-of-a-public-change"
# workflow.patched() id: a public change of a commitment or record is pushed to the receiving platforms (归集共享).
# Histories recorded before replay without it.
PUSH_TO_PLATFORMS = "push-public-changes-to-platforms"
# workflow.patched() id: a notice that failed for good alerts the admins. Histories recorded before replay
# without it (their failed notices were only logged).
ALERT_WHEN_A_NOTICE_FAILS = "alert-admins-when-a-notice-fails"
# workflow.patched() id: a step (transitions, their notices and followers' mails, deliveries, the deadlines it
# opens) is written by one activity (activities/step.py) and its due notices are sent by one more; a timer
# checks the calendar in a local activity; a calendar wake-up carries the new plans. Histories recorded before
# replay the activity per write. It implies the three patches above.
ONE_STEP = "one-activity-per-step"
# workflow.patched() id: the steps ONE_STEP left on the activity per write (a record's, a commitment's verify,
# amendment, pause/resume/extension and breach, objections, complaints, motions) are written by one activity too,
# and a step's closed deadlines are set in its transaction. Histories recorded before replay as they ran.
ONE_STEP_EVERYWHERE = "one-activity-per-step-everywhere"
# workflow.patched() id: a step is written by a local activity, inside the workflow task that collected it, instead
# of an activity of its own: the step's transaction is idempotent and short, so running it again after a lost task
# writes nothing twice, and the engine no longer dispatches it (a workflow task and three history events less a
# step; an update's caller has its answer in one task). Its notices' send stays an activity: an SMTP server may
# be slow or down for minutes, which must not hold the task that answers a clerk. Histories recorded before replay
# the step's activity.
STEP_IN_TASK = "step-written-in-its-workflow-task"


def refuse(message: str, kind: str = "InvalidState", **details: object) -> ApplicationError:
    """An error for the caller of an update (validators raise it before anything enters history)."""
    return ApplicationError(message, details, type=kind, non_retryable=True)


def today_local() -> date:
    return workflow.now().astimezone(TZ).date()


class Step:
    """What one step writes, collected while it runs and written by one activity when it ends."""

    def __init__(self, closes_deadlines: bool) -> None:
        self.transitions: list[Transition] = []
        self.notices: list[NoticeRequest] = []
        self.clocks: list[DeadlineClock] = []
        # a step of ONE_STEP_EVERYWHERE writes the deadlines it closes; one of ONE_STEP closed each by an activity
        self.closes_deadlines = closes_deadlines
        self.closes: list[DeadlineStatus] = []
        self.then: list[Callable[[], None]] = []  # what the workflow may do only once the step is written


class Notifier:
    """Queues notices in the outbox (activity) and delivers each at its time on a durable timer."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self.step: Step | None = None  # the step being collected: its notices are queued when it is written

    async def notify(self, req: NoticeRequest) -> None:
        if self.step is not None:
            self.step.notices.append(req)
            return
        queued = await workflow.execute_activity(queue_notice, req, **DB_ACTIVITY)
        self.deliver(queued)

    def _keep(self, task: asyncio.Task[None]) -> None:
        """A case runs for years: finished deliveries are dropped, not kept until the end of the run."""
        self._tasks = [t for t in self._tasks if not t.done() or t.cancelled() or t.exception() is not None]
        self._tasks.append(task)

    def deliver(self, queued: list[QueuedNotice]) -> None:
        for q in queued:
            self._keep(asyncio.create_task(self._deliver(q)))

    def deliver_together(self, queued: list[QueuedNotice]) -> None:
        """A step's notices: those due now in one send_notices activity, each later instant on its own timer."""
        now = workflow.now()
        groups: dict[datetime | None, list[int]] = {}
        for q in queued:
            groups.setdefault(q.deliver_at if q.deliver_at > now else None, []).append(q.outbox_id)
        for at, ids in groups.items():
            self._keep(asyncio.create_task(self._deliver_group(at, ids)))

    async def _deliver_group(self, at: datetime | None, outbox_ids: list[int]) -> None:
        if at is not None:
            await workflow.sleep((at - workflow.now()).total_seconds())
        try:
            failed = await workflow.execute_activity(send_notices, outbox_ids, **SEND_ACTIVITY)
        except ActivityError:
            workflow.logger.warning("notices %s not all delivered; see the outbox", outbox_ids)
            return
        for outbox_id in failed:
            workflow.logger.warning("notice %s not delivered; marked failed in the outbox", outbox_id)
            await self._alert_admins(outbox_id)

    async def _deliver(self, q: QueuedNotice) -> None:
        delay = (q.deliver_at - workflow.now()).total_seconds()
        if delay > 0:
            await workflow.sleep(delay)
        try:
            await workflow.execute_activity(send_notice, q.outbox_id, **SEND_ACTIVITY)
        except ActivityError:
            workflow.logger.warning("notice %s not delivered; marked failed in the outbox", q.outbox_id)
            if workflow.patched(ALERT_WHEN_A_NOTICE_FAILS):
                await self._alert_admins(q.outbox_id)

    async def _alert_admins(self, outbox_id: int) -> None:
        """Tell the admins which notice failed and why: the activity queues one alert per failed notice (none
        for a failed alert), delivered like any notice; an alert that fails in turn is only logged."""
        try:
            alerts = await workflow.execute_activity(queue_failure_alert, outbox_id, **ALERT_ACTIVITY)
            for alert in alerts:
                await workflow.execute_activity(send_notice, alert.outbox_id, **SEND_ACTIVITY)
        except ActivityError:
            workflow.logger.warning("admins not alerted about failed notice %s", outbox_id)

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks)


class CaseJournal:
    """Appends transitions in order: a sequence number makes each audit key unique and replay-stable."""

    def __init__(self, case: CaseRef, notifier: Notifier | None = None) -> None:
        self.case = case
        self.seq = 0
        self.notifier = notifier  # with one, a public change mails the item's followers

    @asynccontextmanager
    async def step(self, patch: str = ONE_STEP) -> AsyncIterator[None]:
        """The writes, notices and deadline starts (and, under ONE_STEP_EVERYWHERE, closes) inside make one step:
        written by one activity when the block ends (not at all if it raises), its due notices then sent by one
        more. Inside an open step, or on a history recorded before `patch` (ONE_STEP where the step was first
        collected, ONE_STEP_EVERYWHERE for the steps moved since), each write runs its own activities as before."""
        notifier = self.notifier
        if notifier is None or notifier.step is not None or not workflow.patched(patch):
            yield
            return
        step = notifier.step = Step(closes_deadlines=patch != ONE_STEP)
        try:
            yield
        finally:
            notifier.step = None
        if step.transitions or step.notices or step.clocks or step.closes:
            await self._write(step)
        for then in step.then:
            then()

    def once_written(self, then: Callable[[], None]) -> None:
        """Run `then` once what is being collected is written: at once outside a step, after the step's activity
        inside one (a case marked finished ends its run, which must not leave its last step unwritten)."""
        step = self.notifier.step if self.notifier is not None else None
        if step is None:
            then()
        else:
            step.then.append(then)

    async def flush(self) -> None:
        """Write what the open step has collected so far (an activity that follows reads it from the database);
        the rest of the step is written when it ends. Outside a step every write is already done."""
        step = self.notifier.step if self.notifier is not None else None
        if step is None or not (step.transitions or step.notices or step.clocks or step.closes):
            return
        await self._write(step)
        step.transitions, step.notices, step.clocks, step.closes = [], [], [], []

    async def _write(self, step: Step) -> None:
        assert self.notifier is not None
        req = StepRequest(case=self.case, transitions=step.transitions, notices=step.notices,
                          plans=[c.plan_request() for c in step.clocks], closes=step.closes)
        if workflow.patched(STEP_IN_TASK):
            result = await workflow.execute_local_activity(apply_step, req, **DB_LOCAL_ACTIVITY)
        else:
            result = await workflow.execute_activity(apply_step, req, **DB_ACTIVITY)
        for clock, plan in zip(step.clocks, result.plans, strict=True):
            clock.planned(plan)
        self.notifier.deliver_together(result.notices)

    async def write(self, action: Event, actor: Actor, *, from_state: str | None = None, to_state: str | None = None,
                    reason: str | None = None, data: dict | None = None, changes: dict | None = None) -> None:
        self.seq += 1
        t = Transition(case=self.case, event_key=f"{self.seq:04d}:{action.value}", action=action.value,
                       from_state=from_state,
                       to_state=to_state, actor=actor, reason=reason, at=workflow.now(), data=data or {},
                       changes=changes or {})
        if self.notifier is not None and self.notifier.step is not None:
            self.notifier.step.transitions.append(t)  # with its followers' mails and deliveries (activities/step.py)
            return
        await workflow.execute_activity(apply_transition, t, **DB_ACTIVITY)
        await self.tell_followers(t)
        await self.push_to_platforms(t)

    async def push_to_platforms(self, t: Transition) -> None:
        """After a public change of a commitment or record is written: one delivery per receiving platform,
        each sent by its own workflow (activities/push.py decides which platforms receive it)."""
        if t.case.case_type not in PUSHED_CASES or not is_public_change(t.action, t.to_state) \
                or not workflow.patched(PUSH_TO_PLATFORMS):
            return
        await workflow.execute_activity_method(DeliveryStarter.queue_deliveries, t, **DB_ACTIVITY)

    async def tell_followers(self, t: Transition) -> None:
        """After a public change of a commitment or record is written: one mail per follower, delivered like
        every notice (the activity decides who follows and whether the item is public)."""
        if self.notifier is None or t.case.case_type not in FOLLOWED_CASES \
                or not is_public_change(t.action, t.to_state) or not workflow.patched(MAIL_FOLLOWERS):
            return
        self.notifier.deliver(await workflow.execute_activity(mail_followers, t, **DB_ACTIVITY))


EventHandler = Callable[["DeadlineClock", ScheduledEvent], Awaitable[None]]

# workflow.patched() id: a timer checks the calendar version before it acts. Histories recorded before this
# check replay without it; a running case takes it from its first timer after the upgrade.
REPLAN_WHEN_TIMER_FIRES = "replan-when-a-timer-fires-on-an-older-calendar"
# workflow.patched() id: an escalation is sent once per passing of a due date. A re-plan that leaves the
# deadline passed gives its due/serious events new keys; before this they fired again at once.
ESCALATE_ONCE_PER_PASSING = "escalate-once-per-passing-of-a-due-date"


class DeadlineClock:
    """One deadline of a case as durable timers. `on_event` decides what a reminder/due/escalation does."""

    def __init__(self, case: CaseRef, spec: DeadlineSpec, binds: str, reminders: Reminders | None,
                 on_event: EventHandler, notifier: Notifier) -> None:
        self.case = case
        self.spec = spec
        self.binds = binds
        self.reminders = reminders
        self.on_event = on_event
        self.notifier = notifier
        self.plan: Plan | None = None
        self.receipt_zh = ""  # the plan's 时限说明, kept as text: the receipt's day lists are not held in memory
        self.closed = False
        self._dirty = False
        self._fired: set[str] = set()
        self._planned_at = workflow.now()
        self._task: asyncio.Task[None] | None = None
        # escalation kinds (due, serious) sent since the due date last passed; cleared when it lies ahead again
        self._escalated: set[str] = set()
        # (old, new) due date of a re-plan that moved a date which had passed; the case notes it in its history
        self.passed_move: tuple[date, date] | None = None

    def _hold(self, plan: Plan) -> Plan:
        """What the workflow keeps of a plan: its dates, events and the receipt's text and calendar version; the
        receipt's lists of skipped, assumed and provisional days (the bulk of it) stay in the deadline's row."""
        receipt = plan.deadline.receipt
        self.receipt_zh = receipt.summary_zh()
        slim = receipt.model_copy(update={"skipped": [], "assumed": [], "provisional_days": [], "pauses": [],
                                          "extensions": []})
        return plan.model_copy(update={"deadline": plan.deadline.model_copy(update={"receipt": slim}),
                                       "notices": []})

    @property
    def paused(self) -> bool:
        return self.spec.paused

    def is_current(self, event: ScheduledEvent) -> bool:
        """False for an event of an older plan (the deadline moved) or of a closed clock."""
        return not self.closed and self.plan is not None and any(e.key == event.key for e in self.plan.events)

    @property
    def overdue(self) -> bool:
        return self.plan is not None and not self.plan.paused and self.plan.deadline.due_at < workflow.now()

    @property
    def extensions_used(self) -> int:
        return len(self.spec.extensions)

    async def start(self) -> None:
        if self.notifier.step is not None:  # planned by the step's activity (CaseJournal.step)
            self.notifier.step.clocks.append(self)
            return
        await self._project()
        self._task = asyncio.create_task(self._run())

    def plan_request(self) -> PlanRequest:
        self._planned_at = workflow.now()
        return PlanRequest(case=self.case, spec=self.spec, binds=self.binds, reminders=self.reminders,
                           at=self._planned_at)

    def planned(self, plan: Plan) -> None:
        """The step that started this clock has written its plan: its timers run from here."""
        self.plan = self._hold(plan)
        self._dirty = True
        self._task = asyncio.create_task(self._run())

    def replanned(self, plan: Plan) -> None:
        """A calendar wake-up carried the new plan (read from the row the change wrote): no activity needed."""
        before = self.plan
        self._planned_at = workflow.now()
        self.plan = self._hold(plan)
        self._dirty = True
        if before is not None and self._escalated:
            self._after_replan(before)
        self.passed_move = None  # a calendar move: the calendar batch has noted it

    async def _project(self) -> None:
        self._planned_at = workflow.now()
        before = self.plan
        plan = await workflow.execute_activity(
            plan_deadline,
            PlanRequest(case=self.case, spec=self.spec, binds=self.binds, reminders=self.reminders,
                        at=self._planned_at),
            **DB_ACTIVITY,
        )
        self.plan = self._hold(plan)
        self.notifier.deliver(plan.notices)
        self._dirty = True
        if before is not None and self._escalated and workflow.patched(ESCALATE_ONCE_PER_PASSING):
            self._after_replan(before)

    def _after_replan(self, before: Plan) -> None:
        """A due date that had passed (and was escalated) moved. Lying ahead now, it escalates again when it
        passes; still passed, the new plan's due and 严重逾期 events of a kind already sent are not news: they
        are marked sent instead of repeating what the case was told (daily digests go on)."""
        assert self.plan is not None
        old, new = before.deadline.due_date, self.plan.deadline.due_date
        if old != new:
            self.passed_move = (old, new)
        if self.plan.paused or self.plan.deadline.due_at > self._planned_at:
            self._escalated.clear()
            return
        for event in self.plan.events:
            if event.kind in self._escalated:
                self._fired.add(event.key)

    async def pause(self, reason: str) -> None:
        self.spec.pauses.append(Pause(reason=reason, paused_on=today_local()))
        await self._project()

    async def resume(self) -> None:
        last = self.spec.pauses[-1]
        self.spec.pauses[-1] = last.model_copy(update={"resumed_on": today_local()})
        await self._project()

    async def extend(self, working_days: int, reason: str, by: str) -> None:
        self.spec.extensions.append(
            Extension(reason=reason, working_days=working_days, approved_by=by, approved_on=today_local()))
        await self._project()

    async def recount(self, count: int, basis: str) -> None:
        """The same period from the same start, of a new length (建议提案: 3 → 6 months, approved)."""
        self.spec = self.spec.model_copy(update={"count": count, "basis": basis})
        await self._project()

    async def move_to(self, fixed_due: date) -> None:
        self.spec = self.spec.model_copy(update={"fixed_due": fixed_due})
        await self._project()

    async def reproject(self) -> None:
        """Calendar changed: project the same spec on the newest calendar version (the calendar batch writes
        the move into the case's history, so it is not noted again)."""
        await self._project()
        self.passed_move = None

    async def close(self, status: DeadlineState) -> None:
        if self.closed:
            return
        self.closed = True
        step = self.notifier.step
        if step is not None and step.closes_deadlines:  # written with the step (CaseJournal.step)
            step.closes.append(DeadlineStatus(case=self.case, key=self.spec.key, status=status))
            return
        await workflow.execute_activity(
            set_deadline_status, DeadlineStatus(case=self.case, key=self.spec.key, status=status), **DB_ACTIVITY)

    def _next_event(self) -> ScheduledEvent | None:
        if self.plan is None or self.plan.paused:
            return None
        for event in sorted(self.plan.events, key=lambda e: e.at):
            if event.key in self._fired:
                continue
            if event.kind in ("reminder", "digest") and event.at < self._planned_at:
                continue  # stale when planned: never send a reminder late
            return event
        return None

    async def _run(self) -> None:
        while not self.closed:
            self._dirty = False
            event = self._next_event()
            if event is None:
                await workflow.wait_condition(lambda: self.closed or self._dirty)
                continue
            delay = (event.at - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(lambda: self.closed or self._dirty, timeout=delay)
                    continue
                except TimeoutError:
                    pass
            if self.closed or self._dirty:
                continue
            if (workflow.patched(ONE_STEP) or workflow.patched(REPLAN_WHEN_TIMER_FIRES)) \
                    and await self._replanned_on_newer_calendar(event):
                continue
            if self.closed or self._dirty:
                continue
            self._fired.add(event.key)
            if event.kind in ("due", "serious"):
                self._escalated.add(event.kind)
            await self.on_event(self, event)

    async def _replanned_on_newer_calendar(self, event: ScheduledEvent) -> bool:
        """A calendar change that only postponed this deadline did not wake the case: the timer of the old
        plan fires, finds a newer calendar version and re-plans. An event the new plan keeps at the same
        instant still fires (the loop picks it again), one it moved waits for its new instant."""
        if workflow.patched(ONE_STEP):  # a read, safe to repeat: no task, no activity of its own
            newest = await workflow.execute_local_activity(newest_calendar_version, **DB_LOCAL_ACTIVITY)
        else:
            newest = await workflow.execute_activity(newest_calendar_version, **DB_ACTIVITY)
        if self.plan is None or newest <= self.plan.deadline.receipt.calendar_version:
            return False
        await self._project()
        self.passed_move = None  # a calendar move: the calendar batch has noted it
        self._planned_at = min(self._planned_at, event.at)  # not stale: this instant has just come
        return True
