"""Commitment deadlines on the time-skipping server: reminders on the right working days, overdue at
the due instant, automatic breach after the grace period."""

from __future__ import annotations

from datetime import date, timedelta

from tests.workflows.harness import audit, commitment_row, deadline, harness_at, local, outbox


def _reminder_days(cid: int) -> list[date]:
    return [row.deliver_at.astimezone(local(2026, 1, 1).tzinfo).date() for row in outbox(cid, "deadline_reminder")]


async def test_reminders_skip_national_day_and_land_on_adjusted_saturday(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, _ = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 13, 12))
        # 3 WD before 10-13 is Friday 10-09 (10-10 is an adjusted working Saturday, 10-01..07 are holidays)
        assert _reminder_days(cid) == [date(2026, 10, 9), date(2026, 10, 12), date(2026, 10, 13)]
        assert all(r.status == "sent" for r in outbox(cid, "deadline_reminder"))
        assert [r.deliver_at.astimezone(local(2026, 1, 1).tzinfo).strftime("%H:%M") for r in
                outbox(cid, "deadline_reminder")] == ["08:30"] * 3
        reminders = smtp_sink.to("fgw@test.local")
        assert sum("【时限提醒】" in str(m["Subject"]) for m in reminders) == 3
        assert commitment_row(cid).overdue is False


async def test_reminders_across_spring_festival(smtp_sink) -> None:
    async with harness_at(local(2026, 2, 2, 10)) as h:
        cid, _ = await h.commitment(date(2026, 2, 25))
        await h.sleep_until(local(2026, 2, 25, 12))
        # 2026-02-14 is an adjusted working Saturday; 02-15..02-23 are Spring Festival rest days
        assert _reminder_days(cid) == [date(2026, 2, 13), date(2026, 2, 24), date(2026, 2, 25)]


async def test_overdue_at_due_then_escalations_then_automatic_breach(smtp_sink) -> None:
    async with harness_at(local(2026, 9, 20, 10)) as h:
        cid, handle = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 13, 23, 59, 0))
        assert commitment_row(cid).overdue is False
        await h.sleep_until(local(2026, 10, 14, 0, 1))
        row = commitment_row(cid)
        assert row.overdue is True and row.state == "published"
        # the escalation waits for the send window: 08:30 on the next working day
        escalations = outbox(cid, "deadline_escalation")
        assert {e.recipient for e in escalations} == {"fgw@test.local", "fgw-sup@test.local"}
        assert escalations[0].deliver_at == local(2026, 10, 14, 8, 30)  # queued at 00:00:00
        grace = deadline(cid, "grace-2026-10-13")
        assert grace.due_at == local(2026, 10, 20, 23, 59, 59)  # 5 WD after 10-13
        await h.sleep_until(local(2026, 10, 20, 23, 0))
        assert commitment_row(cid).state == "published"
        assert "escalation_serious" in [e.action for e in audit(cid)]  # +3 WD: 10-16
        assert await handle.result() == "breached"
        row = commitment_row(cid)
        assert row.state == "breached"
        breach = [e for e in audit(cid) if e.action == "breached"][0]
        assert breach.actor == "system"
        assert abs(breach.at - local(2026, 10, 21)) < timedelta(seconds=1)  # right after 10-20 23:59:59
        assert deadline(cid, "due").status == "missed"
        await h.env.sleep(timedelta(days=1))
        assert any("未践诺" in s for s in smtp_sink.subjects("fgw-sup@test.local"))
