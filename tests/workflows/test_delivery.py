"""归集共享 on skipped time: a published record is queued for the platform and retried while the platform is
unreachable; a retraction that cannot be delivered within the profile's period alerts the credit office and
the admins once, and goes on trying."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from domain.messages import CaseRef, DeliveryStart
from store.db import session_scope
from store.models import Delivery, Platform
from tests.conftest import free_port
from tests.workflows.harness import Harness, audit, eventually, harness_at, local, outbox
from workflows.delivery import DeliveryWorkflow


def _platform(url: str) -> int:
    with session_scope() as session:
        p = Platform(name="市公共信用信息平台", url=url, sender_code="county", key_id="k-1", secret="s" * 32,
                     record_severities=["general", "serious"], commitments=True,
                     created_at=local(2026, 10, 1).astimezone(UTC))
        session.add(p)
        session.flush()
        return p.id or 0


async def _sleep_in_steps(h: Harness, until: datetime) -> None:
    """Half a day at a time: one skip over days of retries may outlast the test server's answer."""
    while await h.now() < until:
        await h.env.sleep(min(timedelta(hours=12), until - await h.now()))


def _deliveries() -> list[Delivery]:
    with session_scope() as session:
        return list(session.exec(select(Delivery)).all())


async def test_a_published_record_is_queued_once_and_retried_while_the_platform_is_down(smtp_sink) -> None:
    _platform(f"http://127.0.0.1:{free_port()}/api/sharing/v1/deliveries")  # nobody listens there
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid, _ = await h.record("general", date(2026, 9, 30))
        await eventually(lambda: len(_deliveries()) == 1 and _deliveries()[0].attempts >= 1)
        await h.env.sleep(timedelta(hours=2))
        d = _deliveries()
        assert len(d) == 1 and d[0].item_type == "record" and d[0].item_id == rid and not d[0].retract
        assert d[0].delivered_at is None and d[0].attempts >= 3 and "无法连接接收平台" in (d[0].last_error or "")
        assert d[0].due_at is None  # only a retraction has a deadline


async def test_an_undelivered_retraction_alerts_the_credit_office_once_after_three_working_days(smtp_sink) -> None:
    """The delivery is queued as the record's repair would queue it (the record itself runs elsewhere)."""
    async with harness_at(local(2026, 10, 8, 9)) as h:
        rid = 41
        platform = _platform(f"http://127.0.0.1:{free_port()}/api/sharing/v1/deliveries")
        due = local(2026, 10, 13, 23, 59, 59)  # Thu 8th + 3 working days = Tue 13th
        with session_scope() as session:
            row = Delivery(uid="retract-1", platform_id=platform, item_type="record", item_id=rid,
                           event_key="0009:repaired", version=10_000, retract=True, body="{}",
                           created_at=(await h.now()).astimezone(UTC), due_at=due.astimezone(UTC))
            session.add(row)
            session.flush()
            did = row.id or 0
        await h.env.client.start_workflow(DeliveryWorkflow.run, DeliveryStart(
            delivery_id=did, uid="retract-1", case=CaseRef(case_type="record", case_id=rid, department="fgw"),
            platform="市公共信用信息平台", title="市发展和改革委员会拖欠账款", due_at=due,
            max_interval_seconds=6 * 3600),
            id="delivery-retract-1", task_queue=h.task_queue)
        await _sleep_in_steps(h, local(2026, 10, 13, 20))
        assert outbox(rid, "push_overdue", case_type="record") == []
        await _sleep_in_steps(h, local(2026, 10, 14, 9))
        mails = await smtp_sink.wait_for(lambda m: "【撤回推送逾期】" in str(m["Subject"]))
        assert {str(m["To"]) for m in mails} >= {"xyb@test.local"}
        assert [e.reason for e in audit(rid, "record") if e.action == "push_overdue"] == [
            "撤回信息未能在时限内送达市公共信用信息平台，仍在重试"]
        await _sleep_in_steps(h, local(2026, 10, 16, 9))
        assert len(outbox(rid, "push_overdue", case_type="record")) == len({str(m["To"]) for m in mails})
        row = next(d for d in _deliveries() if d.uid == "retract-1")
        assert row.delivered_at is None and row.escalated_at is not None and row.attempts > 10
