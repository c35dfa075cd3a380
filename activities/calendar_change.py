"""A calendar change, re-planned in one batch: every open deadline is projected on the new version in
one transaction (row, receipt, a logged move on each case, one digest per party), and only the cases
that must move a timer earlier are woken, by the change workflow, the day before that timer's new
instant. The rest re-plan themselves when their pending timer fires (`domain.deadlines.replan` says
which is which, and when). Clock-free: the workflow passes the instant."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime

from sqlmodel import col, select
from temporalio import activity
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.followers import queue_follower_mail
from activities.notify import queue_notice_sync
from domain.calendar import Deadline
from domain.deadlines import DeadlineSpec, project, replan, schedule
from domain.events import Event
from domain.messages import (
    CASE_TYPE_ZH,
    SYSTEM,
    CalendarReplanRequest,
    CalendarReplanResult,
    CalendarWake,
    CaseRef,
    NoticeRequest,
    Plan,
    QueuedNotice,
    Transition,
    WakeGroup,
)
from domain.profiles import Reminders
from store.audit_chain import append_audit
from store.calendars import latest_version, load_calendar
from store.db import session_scope
from store.models import AuditEvent, DeadlineRow

WAKE_CONCURRENCY = 64  # signals in flight at once
WAKE_BACKLOG = 256  # woken cases' workflow tasks the queue may hold before the waker waits for the workers
WAKE_WAIT_SECONDS = 10.0  # the longest it waits before a group, however full the queue says it is


@activity.defn
def newest_calendar_version() -> int:
    """A case's pending timer fired: has the calendar changed since its plan was made?"""
    with session_scope() as session:
        return latest_version(session)


@activity.defn
def replan_open_deadlines(req: CalendarReplanRequest) -> CalendarReplanResult:
    """Idempotent: a retry finds the rows already on the version and the audit keys already written."""
    moved_by_party: dict[str, list[dict[str, object]]] = defaultdict(list)
    moved_events: list[Transition] = []  # each one a public change: the case's followers are told
    wake: dict[str, tuple[datetime, datetime]] = {}  # workflow id → (wake at, its next event)
    with session_scope() as session:
        after_cal = load_calendar(session, req.version)
        rows = session.exec(select(DeadlineRow).where(col(DeadlineRow.status).in_(["open", "paused"]),
                                                      col(DeadlineRow.calendar_version) < req.version)).all()
        logged = set(session.exec(select(AuditEvent.case_type, AuditEvent.case_id, AuditEvent.event_key).where(
            col(AuditEvent.event_key).startswith(f"calendar-{req.version}:"))).all())
        for row in rows:
            spec = DeadlineSpec.model_validate(row.spec)
            reminders = Reminders.model_validate(row.reminders) if row.reminders else None
            r = replan(spec, reminders, load_calendar(session, row.calendar_version), after_cal, req.at,
                       reminders_known=row.reminders is not None)
            row.due_at = r.after.due_at
            row.provisional = r.after.provisional
            row.receipt = r.after.receipt.model_dump(mode="json")
            row.calendar_version = req.version
            session.add(row)
            wid = f"{row.case_type}-{row.case_id}"
            if r.wake_at is not None:
                when = (r.wake_at, r.next_event_at or req.at)
                wake[wid] = min(wake.get(wid, when), when)  # a case with several clocks: its most urgent one
            if not r.moved:
                continue
            reason = moved_reason(row.label, r.before, r.after)
            key = f"calendar-{req.version}:{row.key}"
            moved_events.append(Transition(
                case=CaseRef(case_type=row.case_type, case_id=row.case_id), event_key=key,
                action=Event.deadline_moved.value, from_state=None, to_state=None, actor=SYSTEM, reason=reason,
                at=req.at))
            if (row.case_type, row.case_id, key) not in logged:
                append_audit(session, AuditEvent(case_type=row.case_type, case_id=row.case_id, event_key=key,
                                       action=Event.deadline_moved.value, actor=SYSTEM.username, role=SYSTEM.role,
                                       reason=reason, at=req.at,
                                       data={"deadline": row.key, "from": str(r.before.due_date),
                                             "to": str(r.after.due_date), "calendar_version": req.version}))
            moved_by_party[row.binds].append({
                "case_type": row.case_type, "case_type_zh": CASE_TYPE_ZH.get(row.case_type, row.case_type),
                "case_id": row.case_id, "label": row.label, "from": str(r.before.due_date),
                "to": str(r.after.due_date), "provisional": r.after.provisional})
        reprojected = len(rows)
    notices: list[QueuedNotice] = []
    for party, items in moved_by_party.items():
        items.sort(key=lambda i: (str(i["to"]), str(i["case_type"]), int(str(i["case_id"]))))
        notices += queue_notice_sync(NoticeRequest(
            case=CaseRef(case_type="system", case_id=req.version),
            event_key=f"calendar-{req.version}:deadlines-moved:{party}", template="deadlines_moved",
            recipients=[party], at=req.at,
            context={"version": req.version, "items": items, "count": len(items)}))
    for t in moved_events:
        notices += queue_follower_mail(t)
    return CalendarReplanResult(version=req.version, reprojected=reprojected,
                                moved=sum(len(i) for i in moved_by_party.values()),
                                wake=wake_groups(wake), notices=notices)


def wake_groups(wake: dict[str, tuple[datetime, datetime]]) -> list[WakeGroup]:
    """One group per wake instant, in order; inside a group the case with the nearest event goes first."""
    groups: dict[datetime, list[str]] = defaultdict(list)
    for wid in sorted(wake, key=lambda w: (wake[w][1], w)):
        groups[wake[wid][0]].append(wid)
    return [WakeGroup(at=at, workflow_ids=ids) for at, ids in sorted(groups.items())]


def moved_reason(label: str, before: Deadline, after: Deadline) -> str:
    """What the case history says: a new date, or the same date no longer (or now) 暂定."""
    if before.due_date != after.due_date:
        still = "（暂定）" if after.provisional else ""
        return f"{label}因节假日安排调整由 {before.due_date} 改为 {after.due_date}{still}"
    if after.provisional:
        return f"{label}到期日 {after.due_date} 因节假日安排调整改为暂定"
    return f"{label}到期日 {after.due_date} 已按录入的节假日安排确认，不再暂定"


async def queue_backlog(client: Client, task_queue: str,
                        kind: TaskQueueType.ValueType = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) -> int:
    """The server's approximate count of tasks of one kind waiting on a queue (it converges after a moment)."""
    response = await client.workflow_service.describe_task_queue(DescribeTaskQueueRequest(
        namespace=client.namespace, task_queue=TaskQueue(name=task_queue), task_queue_type=kind, report_stats=True))
    return int(response.stats.approximate_backlog_count)


class CaseWaker:
    """Holds the worker's Temporal client: waking a case is a signal, an outside effect like any other.

    The cases' task queue is kept below `backlog` waiting workflow tasks (0: no bound): 10,000 signals sent at
    once put every woken case in the queue ahead of a clerk's next action, and the server spends more on a
    queue it has to keep on disk (measured in bench/open_cases.py)."""

    def __init__(self, client: Client, task_queue: str | None = None, backlog: int = WAKE_BACKLOG) -> None:
        self.client = client
        self.task_queue = task_queue
        self.backlog = backlog

    async def _room(self, done: int) -> None:
        """Wait, heartbeating, while the cases' queue holds `backlog` workflow tasks or more, for at most
        WAKE_WAIT_SECONDS: the count is approximate (it may count expired tasks for a while), and a wake-up held
        back by a wrong count would miss the reminders it moves, so pacing never stops it."""
        if not self.task_queue:
            return
        for _ in range(int(WAKE_WAIT_SECONDS / 0.2)):
            if not self.backlog or await self._waiting() < self.backlog:
                return
            activity.heartbeat(done)
            await asyncio.sleep(0.2)

    async def _waiting(self) -> int:
        """The queue's waiting workflow tasks; 0, and no bound from now on, from a server that cannot tell (the
        time-skipping test server)."""
        try:
            return await queue_backlog(self.client, self.task_queue or "")
        except RPCError as err:
            if err.status != RPCStatusCode.UNIMPLEMENTED:
                raise
            self.backlog = 0
            return 0

    @activity.defn(name="wake_cases")
    async def wake_cases(self, workflow_ids: list[str]) -> int:
        """Signal each case to re-plan now, with its new plans, WAKE_CONCURRENCY at a time. Idempotent (a case
        re-plans to the same result); a case that ended meanwhile has nothing to move. Each finished group is
        heartbeated, so a retry resumes after it instead of starting over."""
        # Imported here, not at the top: workflows.common imports this module's activities (passed through
        # to the sandbox), and workflows.case imports workflows.common, so a top-level import would be a cycle.
        from workflows.case import CaseWorkflow

        details = activity.info().heartbeat_details
        done = int(details[0]) if details else 0
        woken = 0

        async def wake(wid: str, plans: CalendarWake) -> bool:
            try:
                await self.client.get_workflow_handle(wid).signal(CaseWorkflow.calendar_changed, plans)
                return True
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
                return False

        for start in range(done, len(workflow_ids), WAKE_CONCURRENCY):
            await self._room(start)
            group = workflow_ids[start:start + WAKE_CONCURRENCY]
            plans = await asyncio.to_thread(new_plans, group)
            woken += sum(await asyncio.gather(*(wake(w, plans.get(w, CalendarWake())) for w in group)))
            activity.heartbeat(start + len(group))
        return woken


def new_plans(workflow_ids: list[str]) -> dict[str, CalendarWake]:
    """The plans of the woken cases' open deadlines on the newest calendar, from their rows (which the batch
    has brought to it): a woken case re-plans from its signal, without an activity of its own."""
    wanted = set(workflow_ids)
    ids = {int(w.rsplit("-", 1)[1]) for w in workflow_ids if w.rsplit("-", 1)[-1].isdigit()}
    out: dict[str, CalendarWake] = {}
    with session_scope() as session:
        cal = load_calendar(session)
        rows = session.exec(select(DeadlineRow).where(col(DeadlineRow.status).in_(["open", "paused"]),
                                                      col(DeadlineRow.case_id).in_(ids))).all()
        for row in rows:
            wid = f"{row.case_type}-{row.case_id}"
            if wid not in wanted:
                continue
            spec = DeadlineSpec.model_validate(row.spec)
            reminders = Reminders.model_validate(row.reminders) if row.reminders else None
            deadline = project(spec, cal)
            events = [] if spec.paused else schedule(deadline, reminders, cal)
            out.setdefault(wid, CalendarWake()).plans[row.key] = Plan(deadline=deadline, events=events,
                                                                      paused=spec.paused)
    return out
