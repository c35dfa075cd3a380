"""What a step costs the engine, counted from the case's history (behaviour, not timing): one activity writes a
step, one more sends its due notices (workflows.common.ONE_STEP). README: "What a step costs"."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from domain.messages import (
    ExplanationIn,
    FulfilmentReport,
    RectificationIn,
    RectificationVerdict,
    RepairDecision,
    RepairRequest,
)
from tests.workflows.harness import CREDIT, DEPT, deadline, eventually, harness_at, local, outbox
from tests.workflows.test_calendar_change import change_calendar, reported
from workflows.commitment import CommitmentWorkflow
from workflows.record import RecordWorkflow

E = EventType


@dataclass(frozen=True)
class Cost:
    tasks: int
    activities: int
    events: int


def cost(events: list[HistoryEvent]) -> Cost:
    return Cost(tasks=sum(e.event_type == E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED for e in events),
                activities=sum(e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events),
                events=len(events))


async def settled(handle: WorkflowHandle) -> list[HistoryEvent]:
    """The history once the case waits again (its last task completed, nothing scheduled or running)."""
    previous = -1
    for _ in range(200):
        events = list((await handle.fetch_history()).events)
        open_activities = {e.event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED} - {
            e.activity_task_completed_event_attributes.scheduled_event_id for e in events
            if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED}
        waiting = events[-1].event_type in (E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, E.EVENT_TYPE_TIMER_STARTED)
        if waiting and not open_activities and len(events) == previous:
            return events
        previous = len(events)
        await asyncio.sleep(0.1)
    raise AssertionError("the case did not settle")


async def test_creation_to_published_and_planned_then_a_reminder_then_a_report(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13), milestones=[("材料齐全", date(2026, 10, 9))])
        await eventually(lambda: sum(r.status == "sent" for r in outbox(cid)) == 2)
        created = await settled(handle)
        assert deadline(cid, "due").status == "open" and deadline(cid, "milestone-1").status == "open"
        # created + receipt + published + its notice + both deadlines planned: one step, one send (was 7/8/47
        # without the milestone); 20 events with the milestone's timer
        assert cost(created) == Cost(tasks=3, activities=2, events=20)

        await h.sleep_until(local(2026, 9, 30, 12))  # the milestone's first reminder (3 working days before)
        reminded = await settled(handle)
        reminder = cost(reminded[len(created):])
        assert reminder == Cost(tasks=3, activities=2, events=18)  # was 4/3/23
        assert [r.status for r in outbox(cid, "deadline_reminder")] == ["sent"]

        await handle.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r"))
        reported = await settled(handle)
        report = cost(reported[len(reminded):])
        # the update's own task, the step (transition, verification deadline, notice), the send
        assert report == Cost(tasks=3, activities=2, events=18)
        assert deadline(cid, "verification-4").status == "open"


async def test_a_case_woken_by_a_calendar_change_re_plans_from_the_signal_without_an_activity(smtp_sink) -> None:
    async with harness_at(local(2026, 11, 2, 10)) as h:
        cid, handle, key = await reported(h)
        await h.sleep_until(local(2026, 11, 6, 10))  # the 3- and 1-day reminders for 11-09 have gone out
        before = await settled(handle)
        result, _ = await change_calendar(h, date(2026, 11, 7), working=True)  # its deadline comes forward
        assert result.woken == 1
        woken = await settled(handle)
        wake = cost(woken[len(before):])
        assert (wake.tasks, wake.activities) == (1, 0)  # the signal carried the plan (was 2 tasks, 1 activity)
        assert any(e.event_type == E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in woken[len(before):])
        assert deadline(cid, key).due_at == local(2026, 11, 7, 23, 59, 59)


async def test_a_record_published_rectified_and_repaired_costs_one_activity_per_step(smtp_sink) -> None:
    """A record's steps (workflows.common.ONE_STEP_EVERYWHERE): each is written by one activity, its notices sent
    by one more, its closed deadlines set in the same transaction."""
    async with harness_at(local(2026, 5, 6, 10)) as h:
        rid, handle = await h.record("general", date(2026, 1, 5), rectification_due=date(2026, 6, 30))
        await eventually(lambda: bool(outbox(rid, case_type="record")))
        history = await settled(handle)
        costs = {"published": cost(history)}
        assert deadline(rid, "explanation", "record").status == "open"
        steps = [
            ("explained", RecordWorkflow.explain, ExplanationIn(actor=DEPT, explanation="e")),
            ("rectification submitted", RecordWorkflow.submit_rectification,
             RectificationIn(actor=DEPT, description="d")),
            ("rectified", RecordWorkflow.verify_rectification, RectificationVerdict(actor=CREDIT, accepted=True)),
            ("repair requested", RecordWorkflow.request_repair, RepairRequest(actor=DEPT, commitment_letter="l")),
            ("repaired", RecordWorkflow.decide_repair, RepairDecision(actor=CREDIT, approved=True)),
        ]
        for name, update, req in steps:
            await handle.execute_update(update, req)
            before = len(history)
            if name == "repaired":
                assert await handle.result() == "repaired"
                history = list((await handle.fetch_history()).events)
            else:
                history = await settled(handle)
            costs[name] = cost(history[before:])
        assert deadline(rid, "explanation", "record").status == "met"
        assert deadline(rid, "rectification-2", "record").status == "met"
        # each step: the update's (or the run's) task, the step's activity, the send; one activity per write
        # before (published 11/10/71, explained 7/6/42, rectified 8/7/49, repaired 8/8/53)
        assert costs == {"published": Cost(tasks=3, activities=2, events=21),
                         "explained": Cost(tasks=3, activities=2, events=18),
                         "rectification submitted": Cost(tasks=3, activities=2, events=18),
                         "rectified": Cost(tasks=3, activities=2, events=19),
                         "repair requested": Cost(tasks=3, activities=2, events=18),
                         "repaired": Cost(tasks=3, activities=2, events=20)}
