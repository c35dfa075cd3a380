"""A new calendar version (../shared/spec/processes.md §1): re-plan every open deadline in one batch, deliver one digest
per party whose deadlines moved, and wake each case that must move a timer earlier in time for it.

One run per version (id `calendar-change-{version}`): started by the API or CLI when a version is saved,
durable if the API dies, and safe to start again — the batch skips what is already on the version.
A case whose next event moved earlier is woken at local midnight of the day before it (or at once):
the run holds a durable timer per wake day, so 10,000 cases moved to next month do not all wake now."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar_change import CaseWaker, replan_open_deadlines
    from domain.messages import CalendarChangeProgress, CalendarReplanRequest, CalendarReplanResult
    from workflows.common import DB_ACTIVITY, ActivityOptions, Notifier

# the batch: 10,000s of rows in one transaction
BATCH_ACTIVITY: ActivityOptions = {**DB_ACTIVITY, "start_to_close_timeout": timedelta(minutes=10)}
# waking cases: long, resumes from its heartbeat
WAKE_ACTIVITY: ActivityOptions = {**DB_ACTIVITY, "start_to_close_timeout": timedelta(hours=2),
                                  "heartbeat_timeout": timedelta(seconds=60)}


def calendar_change_id(version: int) -> str:
    return f"calendar-change-{version}"


@workflow.defn
class CalendarChangeWorkflow:
    @workflow.init
    def __init__(self, version: int) -> None:
        self._progress = CalendarChangeProgress(version=version)

    @workflow.run
    async def run(self, version: int) -> CalendarReplanResult:
        result = await workflow.execute_activity(
            replan_open_deadlines, CalendarReplanRequest(version=version, at=workflow.now()), **BATCH_ACTIVITY)
        notifier = Notifier()
        notifier.deliver(result.notices)
        p = self._progress
        p.replanned, p.reprojected, p.moved = True, result.reprojected, result.moved
        p.waiting = sum(len(g.workflow_ids) for g in result.wake)
        for group in result.wake:
            p.next_wake_at = group.at
            wait = (group.at - workflow.now()).total_seconds()
            if wait > 0:
                await workflow.sleep(wait)
            p.woken += await workflow.execute_activity_method(CaseWaker.wake_cases, group.workflow_ids,
                                                              **WAKE_ACTIVITY)
            p.waiting -= len(group.workflow_ids)
        p.next_wake_at = None
        await notifier.drain()
        return result

    @workflow.query
    def progress(self) -> CalendarChangeProgress:
        return self._progress
