"""The worker: registers every workflow and activity on the task queue. `python -m activities.worker`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import PollerBehaviorSimpleMaximum, UnsandboxedWorkflowRunner, Worker, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.audit_checkpoint import write_audit_checkpoint
from activities.calendar_change import CaseWaker, newest_calendar_version, replan_open_deadlines
from activities.commitment_status import commitment_facts
from activities.deadlines import plan_deadline, set_deadline_status
from activities.followers import mail_followers
from activities.integrity_report import open_integrity_reports, queue_consolidated_reports
from activities.motion import PromiseStarter, open_promise_commitment
from activities.notify import queue_failure_alert, queue_notice, send_notice
from activities.push import DeliveryStarter, mark_delivery_overdue, push_delivery
from activities.record import objections_open_on, open_breach_record, open_complaint_record
from activities.report import first_working_day_after, queue_quarterly_report
from activities.step import STEP_ACTIVITIES
from activities.transitions import apply_transition
from domain.audit_messages import AuditCheckpointRun
from domain.keycheck import InsecureSecretKey, require_secret_key
from domain.messages import IntegrityOpenRun, ReportRun
from domain.settings import get_settings
from store.db import ACTIVITY_THREADS
from workflows.audit_checkpoint import AuditCheckpointWorkflow
from workflows.calendar_change import CalendarChangeWorkflow
from workflows.commitment import CommitmentWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.delivery import DeliveryWorkflow
from workflows.integrity_report import IntegrityReportOpenerWorkflow, IntegrityReportWorkflow
from workflows.motion import MotionWorkflow
from workflows.objection import ObjectionWorkflow
from workflows.record import RecordWorkflow
from workflows.report import QuarterlyReportWorkflow

WORKFLOWS = [CommitmentWorkflow, RecordWorkflow, ObjectionWorkflow, ComplaintWorkflow, MotionWorkflow,
             QuarterlyReportWorkflow, CalendarChangeWorkflow, IntegrityReportWorkflow, IntegrityReportOpenerWorkflow,
             DeliveryWorkflow, AuditCheckpointWorkflow]
ACTIVITIES: list[Callable[..., Any]] = [
    apply_transition, plan_deadline, set_deadline_status, queue_notice, send_notice, queue_failure_alert,
    open_breach_record, open_complaint_record, objections_open_on, first_working_day_after, queue_quarterly_report,
    newest_calendar_version, replan_open_deadlines, commitment_facts, mail_followers, open_promise_commitment,
    open_integrity_reports, queue_consolidated_reports, push_delivery, mark_delivery_overdue, write_audit_checkpoint,
    *STEP_ACTIVITIES,
]
REPORT_SCHEDULE_ID = "quarterly-report"
INTEGRITY_SCHEDULE_ID = "integrity-report-opener"
AUDIT_SCHEDULE_ID = "audit-checkpoint"
# Our own packages, imported once for the whole worker under the `passthrough` runner instead of once per workflow
# run: workflows and domain are pure, activities and store are only referenced from workflow code, never run there.
PASSTHROUGH_MODULES = ("domain", "workflows", "activities", "store")
RUNNERS = ("sandboxed", "passthrough", "unsandboxed")


def workflow_runner(kind: str | None = None) -> WorkflowRunner:
    """The runner of WORKFLOW_RUNNER (or `kind`). The sandbox re-imports the workflow modules for every run it
    starts (every case, and every replay after a cache eviction); README "The worker's cost" has the figures
    behind the default. Unsandboxed, the golden-history replay tests (tests/replay) are what catches a
    non-deterministic change; they replay under all three runners."""
    kind = kind or get_settings().workflow_runner
    if kind == "sandboxed":
        return SandboxedWorkflowRunner()
    if kind == "passthrough":
        return SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES))
    if kind == "unsandboxed":
        return UnsandboxedWorkflowRunner()
    raise ValueError(f"WORKFLOW_RUNNER must be one of {', '.join(RUNNERS)}, not {kind!r}")


async def connect_client() -> Client:
    s = get_settings()
    return await Client.connect(s.temporal_address, namespace=s.temporal_namespace,
                                data_converter=pydantic_data_converter)


def build_worker(client: Client, task_queue: str | None = None, **options: object) -> Worker:
    """The worker of every process; `options` go to temporalio's Worker and win over the settings' runner and
    cache size (tests pass their interceptors, benchmarks a runner)."""
    settings = get_settings()
    options.setdefault("workflow_runner", workflow_runner(settings.workflow_runner))
    options.setdefault("max_cached_workflows", settings.max_cached_workflows)
    options.setdefault("workflow_task_poller_behavior", PollerBehaviorSimpleMaximum(settings.workflow_task_pollers))
    options.setdefault("nonsticky_to_sticky_poll_ratio", settings.nonsticky_to_sticky_poll_ratio)
    queue = task_queue or settings.task_queue
    return Worker(
        client,
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=[*ACTIVITIES, CaseWaker(client, queue).wake_cases, PromiseStarter(client).start_promise_commitment,
                    DeliveryStarter(client).queue_deliveries],
        activity_executor=ThreadPoolExecutor(max_workers=ACTIVITY_THREADS),
        # No more activities at once than threads: a queued one would spend its start-to-close time waiting.
        max_concurrent_activities=ACTIVITY_THREADS,
        **options,  # type: ignore[arg-type]
    )


async def ensure_report_schedule(client: Client, task_queue: str | None = None) -> None:
    """The quarterly report's Schedule: 00:05 (Beijing time) on the first day of each quarter. The workflow
    it starts then waits for the first working day. Created once; an existing schedule is left as it is.
    Then the integrity reports' opener (below): every startup that ensures one (the worker, dev/server.py)
    ensures both."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(QuarterlyReportWorkflow.run, ReportRun(), id="quarterly-report-run",
                                           task_queue=task_queue or get_settings().task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(
            month=[ScheduleRange(1), ScheduleRange(4), ScheduleRange(7), ScheduleRange(10)],
            day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(0)], minute=[ScheduleRange(5)])],
            time_zone_name="Asia/Shanghai"),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=30)),
    )
    try:
        await client.create_schedule(REPORT_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        pass
    await ensure_integrity_schedule(client, task_queue)
    await ensure_audit_schedule(client, task_queue)


async def ensure_integrity_schedule(client: Client, task_queue: str | None = None) -> None:
    """The integrity reports' opener: daily at 00:10 (Beijing time), not only at each period's end. Opening
    is idempotent (one row and one workflow id per department and period), so a daily run costs little and
    heals what a run at the period's end alone would miss: a worker down that night, a department added or
    moved to another profile during the period. Created once; an existing schedule is left as it is."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(),
                                           id="integrity-report-opener-run",
                                           task_queue=task_queue or get_settings().task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(0)], minute=[ScheduleRange(10)])],
                          time_zone_name="Asia/Shanghai"),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )
    try:
        await client.create_schedule(INTEGRITY_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        pass


async def ensure_audit_schedule(client: Client, task_queue: str | None = None) -> None:
    """The audit log's daily checkpoint at 00:10 (Beijing time), of the day that has just ended; a missed night
    leaves no row for that day: the next checkpoint covers its rows. Created once; left as it is."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(AuditCheckpointWorkflow.run, AuditCheckpointRun(), id="audit-checkpoint-run",
                                           task_queue=task_queue or get_settings().task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(0)], minute=[ScheduleRange(10)])],
                          time_zone_name="Asia/Shanghai"),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1)),
    )
    try:
        await client.create_schedule(AUDIT_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        pass


async def _main() -> None:
    client = await connect_client()
    await ensure_report_schedule(client)
    await build_worker(client).run()


def main() -> int:
    """The worker's entry point. It signs nothing itself, but it is deployed with the API's configuration:
    refusing a guessable SECRET_KEY here too means a deployment that forgot it stops at once, whichever
    process starts first."""
    try:
        require_secret_key(get_settings())
    except InsecureSecretKey as exc:
        print(f"chengxin worker: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_main())
    return 0


if __name__ == "__main__":
    sys.exit(main())
