"""Notices reach the real SMTP server exactly once, even when the send activity is retried after it
had already delivered (the outbox row remembers)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from tests.workflows.harness import FailFirstAfterRunning, harness_at, local, outbox


async def test_reminder_arrives_once_when_send_activity_is_retried(smtp_sink) -> None:
    interceptor = FailFirstAfterRunning("send_notice")
    async with harness_at(local(2026, 10, 8, 9), interceptors=[interceptor]) as h:
        cid, _ = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 13, 12))
        reminders = outbox(cid, "deadline_reminder")
        assert len(reminders) == 3 and all(r.status == "sent" for r in reminders)
        assert interceptor.failed >= 4  # receipt, publication and the three reminders each failed once
        received = [m for m in smtp_sink.to("fgw@test.local") if "【时限提醒】" in str(m["Subject"])]
        assert len(received) == 3
        assert max(Counter(str(m["Message-ID"]) for m in smtp_sink.messages).values()) == 1


async def test_first_provisional_deadline_alerts_admins_once(smtp_sink) -> None:
    async with harness_at(local(2026, 11, 23, 9)) as h:
        await h.commitment(date(2027, 1, 15))
        await h.commitment(date(2027, 3, 1))
        await h.env.sleep(timedelta(hours=1))
        alerts = [m for m in smtp_sink.to("admin@test.local") if "2027年节假日安排未录入" in str(m["Subject"])]
        assert len(alerts) == 1
        body = alerts[0].get_body(("plain",)).get_content()
        assert "暂定" in body and "chengxin calendar add" in body
