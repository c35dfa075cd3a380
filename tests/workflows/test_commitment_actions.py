"""Commitment actions as Temporal Updates: fulfilment verified or rejected, amendments (换届 refused),
pause and extension arithmetic, and 409-style refusals that leave history untouched."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.messages import (
    AmendmentDecision,
    AmendmentRequest,
    ExtensionRequest,
    FulfilmentReport,
    MilestoneDone,
    PauseRequest,
    ResumeRequest,
    VerificationDecision,
)
from tests.workflows.harness import CREDIT, DEPT, OTHER_DEPT, audit, commitment_row, deadline, harness_at, local
from workflows.commitment import CommitmentWorkflow


async def _refused(call) -> ApplicationError:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await call
    cause = err.value.cause
    assert isinstance(cause, ApplicationError)
    return cause


async def test_fulfilment_accepted(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        view = await handle.execute_update(CommitmentWorkflow.report_fulfilment,
                                           FulfilmentReport(actor=DEPT, report="已按期办结", evidence=["a.pdf"]))
        assert view.state == "fulfilment_reported"
        # verification within 5 WD: 09-21..09-24, then 09-25 is 中秋节, so the 5th is Monday 09-28
        assert deadline(cid, "verification-3").due_at == local(2026, 9, 28, 23, 59, 59)
        view = await handle.execute_update(CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=True))
        assert view.state == "fulfilled"
        assert await h.ended(handle) == "fulfilled"
        row = commitment_row(cid)
        assert row.state == "fulfilled" and row.report == "已按期办结" and row.evidence == ["a.pdf"]
        assert deadline(cid, "due").status == "met"
        assert [e.action for e in audit(cid)][-2:] == ["fulfilment_reported", "verified_accepted"]


async def test_fulfilment_rejected_before_due_returns_to_published_then_after_grace_breaches(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await handle.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r1"))
        view = await handle.execute_update(
            CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=False, reason="证据不足"))
        assert view.state == "published" and not view.overdue
        # second report after the due date, rejected after the grace period has passed → breached
        await h.sleep_until(local(2026, 10, 19, 10))
        assert commitment_row(cid).overdue is True
        await handle.execute_update(CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="r2"))
        await h.sleep_until(local(2026, 10, 22, 10))  # grace ended 10-20; report keeps it from auto-breach
        assert commitment_row(cid).state == "fulfilment_reported"
        view = await handle.execute_update(
            CommitmentWorkflow.verify, VerificationDecision(actor=CREDIT, accepted=False, reason="仍未完成"))
        assert view.state == "breached"
        assert commitment_row(cid).state == "breached"


async def test_illegal_actions_are_refused_without_writing_history(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13), publish=False)
        cause = await _refused(handle.execute_update(
            CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=DEPT, report="x")))
        assert cause.type == "InvalidState" and cause.details[0]["state"] == "draft"
        before = len(audit(cid))
        assert before == 1  # only the registration
        cause = await _refused(handle.execute_update(
            CommitmentWorkflow.verify, VerificationDecision(actor=DEPT, accepted=True)))
        assert cause.type == "InvalidState"
        from domain.messages import PublishRequest

        cause = await _refused(handle.execute_update(CommitmentWorkflow.publish, PublishRequest(actor=OTHER_DEPT)))
        assert cause.type == "Forbidden"
        assert len(audit(cid)) == before
        view = await handle.execute_update(CommitmentWorkflow.publish, PublishRequest(actor=DEPT))
        assert view.state == "published"


async def test_amendment_for_change_of_term_is_refused_lawful_one_is_approved(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        for code, text in (("term_change", "政府换届"), ("public_interest", "因领导换届需调整承诺"),
                           ("legal_cause", "责任人更替")):
            cause = await _refused(handle.execute_update(CommitmentWorkflow.request_amendment, AmendmentRequest(
                actor=DEPT, reason_code=code, reason=text, due_date=date(2026, 12, 31))))
            assert cause.type == "UnlawfulReason"
        assert "amendment_requested" not in [e.action for e in audit(cid)]
        await handle.execute_update(CommitmentWorkflow.request_amendment, AmendmentRequest(
            actor=DEPT, reason_code="public_interest", reason="防汛应急需要调整工期", due_date=date(2026, 11, 30),
            title="企业开办一个工作日办结（调整）"))
        view = await handle.execute_update(CommitmentWorkflow.decide_amendment,
                                           AmendmentDecision(actor=CREDIT, approved=True, reason="符合公共利益"))
        assert view.amended and view.due_at == local(2026, 11, 30, 23, 59, 59)
        row = commitment_row(cid)
        assert row.amended and row.due_date == date(2026, 11, 30) and row.title.endswith("（调整）")
        from store.db import session_scope
        from store.models import CommitmentVersion

        with session_scope() as s:
            old = s.exec(select(CommitmentVersion).where(CommitmentVersion.commitment_id == cid)).one()
            assert old.title == "企业开办一个工作日办结" and old.due_date == date(2026, 10, 13)
            assert old.reason == "防汛应急需要调整工期"
        # withdrawal, approved, ends the case
        await handle.execute_update(CommitmentWorkflow.request_amendment, AmendmentRequest(
            actor=DEPT, withdraw=True, reason_code="legal_cause", reason="上位法废止"))
        await handle.execute_update(CommitmentWorkflow.decide_amendment,
                                    AmendmentDecision(actor=CREDIT, approved=True))
        assert await h.ended(handle) == "withdrawn"


async def test_pause_and_extension_arithmetic(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 28, 9)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await handle.execute_update(CommitmentWorkflow.pause, PauseRequest(
            actor=CREDIT, reason_code="inspection", reason="委托第三方检测"))
        row = deadline(cid, "due")
        assert row.status == "paused"
        # 09-28 → 10-13 leaves 7 WD: 09-29, 09-30, 10-08, 10-09, 10-10 (adjusted Sat), 10-12, 10-13
        assert row.receipt["pauses"][0]["remaining_working_days"] == 7
        await h.sleep_until(local(2026, 10, 19, 9))
        assert commitment_row(cid).overdue is False  # paused clocks do not run out
        view = await handle.execute_update(CommitmentWorkflow.resume, ResumeRequest(actor=CREDIT))
        assert view.due_at == local(2026, 10, 28, 23, 59, 59)  # 10-19 + 7 WD
        view = await handle.execute_update(CommitmentWorkflow.extend, ExtensionRequest(
            actor=CREDIT, working_days=5, reason="检测报告延迟"))
        assert view.due_at == local(2026, 11, 4, 23, 59, 59)  # 10-28 + 5 WD
        receipt = deadline(cid, "due").receipt
        assert receipt["due_date"] == "2026-11-04" and len(receipt["extensions"]) == 1
        cause = await _refused(handle.execute_update(CommitmentWorkflow.extend, ExtensionRequest(
            actor=CREDIT, working_days=1, reason="再次延期")))
        assert "上限" in cause.message
        cause = await _refused(handle.execute_update(CommitmentWorkflow.extend, ExtensionRequest(
            actor=CREDIT, working_days=6, reason="x")))
        await h.sleep_until(local(2026, 11, 5, 0, 1))
        assert commitment_row(cid).overdue is True


async def test_milestone_reminders_and_completion(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 11, 30), milestones=[("完成方案", date(2026, 10, 12)),
                                                                          ("试运行", date(2026, 11, 2))])
        await handle.execute_update(CommitmentWorkflow.complete_milestone, MilestoneDone(actor=DEPT, seq=1))
        await h.sleep_until(local(2026, 11, 3, 9))
        actions = [(e.action, (e.data or {}).get("seq")) for e in audit(cid)]
        assert ("milestone_done", 1) in actions and ("milestone_overdue", 2) in actions
        assert ("milestone_overdue", 1) not in actions
        assert deadline(cid, "milestone-1").status == "met" and deadline(cid, "milestone-2").status == "missed"


async def test_extension_after_due_clears_overdue_and_restarts_the_grace_period(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 14, 10))
        assert commitment_row(cid).overdue is True
        view = await handle.execute_update(CommitmentWorkflow.extend, ExtensionRequest(
            actor=CREDIT, working_days=5, reason="不可抗力导致延误"))
        assert view.due_at == local(2026, 10, 20, 23, 59, 59) and view.overdue is False
        assert commitment_row(cid).overdue is False
        await h.sleep_until(local(2026, 10, 21, 10))  # the old grace would have breached at 10-20 24:00
        row = commitment_row(cid)
        assert row.state == "published" and row.overdue is True
        await h.sleep_until(local(2026, 10, 27, 23, 0))  # new grace: 5 WD after 10-20 → 10-27
        assert commitment_row(cid).state == "published"
        assert await handle.result() == "breached"


async def test_amendment_or_pause_after_due_prevents_the_old_automatic_breach(smtp_sink) -> None:
    async with harness_at(local(2026, 10, 8, 10)) as h:
        amended, a = await h.commitment(date(2026, 10, 13))
        paused, p = await h.commitment(date(2026, 10, 13), title="另一项承诺")
        await h.sleep_until(local(2026, 10, 14, 10))
        await a.execute_update(CommitmentWorkflow.request_amendment, AmendmentRequest(
            actor=DEPT, reason_code="public_interest", reason="防汛应急", due_date=date(2026, 11, 30)))
        await a.execute_update(CommitmentWorkflow.decide_amendment, AmendmentDecision(actor=CREDIT, approved=True))
        await p.execute_update(CommitmentWorkflow.pause, PauseRequest(
            actor=CREDIT, reason_code="inspection", reason="司法鉴定"))
        await h.sleep_until(local(2026, 10, 30, 10))
        for cid in (amended, paused):
            row = commitment_row(cid)
            assert row.state == "published" and row.overdue is False, cid
