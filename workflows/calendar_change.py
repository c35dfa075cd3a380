"""A new calendar version (processes.md §1): re-plan every open deadline in one batch, wake the cases
that must move a timer now (most urgent first), and deliver one digest per party whose deadlines moved.

One run per version (id `calendar-change-{version}`): started by the API or CLI when a version is saved,
durable if the API dies, and safe to start again — the batch skips what is already on the version."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.messages import CalendarReplanRequest, CalendarReplanResult
    from workflows.common import DB_ACTIVITY, Notifier

BATCH_ACTIVITY = {**DB_ACTIVITY, "start_to_close_timeout": timedelta(minutes=10)}  # 10,000s of rows, one transaction
WAKE_ACTIVITY = {**DB_ACTIVITY, "start_to_close_timeout": timedelta(hours=2),  # resumes from its heartbeat
                 "heartbeat_timeout": timedelta(seconds=60)}


def calendar_change_id(version: int) -> str:
    return f"calendar-change-{version}"


@workflow.defn
class CalendarChangeWorkflow:
    @workflow.run
    async def run(self, version: int) -> CalendarReplanResult:
        result: CalendarReplanResult = await workflow.execute_activity(
            "replan_open_deadlines", CalendarReplanRequest(version=version, at=workflow.now()),
            result_type=CalendarReplanResult, **BATCH_ACTIVITY)  # type: ignore[arg-type]
        notifier = Notifier()
        notifier.deliver(result.notices)
        if result.wake:
            await workflow.execute_activity("wake_cases", result.wake, result_type=int, **WAKE_ACTIVITY)  # type: ignore[arg-type]
        await notifier.drain()
        return result
