"""Notices reach the real SMTP server exactly once, even when the send activity is retried after it
had already delivered (the outbox row remembers)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

from activities.mail_message import build_message
from activities.notify import render
from store.models import Outbox
from tests.workflows.harness import FailFirstAfterRunning, harness_at, local, outbox


async def test_reminder_arrives_once_when_send_activity_is_retried(smtp_sink) -> None:
    interceptor = FailFirstAfterRunning("send_notices")
    async with harness_at(local(2026, 10, 8, 9), interceptors=[interceptor]) as h:
        cid, _ = await h.commitment(date(2026, 10, 13))
        await h.sleep_until(local(2026, 10, 13, 12))
        reminders = outbox(cid, "deadline_reminder")
        assert len(reminders) == 3 and all(r.status == "sent" for r in reminders)
        assert interceptor.failed >= 4  # receipt and publication (one step), the three reminders: each send failed once
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


def test_a_line_break_in_a_subject_never_reaches_the_header() -> None:
    """Rows queued before titles were checked may hold a line break: the e-mail still has one Subject line and
    no header of the title's making."""
    title = "企业开办\r\nBcc: victim@example.com\u2028一日办结"
    subject, _, _ = render("case_update", {"case_type": "commitment", "case_type_zh": "政务承诺", "case_id": 3,
                                           "title": title, "event_label": "承诺已发布", "state_zh": "已发布"})
    assert subject == "【政务承诺】企业开办 Bcc: victim@example.com 一日办结：承诺已发布"
    now = datetime.now(UTC)
    row = Outbox(id=7, case_type="commitment", case_id=3, event_key="0001:published", recipient="fgw@test.local",
                 template="case_update", subject=f"【政务承诺】{title}", text="正文", html="<p>正文</p>",
                 deliver_at=now, created_at=now)
    sent = message_from_bytes(build_message(row).as_bytes(), policy=policy.default)
    assert sent["Subject"] == "【政务承诺】企业开办 Bcc: victim@example.com 一日办结" and sent["Bcc"] is None


async def test_a_notice_refused_for_hours_turns_failed_at_the_attempt_limit_and_alerts_the_admin(smtp_sink) -> None:
    """The default limit, on skipped time: thirty temporary refusals (about four hours of back-off)."""
    smtp_sink.refused["fgw@test.local"] = "451 4.3.0 try again later"
    async with harness_at(local(2026, 10, 8, 9)) as h:
        cid, _ = await h.commitment(date(2026, 10, 30))
        await h.env.sleep(timedelta(minutes=1))
        first = outbox(cid, "commitment_received")
        assert len(first) == 1 and first[0].status == "pending" and 1 <= first[0].attempts < 30
        assert "邮件服务器暂不接收该收件地址" in (first[0].last_error or "") and smtp_sink.messages == []
        await h.env.sleep(timedelta(hours=5))
        assert {(n.status, n.attempts) for n in outbox(cid) if n.recipient == "fgw@test.local"} == {("failed", 30)}
        # every notice to the refused address fails (the receipt, and others of the case): one alert each
        alerts = await smtp_sink.wait_for(
            lambda m: f"【通知投递失败】通知 {first[0].id} 未能送达 fgw@test.local" in str(m["Subject"]))
        assert len(alerts) == 1 and "已尝试：30 次" in alerts[0].get_body(("plain",)).get_content()
