"""A calendar change on the time-skipping server (../shared/spec/processes.md §1): every open deadline is re-planned
in one batch (moved on the case page, logged, its party told once), and the case's timers follow —
at the old timer when the change only postponed it; when an event moved earlier, at midnight of the
day before that event (at once if that has passed)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime

from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment

from activities.calendar_change import WAKE_CONCURRENCY, CaseWaker
from domain.calendar import TZ
from domain.messages import CalendarChangeProgress, FulfilmentReport
from store.calendars import add_override
from store.db import session_scope
from store.models import DeadlineRow
from tests.workflows.harness import DEPT, Harness, audit, deadline, eventually, harness_at, local, outbox, settled
from workflows.calendar_change import CalendarChangeWorkflow, calendar_change_id
from workflows.commitment import CommitmentWorkflow

CREDIT_OFFICE = "xyb@test.local"


async def reported(h: Harness) -> tuple[int, WorkflowHandle, str]:
    """A commitment whose fulfilment was reported now: the credit office has 5 working days to verify."""
    cid, handle = await h.commitment(date(2026, 11, 30))
    await handle.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="已办结"))
    with session_scope() as session:
        key = session.exec(select(DeadlineRow.key).where(DeadlineRow.case_id == cid,
                                                         col(DeadlineRow.key).startswith("verification"))).one()
    return cid, handle, key


async def change_calendar(h: Harness, day: date, working: bool) -> tuple[CalendarChangeProgress, WorkflowHandle]:
    """Save the change and start its run; return once the batch is done and every case due to be woken now
    has been signalled (later wake-ups wait on the run's timers)."""
    with session_scope() as session:
        version = add_override(session, day, working, "测试：日历调整", "admin", datetime.now(UTC)).id or 0
    handle = await h.env.client.start_workflow(CalendarChangeWorkflow.run, version, id=calendar_change_id(version),
                                               task_queue=h.task_queue)
    now = await h.now()
    with h.env.auto_time_skipping_disabled():
        for _ in range(150):
            p = await handle.query(CalendarChangeWorkflow.progress)
            if p.replanned and (p.next_wake_at is None or p.next_wake_at > now):
                return p, handle
            await asyncio.sleep(0.1)
    raise AssertionError(f"calendar change {version} did not settle: {p}")


def verification_reminder_days(cid: int) -> list[date]:
    return [r.deliver_at.astimezone(TZ).date() for r in outbox(cid, "deadline_reminder")
            if r.recipient == CREDIT_OFFICE]


def escalated(cid: int) -> list[str]:
    return [e.action for e in audit(cid) if e.action.startswith("escalation") and
            str((e.data or {}).get("deadline", "")).startswith("verification")]


async def signals(handle: WorkflowHandle) -> int:
    history = await handle.fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in history.events)


async def test_a_postponing_holiday_moves_the_deadline_at_once_and_its_timers_without_waking_the_case(
        smtp_sink) -> None:
    async with harness_at(local(2026, 11, 2, 10)) as h:  # Monday
        cid, handle, key = await reported(h)
        assert deadline(cid, key).due_at == local(2026, 11, 9, 23, 59, 59)  # 5 WD: 11-03 … 11-09
        result, _ = await change_calendar(h, date(2026, 11, 5), working=False)  # Thursday becomes a holiday
        assert (result.reprojected, result.moved) == (2, 1)  # the 11-30 due date does not move
        assert (result.woken, result.waiting) == (0, 0)
        row = deadline(cid, key)
        assert row.due_at == local(2026, 11, 10, 23, 59, 59) and row.receipt["calendar_version"] == result.version
        moved = [e for e in audit(cid) if e.action == "deadline_moved"]
        assert len(moved) == 1 and "2026-11-09 改为 2026-11-10" in (moved[0].reason or "")
        await smtp_sink.wait_for(lambda m: CREDIT_OFFICE in str(m["To"]) and "节假日安排调整" in str(m["Subject"]))

        await h.sleep_until(local(2026, 11, 10, 12))
        # the old plan's timer fired on 11-04 08:30, found the new calendar and re-planned: 3 and 1 working
        # days before 11-10 (11-05 is a holiday) and the day itself; nothing on the old 11-06, no 逾期 on 11-10
        assert verification_reminder_days(cid) == [date(2026, 11, 4), date(2026, 11, 9), date(2026, 11, 10)]
        assert escalated(cid) == [] and await signals(handle) == 0
        await h.sleep_until(local(2026, 11, 11, 9))
        assert escalated(cid) == ["escalation_due"]
        assert sum("节假日安排调整" in s for s in smtp_sink.subjects(CREDIT_OFFICE)) == 1


async def test_an_adjusted_working_day_that_brings_the_deadline_forward_wakes_the_case(smtp_sink) -> None:
    async with harness_at(local(2026, 11, 2, 10)) as h:
        cid, handle, key = await reported(h)
        await h.sleep_until(local(2026, 11, 6, 10))  # the 3- and 1-day reminders for 11-09 have gone out
        result, _ = await change_calendar(h, date(2026, 11, 7), working=True)  # Saturday becomes a working day
        assert (result.woken, result.waiting) == (1, 0)  # its new reminder is tomorrow 08:30: woken at once
        assert deadline(cid, key).due_at == local(2026, 11, 7, 23, 59, 59)
        await h.sleep_until(local(2026, 11, 7, 12))
        assert await signals(handle) == 1
        # the case waited for 11-09 08:30; woken, it reminds on the new due day and is late after it
        assert verification_reminder_days(cid) == [date(2026, 11, 4), date(2026, 11, 6), date(2026, 11, 7)]
        assert escalated(cid) == []
        await h.sleep_until(local(2026, 11, 8, 9))
        assert escalated(cid) == ["escalation_due"]


async def test_an_event_moved_earlier_weeks_ahead_wakes_the_case_the_midnight_before_it(smtp_sink) -> None:
    async with harness_at(local(2026, 11, 2, 10)) as h:
        cid, handle = await h.commitment(date(2026, 11, 30))  # Monday; reminders 11-25, 11-27, 11-30
        await eventually(lambda: _has_due(cid))  # published, its due date planned
        result, run = await change_calendar(h, date(2026, 11, 26), working=False)  # Thursday becomes a holiday
        # the due date stays as promised, the 3-day reminder moves from 11-25 to 11-24: weeks ahead
        assert (result.moved, result.woken, result.waiting) == (0, 0, 1)
        assert result.next_wake_at == local(2026, 11, 23, 0, 0)
        assert await signals(handle) == 0
        await h.sleep_until(local(2026, 11, 23, 12))
        assert await signals(handle) == 1
        assert (await run.query(CalendarChangeWorkflow.progress)).woken == 1
        await h.sleep_until(local(2026, 11, 30, 12))
        days = [r.deliver_at.astimezone(TZ).date() for r in outbox(cid, "deadline_reminder")]
        assert days == [date(2026, 11, 24), date(2026, 11, 27), date(2026, 11, 30)]
        assert (await h.ended(run)).wake[0].workflow_ids == [f"commitment-{cid}"]  # type: ignore[attr-defined]


def _has_due(cid: int) -> bool:
    with session_scope() as session:
        return session.exec(select(DeadlineRow).where(DeadlineRow.case_id == cid, DeadlineRow.key == "due")).first() \
            is not None


async def test_waking_resumes_after_the_last_heartbeated_group_on_retry(smtp_sink) -> None:
    async with harness_at(local(2026, 11, 2, 10)) as h:
        cases = [await h.commitment(date(2026, 11, 30), title=f"承诺 {i}") for i in range(3)]
        for _, handle in cases:  # a signal sent during a case's first task would be written only after it
            await settled(handle)
        ids = [f"commitment-{cid}" for cid, _ in cases] + [f"commitment-gone-{i}" for i in range(WAKE_CONCURRENCY)]
        beats: list[int] = []
        env = ActivityEnvironment()
        env.on_heartbeat = lambda *d: beats.append(d[0])
        assert await env.run(CaseWaker(h.env.client).wake_cases, ids) == 3  # unknown ids: nothing to wake
        assert beats == [WAKE_CONCURRENCY, len(ids)]
        # a retry after the first group was heartbeated signals only the rest
        beats.clear()
        env.info = dataclasses.replace(env.info, heartbeat_details=[WAKE_CONCURRENCY])
        assert await env.run(CaseWaker(h.env.client).wake_cases, ids) == 0  # the rest: unknown ids only
        assert beats == [len(ids)]
        assert [await signals(handle) for _, handle in cases] == [1, 1, 1]
