"""Suggestions and proposals (建议提案) on the time-skipping server: every path, with the henan profile's periods
in natural months (民法典 art. 202/203)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from api.services.motion import insert_motion, start_motion
from domain.messages import (
    Actor,
    ApprovalIn,
    DraftIn,
    MotionExtensionIn,
    MotionFeedbackIn,
    MotionPublishIn,
    OpinionIn,
    ReassignIn,
    ReassignmentRequestIn,
)
from store.db import session_scope
from store.models import Commitment, Motion
from tests.workflows.harness import DEPT, OTHER_DEPT, Harness, audit, deadline, eventually, harness_at, local, row
from workflows.motion import MotionWorkflow

COORD = Actor(username="zfb", role="coordinator")


async def _motion(h: Harness, *, co: list[str] | None = None, kind: str = "deputy_session",
                  lead: str = "fgw") -> tuple[int, WorkflowHandle]:
    now = await h.now()
    with session_scope() as session:
        _, start = insert_motion(session, kind=kind, number="第0012号", title="关于优化营商环境的建议",
                                 content="建议内容", deputy_name="王代表", deputy_contact="138-0000-0000",
                                 department=lead, co_departments=co or [], actor=COORD, now=now)
    handle = await start_motion(h.env.client, start, task_queue=h.task_queue)
    await handle.query(MotionWorkflow.view)
    await h.env.sleep(timedelta(minutes=1))
    return start.motion_id, handle


async def test_happy_path_co_opinion_reply_and_satisfied_feedback(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 10, 9)) as h:
        mid, m = await _motion(h, co=["scjg"])
        # reply 3 months from Tue 03-10 → 06-10; co-unit 1 month → 04-10; reassignment 10 days → 03-20
        assert deadline(mid, "motion_reply-1", "motion").due_at == local(2026, 6, 10, 23, 59, 59)
        assert deadline(mid, "motion_co_opinion-1", "motion").due_at == local(2026, 4, 10, 23, 59, 59)
        assert deadline(mid, "motion_reassign_request-1", "motion").due_at == local(2026, 3, 20, 23, 59, 59)
        with pytest.raises(WorkflowUpdateFailedError):  # the co-unit's opinion is not in, its month not over
            await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="答复", result_class="A"))
        with pytest.raises(WorkflowUpdateFailedError):  # the lead unit is not a co-unit
            await m.execute_update(MotionWorkflow.send_opinion, OpinionIn(actor=DEPT, opinion="意见"))
        view = await m.execute_update(MotionWorkflow.send_opinion, OpinionIn(actor=OTHER_DEPT, opinion="支持"))
        assert view.co_sent == ["scjg"]
        with pytest.raises(WorkflowUpdateFailedError):  # a co-unit does not draft the reply
            await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=OTHER_DEPT, reply="答复",
                                                                       result_class="A"))
        await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="已落实", result_class="A"))
        view = await m.execute_update(MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="张局长"))
        assert view.state == "replied" and view.late is False
        await m.execute_update(MotionWorkflow.publish_reply, MotionPublishIn(actor=COORD))
        view = await m.execute_update(MotionWorkflow.record_feedback, MotionFeedbackIn(
            actor=COORD, feedback="satisfied"))
        assert view.state == "closed" and await h.ended(m) == "closed"
        motion = row(Motion, mid)
        assert (motion.state, motion.result_class, motion.approved_by_leader) == ("closed", "A", "张局长")
        assert motion.reply_public is True and motion.feedback == "satisfied" and motion.co_opinions == {
            "scjg": "支持"}  # the opinion itself, shown to the lead unit
        assert deadline(mid, "motion_reply-1", "motion").status == "met"


async def test_reassignment_within_ten_days_moves_the_case_and_restarts_its_period(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 10, 9)) as h:
        mid, m = await _motion(h)
        await h.sleep_until(local(2026, 3, 16, 10))
        with pytest.raises(WorkflowUpdateFailedError):
            await m.execute_update(MotionWorkflow.request_reassignment, ReassignmentRequestIn(actor=DEPT, reason=" "))
        view = await m.execute_update(MotionWorkflow.request_reassignment, ReassignmentRequestIn(
            actor=DEPT, reason="属市场监管职责"))
        assert view.state == "reassignment_requested"
        with pytest.raises(WorkflowUpdateFailedError):  # only the coordinator reassigns
            await m.execute_update(MotionWorkflow.reassign, ReassignIn(actor=DEPT, department="scjg"))
        view = await m.execute_update(MotionWorkflow.reassign, ReassignIn(actor=COORD, department="scjg",
                                                                         reason="同意"))
        assert view.state == "assigned" and view.department == "scjg"
        assert row(Motion, mid).department_code == "scjg"
        reply = [d for d in _open_deadlines(mid) if d.key.startswith("motion_reply-")]
        assert len(reply) == 1 and reply[0].due_at == local(2026, 6, 16, 23, 59, 59)  # 3 months from 03-16
        assert reply[0].department_code == "scjg"
        # the new unit's own window runs out after 10 days: no second request
        await h.sleep_until(local(2026, 3, 27, 10))
        with pytest.raises(WorkflowUpdateFailedError):
            await m.execute_update(MotionWorkflow.request_reassignment, ReassignmentRequestIn(
                actor=OTHER_DEPT, reason="也不属于"))
        moved = [e for e in audit(mid, "motion") if e.action == "reassigned"][0]
        assert moved.data["department_from"] == "fgw" and moved.data["department_to"] == "scjg"


def _open_deadlines(mid: int):  # type: ignore[no-untyped-def]
    from store.models import DeadlineRow
    with session_scope() as session:
        return list(session.exec(select(DeadlineRow).where(DeadlineRow.case_type == "motion",
                                                           DeadlineRow.case_id == mid,
                                                           DeadlineRow.status == "open")))


async def test_co_unit_late_is_escalated_and_lets_the_lead_unit_draft(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 10, 9)) as h:
        mid, m = await _motion(h, co=["scjg"])
        await h.sleep_until(local(2026, 4, 13, 10))  # the month ran out on Fri 04-10
        await eventually(lambda: row(Motion, mid).co_late == ["scjg"])
        actions = [e.action for e in audit(mid, "motion")]
        assert "co_opinion_late" in actions and "escalation_due" in actions
        view = await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="答复", result_class="D"))
        assert view.state == "drafted" and view.co_late == ["scjg"]


async def test_late_reply_then_six_month_extension_clears_lateness(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 10, 9)) as h:
        mid, m = await _motion(h)
        await h.sleep_until(local(2026, 6, 12, 10))  # 3 months ran out on 06-10
        await eventually(lambda: row(Motion, mid).late is True)
        with pytest.raises(WorkflowUpdateFailedError):  # a unit cannot extend its own period
            await m.execute_update(MotionWorkflow.extend, MotionExtensionIn(actor=DEPT, reason="复杂"))
        view = await m.execute_update(MotionWorkflow.extend, MotionExtensionIn(actor=COORD, reason="涉及多部门"))
        assert view.extended is True and view.late is False
        assert view.reply_due_at == local(2026, 9, 10, 23, 59, 59)  # 6 months from 03-10
        assert row(Motion, mid).extended is True and row(Motion, mid).late is False
        with pytest.raises(WorkflowUpdateFailedError):  # once only
            await m.execute_update(MotionWorkflow.extend, MotionExtensionIn(actor=COORD, reason="再延"))


async def test_dissatisfied_reopens_once_for_a_new_reply_in_three_months(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 10, 9)) as h:
        mid, m = await _motion(h, kind="member_proposal")
        await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="留作参考", result_class="D"))
        await m.execute_update(MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="张局长"))
        await h.sleep_until(local(2026, 3, 12, 10))
        view = await m.execute_update(MotionWorkflow.record_feedback, MotionFeedbackIn(
            actor=COORD, feedback="dissatisfied", comment="未解决实际问题"))
        assert view.state == "reopened" and view.reopened is True
        assert view.reply_due_at == local(2026, 6, 12, 23, 59, 59)
        await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="重新答复", result_class="A"))
        await m.execute_update(MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="张局长"))
        view = await m.execute_update(MotionWorkflow.record_feedback, MotionFeedbackIn(
            actor=COORD, feedback="dissatisfied"))
        assert view.state == "closed"  # a second 不满意 does not reopen again
        assert row(Motion, mid).reply_text == "重新答复"


async def test_b_class_promise_becomes_a_linked_commitment_that_breaches(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 1, 9)) as h:
        mid, m = await _motion(h)
        with pytest.raises(WorkflowUpdateFailedError):  # B needs the promise and its date
            await m.execute_update(MotionWorkflow.draft_reply, DraftIn(actor=DEPT, reply="答复", result_class="B"))
        await m.execute_update(MotionWorkflow.draft_reply, DraftIn(
            actor=DEPT, reply="列入明年计划", result_class="B", promise="年内建成智慧停车平台",
            promise_due=date(2026, 10, 13)))
        view = await m.execute_update(MotionWorkflow.approve_reply, ApprovalIn(actor=DEPT, leader="张局长"))
        assert len(view.commitment_ids) == 1
        cid = view.commitment_ids[0]
        await h.env.sleep(timedelta(minutes=1))
        commitment = row(Commitment, cid)
        assert commitment.motion_id == mid and commitment.kind == "motion_promise"
        assert commitment.state == "published" and row(Motion, mid).commitment_ids == [cid]
        await m.execute_update(MotionWorkflow.record_feedback, MotionFeedbackIn(actor=COORD, feedback="satisfied"))
        # nothing reported by 10-13 and 5 WD of grace (→ 10-20): breached, the motion long closed
        await h.sleep_until(local(2026, 10, 21, 10))
        await eventually(lambda: row(Commitment, cid).state == "breached")
