"""Dishonesty records on the time-skipping server: publicity periods, repair eligibility, expiry,
explanation and rectification deadlines, re-application after a rejected repair."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from domain.messages import (
    ExplanationIn,
    MitigationIn,
    RectificationIn,
    RectificationVerdict,
    RepairDecision,
    RepairRequest,
)
from store.db import session_scope
from store.models import Commitment, Record
from tests.workflows.harness import (
    CREDIT,
    DEPT,
    OTHER_DEPT,
    FailFirstAfterRunning,
    audit,
    deadline,
    harness_at,
    local,
    outbox,
    record_row,
)
from workflows.record import RecordWorkflow

LETTER = "本单位承诺依法履约，按期整改，接受社会监督。"


async def _refused(call) -> ApplicationError:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await call
    assert isinstance(err.value.cause, ApplicationError)
    return err.value.cause


async def _rectify(handle) -> None:  # type: ignore[no-untyped-def]
    await handle.execute_update(RecordWorkflow.explain, ExplanationIn(actor=DEPT, explanation="资金拨付流程滞后"))
    await handle.execute_update(RecordWorkflow.submit_rectification,
                                RectificationIn(actor=DEPT, description="已全额支付欠款", evidence=["付款凭证.pdf"]))
    await handle.execute_update(RecordWorkflow.verify_rectification,
                                RectificationVerdict(actor=CREDIT, accepted=True, reason="核实已付清"))


async def test_serious_record_refused_repair_at_11_months_accepted_after_a_year(smtp_sink) -> None:
    async with harness_at(local(2026, 1, 20, 10)) as h:
        rid, handle = await h.record("serious", date(2026, 1, 19), rectification_due=date(2026, 3, 31))
        await _rectify(handle)
        assert record_row(rid).state == "rectified" and record_row(rid).public is True
        await h.sleep_until(local(2026, 12, 20, 10))  # 11 months after the decision
        cause = await _refused(handle.execute_update(RecordWorkflow.request_repair,
                                                     RepairRequest(actor=DEPT, commitment_letter=LETTER)))
        assert cause.type == "InvalidState" and cause.details[0]["possible_from"] == "2027-01-20"
        assert "可于 2027-01-20 起申请信用修复" in cause.message
        await h.sleep_until(local(2027, 1, 20, 10))
        view = await handle.execute_update(RecordWorkflow.request_repair,
                                           RepairRequest(actor=DEPT, commitment_letter=LETTER))
        assert view.state == "repair_requested"
        view = await handle.execute_update(RecordWorkflow.decide_repair,
                                           RepairDecision(actor=CREDIT, approved=True, reason="整改到位"))
        assert view.state == "repaired" and view.public is False
        assert await h.ended(handle) == "repaired"
        row = record_row(rid)
        assert row.state == "repaired" and row.public is False and row.commitment_letter == LETTER
        # every department that holds the record is told
        await h.env.sleep(timedelta(days=1))
        assert any("已修复" in s for s in smtp_sink.subjects("scjg@test.local"))


async def test_repair_refused_on_the_last_day_of_the_minimum_period_accepted_the_next_day(smtp_sink) -> None:
    # decided 2026-08-31, general: the 3-month minimum ends 2026-11-30 (that day counts until 24:00)
    async with harness_at(local(2026, 11, 30, 10)) as h:
        rid, handle = await h.record("general", date(2026, 8, 31), rectification_due=date(2026, 12, 31))
        await _rectify(handle)
        assert record_row(rid).repair_possible_from == date(2026, 12, 1)
        await h.sleep_until(local(2026, 11, 30, 23, 59))
        cause = await _refused(handle.execute_update(RecordWorkflow.request_repair,
                                                     RepairRequest(actor=DEPT, commitment_letter=LETTER)))
        assert cause.type == "InvalidState" and cause.details[0]["possible_from"] == "2026-12-01"
        assert cause.message == "最短公示期至 2026-11-30 届满，可于 2026-12-01 起申请信用修复"
        await h.sleep_until(local(2026, 12, 1, 0, 1))
        view = await handle.execute_update(RecordWorkflow.request_repair,
                                           RepairRequest(actor=DEPT, commitment_letter=LETTER))
        assert view.state == "repair_requested" and view.repair_possible_from == date(2026, 12, 1)


async def test_general_record_expires_when_its_year_has_run_not_a_day_early(smtp_sink) -> None:
    # decided 2026-08-31: published until 2027-08-31 24:00
    async with harness_at(local(2027, 8, 30, 10)) as h:
        rid, handle = await h.record("general", date(2026, 8, 31), rectification_due=date(2027, 9, 30))
        await h.env.sleep(timedelta(minutes=1))
        assert record_row(rid).publicity_ends == date(2027, 8, 31)
        await h.sleep_until(local(2027, 8, 31, 23, 59))
        row = record_row(rid)
        assert row.public is True and row.state == "published"
        assert await handle.result() == "expired"
        row = record_row(rid)
        assert row.state == "expired" and row.public is False
        assert row.closed_at is not None and row.closed_at >= local(2027, 9, 1, 0, 0)


async def test_repair_before_rectification_is_refused_and_reapplication_after_rejection(smtp_sink) -> None:
    async with harness_at(local(2026, 5, 6, 10)) as h:
        rid, handle = await h.record("general", date(2026, 1, 5), rectification_due=date(2026, 6, 30))
        cause = await _refused(handle.execute_update(RecordWorkflow.request_repair,
                                                     RepairRequest(actor=DEPT, commitment_letter=LETTER)))
        assert cause.type == "InvalidState" and "整改尚未核验通过" in cause.message
        cause = await _refused(handle.execute_update(RecordWorkflow.explain,
                                                     ExplanationIn(actor=OTHER_DEPT, explanation="x")))
        assert cause.type == "Forbidden"
        await _rectify(handle)
        await handle.execute_update(RecordWorkflow.request_repair, RepairRequest(actor=DEPT, commitment_letter=LETTER))
        view = await handle.execute_update(RecordWorkflow.decide_repair,
                                           RepairDecision(actor=CREDIT, approved=False, reason="承诺书内容不完整"))
        assert view.state == "repair_rejected" and view.public is True
        view = await handle.execute_update(RecordWorkflow.request_repair,
                                           RepairRequest(actor=DEPT, commitment_letter=LETTER + "（补充）"))
        assert view.state == "repair_requested"
        await handle.execute_update(RecordWorkflow.mitigate, MitigationIn(
            actor=CREDIT, effect="mitigated", reason="主动足额清偿并致歉"))
        view = await handle.execute_update(RecordWorkflow.decide_repair, RepairDecision(actor=CREDIT, approved=True))
        assert view.state == "repaired"
        assert record_row(rid).mitigation == "mitigated"
        actions = [e.action for e in audit(rid, "record")]
        assert actions.count("repair_requested") == 2 and "repair_rejected" in actions


async def test_general_record_expires_by_itself_after_one_year(smtp_sink) -> None:
    async with harness_at(local(2026, 1, 20, 10)) as h:
        rid, handle = await h.record("general", date(2026, 1, 19), rectification_due=date(2026, 3, 31))
        await h.env.sleep(timedelta(minutes=1))
        assert record_row(rid).public is True and record_row(rid).publicity_ends == date(2027, 1, 19)
        await h.sleep_until(local(2027, 1, 19, 23, 0))
        assert record_row(rid).public is True
        assert await handle.result() == "expired"
        row = record_row(rid)
        assert row.state == "expired" and row.public is False


async def test_minor_record_is_never_published(smtp_sink) -> None:
    async with harness_at(local(2026, 3, 2, 10)) as h:
        rid, handle = await h.record("minor", date(2026, 3, 2))
        await handle.execute_update(RecordWorkflow.explain, ExplanationIn(actor=DEPT, explanation="说明"))
        row = record_row(rid)
        assert row.public is False and row.state == "rectifying"
        assert await handle.result() == "expired"  # at the end of its 3-month record period
        assert record_row(rid).published_at is None


async def test_explanation_and_rectification_reminders_and_escalations(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 24, 10)) as h:
        rid, _ = await h.record("general", date(2026, 9, 24), rectification_due=date(2026, 10, 16))
        await h.env.sleep(timedelta(minutes=1))
        # explanation: 5 WD after Thu 09-24; 09-25..27 are 中秋节, 10-01..07 国庆节:
        # 09-28, 09-29, 09-30, 10-08, 10-09
        assert deadline(rid, "explanation", "record").due_at == local(2026, 10, 9, 23, 59, 59)
        await h.sleep_until(local(2026, 10, 22, 9))
        reminders = [(r.event_key, r.deliver_at.astimezone(local(2026, 1, 1).tzinfo).date())
                     for r in outbox(rid, "deadline_reminder", "record") if r.recipient == "fgw@test.local"]
        explanation_days = sorted(d for k, d in reminders if k.startswith("explanation"))
        assert explanation_days == [date(2026, 9, 29), date(2026, 10, 8), date(2026, 10, 9)]
        rectification_days = sorted(d for k, d in reminders if k.startswith("rectification"))
        assert rectification_days == [date(2026, 10, 13), date(2026, 10, 15), date(2026, 10, 16)]
        escalations = outbox(rid, "deadline_escalation", "record")
        assert {e.recipient for e in escalations} >= {"fgw@test.local", "fgw-sup@test.local"}
        row = record_row(rid)
        assert row.rectification_overdue is True  # shown publicly as 逾期未整改
        assert "rectification_overdue" in [e.action for e in audit(rid, "record")]


async def test_breached_commitment_opens_exactly_one_linked_record_despite_retry(smtp_sink) -> None:
    interceptor = FailFirstAfterRunning("open_breach_record")
    async with harness_at(local(2026, 10, 8, 10), interceptors=[interceptor]) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        assert await handle.result() == "breached"
        await h.env.sleep(timedelta(minutes=5))
        assert interceptor.failed == 1
        with session_scope() as session:
            records = session.exec(select(Record).where(Record.source_type == "commitment",
                                                        Record.source_id == cid)).all()
            commitment = session.get(Commitment, cid)
        assert len(records) == 1 and commitment.record_id == records[0].id
        record = records[0]
        assert record.category == "commitment_breach" and record.severity == "general"
        assert record.public is True and record.state == "published"
        assert "record_opened" in [e.action for e in audit(cid)]


async def test_rectification_awaiting_verification_is_not_overdue_and_severity_rechecks_repair(smtp_sink) -> None:
    from domain.messages import SeverityIn

    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid, handle = await h.record("general", date(2026, 5, 6), rectification_due=date(2026, 10, 12))
        await handle.execute_update(RecordWorkflow.explain, ExplanationIn(actor=DEPT, explanation="说明"))
        await handle.execute_update(RecordWorkflow.submit_rectification,
                                    RectificationIn(actor=DEPT, description="已整改"))
        await h.sleep_until(local(2026, 10, 14, 10))  # due 10-12 passed while the credit office verifies
        assert record_row(rid).rectification_overdue is False
        await handle.execute_update(RecordWorkflow.verify_rectification,
                                    RectificationVerdict(actor=CREDIT, accepted=True))
        await handle.execute_update(RecordWorkflow.request_repair, RepairRequest(actor=DEPT, commitment_letter=LETTER))
        await handle.execute_update(RecordWorkflow.classify, SeverityIn(actor=CREDIT, severity="serious",
                                                                       reason="重新认定为严重"))
        cause = await _refused(handle.execute_update(RecordWorkflow.decide_repair,
                                                     RepairDecision(actor=CREDIT, approved=True)))
        assert cause.details[0]["possible_from"] == "2027-05-07"  # the year ends 2027-05-06 (24:00)
