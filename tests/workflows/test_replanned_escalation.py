"""A deadline re-planned after it passed: its 逾期 escalation is not sent again until the new date passes,
and the history says the date moved."""

from __future__ import annotations

from datetime import date, timedelta

from domain.messages import ExtensionRequest
from tests.workflows.harness import CREDIT, audit, commitment_row, deadline, harness_at, local, outbox
from workflows.commitment import CommitmentWorkflow


def _escalations(cid: int) -> list[str]:
    return [e.action for e in audit(cid) if e.action.startswith("escalation_")]


async def test_extension_after_the_due_date_escalates_again_only_when_the_new_date_passes(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 14, 10))
        assert _escalations(cid) == ["escalation_due"] and commitment_row(cid).overdue is True
        sent = len(outbox(cid, "deadline_escalation"))

        view = await handle.execute_update(CommitmentWorkflow.extend, ExtensionRequest(
            actor=CREDIT, working_days=5, reason="检测报告延迟"))
        assert view.due_at == local(2026, 10, 20, 23, 59, 59)  # 10-13 + 5 WD
        await h.env.sleep(timedelta(hours=1))
        assert _escalations(cid) == ["escalation_due"]  # nothing new: the new date lies ahead
        assert len(outbox(cid, "deadline_escalation")) == sent
        assert commitment_row(cid).overdue is False
        moves = [e for e in audit(cid) if e.action == "deadline_moved"]
        assert [m.reason for m in moves] == ["承诺履行期限截止日由 2026-10-13 改为 2026-10-20"]

        await h.sleep_until(local(2026, 10, 20, 23, 59))
        assert _escalations(cid) == ["escalation_due"]
        await h.sleep_until(local(2026, 10, 21, 10))
        assert _escalations(cid) == ["escalation_due", "escalation_due"]  # the new date passed: once
        assert commitment_row(cid).overdue is True
        assert len(outbox(cid, "deadline_escalation")) == 2 * sent


async def test_calendar_change_that_leaves_a_passed_deadline_passed_does_not_escalate_again(smtp_sink) -> None:
    from tests.workflows.test_calendar_change import change_calendar

    async with harness_at(local(2026, 9, 1, 10)) as h:
        rid, _ = await h.record("general", date(2026, 9, 1), rectification_due=date(2026, 12, 31))
        # written explanation: 5 WD after Tue 09-01 → 09-08
        await h.sleep_until(local(2026, 9, 10, 10))
        assert _escalations_of(rid, "explanation") == ["escalation_due"]
        await change_calendar(h, date(2026, 9, 3), working=False)  # a past day becomes a rest day: due 09-09
        await h.env.sleep(timedelta(hours=1))
        assert deadline(rid, "explanation", "record").due_at == local(2026, 9, 9, 23, 59, 59)
        assert _escalations_of(rid, "explanation") == ["escalation_due"]  # still passed: nothing new
        assert "deadline_moved" in [e.action for e in audit(rid, "record")]
        await h.sleep_until(local(2026, 9, 14, 10))  # 严重逾期 at 09-09 + 3 WD, sent for the first time
        assert _escalations_of(rid, "explanation") == ["escalation_due", "escalation_serious"]


def _escalations_of(rid: int, key: str) -> list[str]:
    return [e.action for e in audit(rid, "record")
            if e.action.startswith("escalation_") and (e.data or {}).get("deadline") == key]
