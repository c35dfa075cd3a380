"""What a step costs the engine, counted from the case's history (behaviour, not timing): a local activity writes a
step inside the workflow task that collected it (workflows.common.STEP_IN_TASK), one activity sends its due
notices (workflows.common.ONE_STEP). README: "What a step costs"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle

from domain.integrity_report import report_workflow_id
from domain.messages import (
    AcceptanceIn,
    AmendmentDecision,
    AmendmentRequest,
    ApprovalIn,
    DraftIn,
    ExplanationIn,
    ExtensionRequest,
    FeedbackIn,
    FindingIn,
    FulfilmentReport,
    IntegrityOpenRun,
    MotionFeedbackIn,
    MotionPublishIn,
    ObjectionDecisionIn,
    OpinionIn,
    PauseRequest,
    ProgressUpdate,
    RectificationIn,
    RectificationVerdict,
    RepairDecision,
    RepairRequest,
    ReportAcceptance,
    ReportReturn,
    ReportSubmission,
    ResponseIn,
    ResumeRequest,
    ReviewIn,
    TriageIn,
    VerificationDecision,
)
from tests.workflows.harness import CREDIT, DEPT, OTHER_DEPT, deadline, eventually, harness_at, local, outbox, settled
from tests.workflows.test_calendar_change import change_calendar, reported
from tests.workflows.test_motion import COORD, _motion
from workflows.commitment import CommitmentWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.integrity_report import IntegrityReportOpenerWorkflow, IntegrityReportWorkflow
from workflows.motion import MotionWorkflow
from workflows.objection import ObjectionWorkflow
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


async def test_creation_to_published_and_planned_then_a_reminder_then_a_report(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13), milestones=[("材料齐全", date(2026, 10, 9))])
        await eventually(lambda: sum(r.status == "sent" for r in outbox(cid)) == 2)
        created = await settled(handle)
        assert deadline(cid, "due").status == "open" and deadline(cid, "milestone-1").status == "open"
        # created + receipt + published + its notice + both deadlines planned: one step written in the run's first
        # task, one send (was 7/8/47 without the milestone, then 3/2/20 with the step in an activity of its own)
        assert cost(created) == Cost(tasks=2, activities=1, events=17)

        await h.sleep_until(local(2026, 9, 30, 12))  # the milestone's first reminder (3 working days before)
        reminded = await settled(handle)
        reminder = cost(reminded[len(created):])
        # was 4/3/23; + 2 events here: a milestone's event is a step of ONE_STEP_EVERYWHERE, whose first use in a
        # run records its patch marker and the TemporalChangeVersion search attribute
        assert reminder == Cost(tasks=2, activities=1, events=15)  # 3/2/20 with the step in an activity
        assert [r.status for r in outbox(cid, "deadline_reminder")] == ["sent"]

        await handle.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r"))
        reported = await settled(handle)
        report = cost(reported[len(reminded):])
        # the update's own task writes the step (transition, verification deadline, notice); the send (3/2/18 with
        # the step in an activity of its own)
        assert report == Cost(tasks=2, activities=1, events=13)
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


async def test_a_record_published_rectified_and_repaired_costs_one_task_and_one_send_per_step(smtp_sink) -> None:
    """A record's steps (workflows.common.ONE_STEP_EVERYWHERE): each is written by one local activity in the task
    that collected it, its notices sent by one activity, its closed deadlines set in the same transaction."""
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
        # (published 3/2/21, explained 3/2/18 with the step in an activity of its own)
        assert costs == {"published": Cost(tasks=2, activities=1, events=18),
                         "explained": Cost(tasks=2, activities=1, events=13),
                         "rectification submitted": Cost(tasks=2, activities=1, events=13),
                         "rectified": Cost(tasks=2, activities=1, events=14),
                         "repair requested": Cost(tasks=2, activities=1, events=13),
                         "repaired": Cost(tasks=2, activities=1, events=15)}


async def _costs(handle: WorkflowHandle, history: list[HistoryEvent], steps: list[tuple[str, Any, Any]],
                 last_ends: bool = False) -> dict[str, Cost]:
    """The cost of each update, from the history between one settled state and the next."""
    costs = {}
    for i, (name, update, req) in enumerate(steps):
        await handle.execute_update(update, req)
        before = len(history)
        if last_ends and i == len(steps) - 1:
            await handle.result()
            history = list((await handle.fetch_history()).events)
        else:
            history = await settled(handle)
        costs[name] = cost(history[before:])
    return costs


async def test_a_commitments_other_steps_cost_one_task_and_one_send_and_a_re_plan_one_more(smtp_sink) -> None:
    """Progress, amendment, pause, resume, extension and verification (ONE_STEP_EVERYWHERE): the step's writes in
    one local activity; a step that moves a deadline re-plans it in its own activity (the step needs the new plan)."""
    async with harness_at(local(2026, 9, 28, 9)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        history = await settled(handle)
        costs = await _costs(handle, history, [
            ("progress", CommitmentWorkflow.post_progress, ProgressUpdate(actor=DEPT, text="t", percent=10)),
            ("amendment requested", CommitmentWorkflow.request_amendment, AmendmentRequest(
                actor=DEPT, reason_code="public_interest", reason="防汛应急需要调整工期", due_date=date(2026, 11, 30))),
            ("amendment approved", CommitmentWorkflow.decide_amendment, AmendmentDecision(actor=CREDIT, approved=True)),
            ("paused", CommitmentWorkflow.pause, PauseRequest(actor=CREDIT, reason_code="inspection", reason="r")),
            ("resumed", CommitmentWorkflow.resume, ResumeRequest(actor=CREDIT)),
            ("extended", CommitmentWorkflow.extend, ExtensionRequest(actor=CREDIT, working_days=5, reason="r")),
            ("reported", CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r")),
            ("verified", CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True)),
        ], last_ends=True)
        assert deadline(cid, "due").status == "met" and deadline(cid, "verification-9").status == "met"
        # one activity per write before: progress 4/3/27, amendment requested 4/3/23, approved (new due date) 7/6/43,
        # paused and resumed 5/4/30, extended 5/4/31, verified 8/7/50. The first step here records the patch marker.
        # With the step in an activity of its own each cost one task, one activity and five events more.
        assert costs == {"progress": Cost(tasks=1, activities=0, events=8),  # the update's task writes it
                         "amendment requested": Cost(tasks=2, activities=1, events=12),
                         "amendment approved": Cost(tasks=3, activities=2, events=20),  # re-plan, send
                         "paused": Cost(tasks=2, activities=1, events=13),  # re-plan (no notice)
                         "resumed": Cost(tasks=2, activities=1, events=13),
                         "extended": Cost(tasks=2, activities=1, events=14),
                         "reported": Cost(tasks=2, activities=1, events=13),
                         "verified": Cost(tasks=2, activities=1, events=15)}


async def test_an_automatic_breach_is_one_step_beside_opening_its_record(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 20, 23, 0))
        before = await settled(handle)
        assert await handle.result() == "breached"
        breach = cost(list((await handle.fetch_history()).events)[len(before):])
        assert deadline(cid, "due").status == "missed"
        # the grace period's due instant: the step (breach, closed deadlines, notices, record opened), the record's
        # row, the child record's start, the send (one activity per write before: 12 tasks, 11 activities, 79 events;
        # 5/3/32 with the step in an activity of its own)
        assert breach == Cost(tasks=4, activities=2, events=27)


async def test_a_complaint_costs_one_task_and_one_send_per_step(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 21, 10)) as h:
        kid, handle = await h.complaint()
        history = await settled(handle)
        costs = {"submitted": cost(history), **await _costs(handle, history, [
            ("triaged", ComplaintWorkflow.triage, TriageIn(actor=CREDIT)),
            ("responded", ComplaintWorkflow.respond, ResponseIn(actor=DEPT, response="r")),
            ("reviewed", ComplaintWorkflow.review, ReviewIn(actor=CREDIT, substantiated=False, reason="r")),
            ("closed", ComplaintWorkflow.feedback, FeedbackIn(satisfied=True)),
        ], last_ends=True)}
        assert deadline(kid, "complaint_feedback-4", "complaint").status == "closed"
        # one activity per write before: submitted 5/4/29, triaged 8/7/49, responded 6/5/37, reviewed 8/7/49,
        # closed 4/3/25 (each step closes one deadline and opens the next)
        # (3/2/19 each, closed 2/1/13, with the step in an activity of its own)
        assert costs == {"submitted": Cost(tasks=2, activities=1, events=16),
                         "triaged": Cost(tasks=2, activities=1, events=14),
                         "responded": Cost(tasks=2, activities=1, events=14),
                         "reviewed": Cost(tasks=2, activities=1, events=14),
                         "closed": Cost(tasks=1, activities=0, events=8)}  # no notice to send


async def test_an_objection_to_a_record_costs_a_task_and_a_send_per_step_beside_marking_the_record(smtp_sink) -> None:
    """The record's 异议处理中 mark (a write on the record's row, mailed to its followers) keeps its own activities;
    the objection's own writes, notices and deadlines are one step each."""
    async with harness_at(local(2026, 9, 21, 10)) as h:
        rid, _ = await h.record("general", date(2026, 9, 1), rectification_due=date(2026, 12, 31))
        oid, handle = await h.objection("record", rid)
        history = await settled(handle)
        costs = {"submitted": cost(history), **await _costs(handle, history, [
            ("accepted", ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True)),
            ("verified", ObjectionWorkflow.verify, FindingIn(actor=DEPT, finding="f")),
            ("decided", ObjectionWorkflow.decide, ObjectionDecisionIn(actor=CREDIT, outcome="revoked", reason="r")),
        ], last_ends=True)}
        assert await h.ended(h.env.client.get_workflow_handle(f"record-{rid}")) == "revoked"
        # one activity per write before: submitted 8/7/50, accepted 9/8/55, verified 5/4/30, decided 13/10/77.
        # Submitted: the step, the mark (2) and the send; decided: the decision's step, the record signalled,
        # the closing step written before the mark is lifted (it reads whether another objection is open: 3)
        decided = costs.pop("decided")
        # (5/4/34, 3/2/19 and 3/2/18 with the step in an activity of its own)
        assert costs == {"submitted": Cost(tasks=4, activities=3, events=31),
                         "accepted": Cost(tasks=2, activities=1, events=14),
                         "verified": Cost(tasks=2, activities=1, events=13)}
        # the sends may complete in the tasks of the steps around them or in their own (the run's end waits for
        # them): how many tasks that takes depends on how fast the mail server answers
        assert decided.activities == 4 and decided.tasks in (5, 6, 7) and decided.events <= 40


async def test_a_motion_costs_one_task_and_one_send_per_step(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 10, 9)) as h:
        mid, handle = await _motion(h, co=["scjg"])
        history = await settled(handle)
        costs = {"assigned": cost(history), **await _costs(handle, history, [
            ("co-opinion", MotionWorkflow.send_opinion, OpinionIn(actor=OTHER_DEPT, opinion="支持")),
            ("drafted", MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="已落实", result_class="A")),
            ("approved", MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="张局长")),
            ("published", MotionWorkflow.publish_reply, MotionPublishIn(actor=COORD)),
            ("closed", MotionWorkflow.record_feedback, MotionFeedbackIn(actor=COORD, feedback="satisfied")),
        ], last_ends=True)}
        assert deadline(mid, "motion_reply-1", "motion").status == "met"
        # one activity per write before: assigned (three deadlines, two notices) 11/8/61, co-opinion 5/4/30,
        # approved 6/5/37, closed 5/4/32; a draft and the publication were one write already
        assigned = costs.pop("assigned")  # the step and the send, + a task or two for the harness's query and sleep
        assert assigned.activities == 1 and assigned.tasks <= 4
        # (co-opinion 3/2/18, drafted 2/1/11 with the step in an activity of its own)
        assert costs == {"co-opinion": Cost(tasks=2, activities=1, events=13),
                         "drafted": Cost(tasks=1, activities=0, events=6),
                         "approved": Cost(tasks=2, activities=1, events=14),
                         "published": Cost(tasks=1, activities=0, events=6),
                         "closed": Cost(tasks=1, activities=0, events=9)}


async def test_an_integrity_report_costs_one_task_and_one_send_per_step(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 1, 0, 10)) as h:  # when the daily Schedule opens 2026Q3's reports
        await h.env.client.execute_workflow(IntegrityReportOpenerWorkflow.run, IntegrityOpenRun(), id="opener",
                                            task_queue=h.task_queue)
        handle = h.env.client.get_workflow_handle_for(IntegrityReportWorkflow.run, report_workflow_id("fgw", "2026Q3"))
        history = await settled(handle)
        costs = {"opened": cost(history), **await _costs(handle, history, [
            ("submitted", IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text="t")),
            ("returned", IntegrityReportWorkflow.return_report,
             ReportReturn(actor=CREDIT, reason="r", due_date=date(2026, 10, 30))),
            ("resubmitted", IntegrityReportWorkflow.submit, ReportSubmission(actor=DEPT, text="t2")),
            ("accepted", IntegrityReportWorkflow.accept, ReportAcceptance(actor=CREDIT)),
        ], last_ends=True)}
        # one activity per write before: opened 5/4/29, submitted 5/4/30, returned 5/4/30, accepted 4/3/24. Opening
        # and returning write the new deadline's plan first, since the event and the notice state its due date
        # (opened 4/3/25, submitted 3/2/18, returned 4/3/24 with the steps in activities of their own)
        assert costs == {"opened": Cost(tasks=2, activities=1, events=17),
                         "submitted": Cost(tasks=2, activities=1, events=13),
                         "returned": Cost(tasks=2, activities=1, events=14),
                         "resubmitted": Cost(tasks=2, activities=1, events=13),
                         "accepted": Cost(tasks=2, activities=1, events=13)}
