"""Objections and complaints on the time-skipping server: every path, with the periods of the profile."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.messages import (
    AcceptanceIn,
    FeedbackIn,
    FindingIn,
    ObjectionDecisionIn,
    ResponseIn,
    ReviewIn,
    SupplementIn,
    TriageIn,
    WithdrawalIn,
)
from store.models import Commitment, Complaint, Objection, Record
from tests.workflows.harness import CREDIT, DEPT, audit, deadline, eventually, harness_at, local, row
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow


async def _published_record(h) -> int:  # type: ignore[no-untyped-def]
    rid, _ = await h.record("general", date(2026, 9, 1), rectification_due=date(2026, 12, 31))
    await h.env.sleep(timedelta(minutes=1))
    return rid


async def test_accepted_verified_and_corrected_marks_then_unmarks_the_record(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid = await _published_record(h)
        oid, o = await h.objection("record", rid)
        await h.env.sleep(timedelta(minutes=1))
        assert row(Record, rid).objection_pending is True  # henan: on receipt
        # acceptance 1 WD, total 7 WD from Thu 10-08 (10-10 is an adjusted working Saturday): 10-09 / 10-16
        assert deadline(oid, "acceptance", "objection").due_at == local(2026, 10, 9, 23, 59, 59)
        assert deadline(oid, "total", "objection").due_at == local(2026, 10, 16, 23, 59, 59)
        await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
        await o.execute_update(ObjectionWorkflow.verify, FindingIn(actor=DEPT, finding="部分有误"))
        view = await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(
            actor=CREDIT, outcome="corrected", reason="金额有误", correction="欠款金额应为80万元"))
        assert view.state == "closed"
        await h.env.sleep(timedelta(minutes=1))
        record = row(Record, rid)
        assert record.objection_pending is False and "80万元" in (record.correction_note or "")
        assert record.public is True and "corrected" in [e.action for e in audit(rid, "record")]


async def test_rejection_and_withdrawal_end_the_objection_and_the_mark(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid = await _published_record(h)
        oid, o = await h.objection("record", rid)
        view = await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(
            actor=CREDIT, accepted=False, reason="不属于异议范围"))
        assert view.state == "rejected" and await h.ended(o) == "rejected"
        assert row(Record, rid).objection_pending is False
        oid2, o2 = await h.objection("record", rid)
        await o2.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
        view = await o2.execute_update(ObjectionWorkflow.withdraw, WithdrawalIn(reason="已协商"))
        assert view.state == "withdrawn" and row(Record, rid).objection_pending is False
        with pytest.raises(WorkflowUpdateFailedError):
            await o2.execute_update(ObjectionWorkflow.withdraw, WithdrawalIn())


async def test_supplement_in_time_pauses_the_clock_and_too_late_withdraws(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid = await _published_record(h)
        oid, o = await h.objection("record", rid)
        await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(
            actor=CREDIT, accepted=False, needs_supplement=True, reason="缺少付款凭证"))
        assert deadline(oid, "total", "objection").status == "paused"
        await h.sleep_until(local(2026, 10, 14, 10))
        view = await o.execute_update(ObjectionWorkflow.supplement, SupplementIn(material="付款凭证"))
        assert view.state == "submitted"
        total = deadline(oid, "total", "objection")
        # paused 10-08 with 7 WD left, resumed 10-14: 10-15 … 10-23
        assert total.status == "open" and total.due_at == local(2026, 10, 23, 23, 59, 59)
        assert row(Objection, oid).supplements == ["付款凭证"]
        late, o_late = await h.objection("record", rid)
        await o_late.execute_update(ObjectionWorkflow.accept, AcceptanceIn(
            actor=CREDIT, accepted=False, needs_supplement=True, reason="缺少材料"))
        # supplement window: 10 WD from 10-14 → 10-28; nothing comes → withdrawn
        assert await o_late.result() == "withdrawn"
        assert row(Objection, late).state == "withdrawn"
        assert "补正期限届满" in audit(late, "objection")[-1].reason or any(
            "补正期限届满" in (e.reason or "") for e in audit(late, "objection"))


async def test_department_late_then_credit_office_decides_and_revokes(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid = await _published_record(h)
        oid, o = await h.objection("record", rid)
        await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
        with pytest.raises(WorkflowUpdateFailedError):  # no finding yet and not late: no decision
            await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(
                actor=CREDIT, outcome="revoked", reason="x"))
        await h.sleep_until(local(2026, 10, 14, 10))  # the department's 3 WD (→ 10-12) ran out: escalated …
        assert row(Objection, oid).department_late is False  # … but the case goes over at the total period
        await eventually(lambda: any(e.action == "escalation_due" for e in audit(oid, "objection")))
        await h.sleep_until(local(2026, 10, 17, 10))  # total: 7 WD from 10-08 → 10-16
        assert row(Objection, oid).department_late is True
        late = [e for e in audit(oid, "objection") if e.action == "department_late"]
        assert late and late[0].data["department"] == "fgw"
        view = await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(
            actor=CREDIT, outcome="revoked", reason="信息提供单位未能提供依据"))
        assert view.state == "closed"
        await h.env.sleep(timedelta(minutes=1))
        record = row(Record, rid)
        assert record.state == "revoked" and record.public is False and record.objection_pending is False


async def test_upheld_objection_on_a_commitment_changes_nothing_but_the_mark(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        cid, _ = await h.commitment(date(2026, 12, 31))
        await h.env.sleep(timedelta(minutes=1))
        oid, o = await h.objection("commitment", cid)
        await h.env.sleep(timedelta(minutes=1))
        assert row(Commitment, cid).objection_pending is True
        await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
        await o.execute_update(ObjectionWorkflow.verify, FindingIn(actor=DEPT, finding="信息准确"))
        await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(actor=CREDIT, outcome="upheld",
                                                                            reason="信息准确"))
        commitment = row(Commitment, cid)
        assert commitment.objection_pending is False and commitment.correction_note is None


async def test_complaint_paths_dismissed_unsubstantiated_and_timeouts(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        kid, k = await h.complaint()
        view = await k.execute_update(ComplaintWorkflow.triage, TriageIn(actor=CREDIT, dismiss=True, reason="重复投诉"))
        assert view.state == "dismissed" and await h.ended(k) == "dismissed"
        anon, a = await h.complaint(email=None)
        await a.execute_update(ComplaintWorkflow.triage, TriageIn(actor=CREDIT, department="scjg"))
        assert row(Complaint, anon).department_code == "scjg"
        # response within 15 WD from 10-08 → 10-28; escalation to scjg after
        await h.sleep_until(local(2026, 10, 30, 10))
        await eventually(lambda: any(e.action == "escalation_due" for e in audit(anon, "complaint")))
        from tests.workflows.harness import OTHER_DEPT

        await a.execute_update(ComplaintWorkflow.respond, ResponseIn(actor=OTHER_DEPT, response="已核查"))
        view = await a.execute_update(ComplaintWorkflow.review, ReviewIn(actor=CREDIT, substantiated=False,
                                                                        reason="证据不足"))
        assert view.state == "unsubstantiated" and view.record_id is None
        # no rating within 10 WD: closed by itself
        assert await a.result() == "closed"


async def test_complaint_satisfied_feedback_closes(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 9)) as h:
        kid, k = await h.complaint()
        await k.execute_update(ComplaintWorkflow.triage, TriageIn(actor=CREDIT))
        await k.execute_update(ComplaintWorkflow.respond, ResponseIn(actor=DEPT, response="已支付"))
        view = await k.execute_update(ComplaintWorkflow.review, ReviewIn(actor=CREDIT, substantiated=True,
                                                                        reason="属实", severity="serious"))
        assert view.record_id is not None
        view = await k.execute_update(ComplaintWorkflow.feedback, FeedbackIn(satisfied=True))
        assert view.state == "closed"
        assert row(Record, view.record_id).severity == "serious"


async def test_shanghai_forward_and_decision_deadlines_escalate_and_close(smtp_sink) -> None:
    """上海市社会信用条例第36条: 2 WD from receipt to forward, 5 WD from the finding to the decision."""
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid = await _published_record(h)
        oid, o = await h.objection("record", rid, profile="shanghai")
        await h.env.sleep(timedelta(minutes=1))
        # Thu 10-08 + 2 WD: 10-09, and 10-10 (an adjusted working Saturday)
        assert deadline(oid, "forward", "objection").due_at == local(2026, 10, 10, 23, 59, 59)
        await h.sleep_until(local(2026, 10, 12, 10))  # not forwarded in time: the credit office is escalated
        late = [e for e in audit(oid, "objection") if e.action == "escalation_due"]
        assert {e.data["deadline"] for e in late} == {"acceptance", "forward"}
        await o.execute_update(ObjectionWorkflow.accept, AcceptanceIn(actor=CREDIT, accepted=True))
        assert deadline(oid, "forward", "objection").status == "met"
        await o.execute_update(ObjectionWorkflow.verify, FindingIn(actor=DEPT, finding="信息有误"))
        decision = deadline(oid, "decision", "objection")  # Mon 10-12 + 5 WD → Mon 10-19
        assert decision.due_at == local(2026, 10, 19, 23, 59, 59) and decision.status == "open"
        await o.execute_update(ObjectionWorkflow.decide, ObjectionDecisionIn(actor=CREDIT, outcome="upheld",
                                                                            reason="信息准确"))
        assert deadline(oid, "decision", "objection").status == "met"
