"""The admins' notice about a provisional (暂定) year is queued once per year and address, and only the case that
queued it delivers it: many cases planning deadlines in that year at the same moment (concurrent activities, on
whichever database the suite runs: SQLite, or PostgreSQL in CI) queue one row per address, and every other case
starts no send activity for it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

from sqlmodel import select
from temporalio import activity
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.deadlines import plan_deadline
from activities.provisional import ORPHANED_AFTER, event_key
from domain.deadlines import DeadlineSpec
from domain.messages import CaseRef, PlanRequest
from store.db import session_scope
from store.models import Outbox, User
from tests.workflows.harness import harness_at, local

CASES = 40
AT = local(2026, 11, 23, 9)


def _request(case_id: int, at=AT) -> PlanRequest:  # type: ignore[no-untyped-def]
    spec = DeadlineSpec(key="due", label="承诺办结时限", basis="b", start_event="e", start_date=date(2026, 11, 23),
                        unit="fixed_date", fixed_due=date(2027, 3, 1))
    return PlanRequest(case=CaseRef(case_type="commitment", case_id=case_id, department="fgw"), spec=spec,
                       binds="department:fgw", at=at)


def _rows() -> list[Outbox]:
    with session_scope() as s:
        return list(s.exec(select(Outbox).where(Outbox.event_key == event_key(2027))).all())


def test_many_cases_planning_at_once_queue_one_notice_per_address_and_one_case_delivers_it() -> None:
    with session_scope() as s:
        s.add(User(username="root", password_hash="x", role="admin", email="root@test.local"))
    with ThreadPoolExecutor(max_workers=16) as pool:
        plans = list(pool.map(plan_deadline, [_request(i) for i in range(1, CASES + 1)]))
    assert all(p.deadline.provisional for p in plans)
    rows = _rows()
    assert sorted(r.recipient for r in rows) == ["admin@test.local", "root@test.local"]
    handed = Counter(n.outbox_id for p in plans for n in p.notices)
    assert handed == Counter({r.id: 1 for r in rows})  # each row to exactly one case
    queuer = next(i for i, p in enumerate(plans, 1) if rows[0].id in [n.outbox_id for n in p.notices])
    assert f"commitment {queuer}" in rows[0].text  # the notice names the case whose insert queued it

    # the queuing case's activity retried (same instant), as if the first attempt died after its commit: it is
    # handed its rows again, and nothing new is queued
    retried = ActivityEnvironment()
    retried.info = dataclasses.replace(retried.info, attempt=2)
    again = retried.run(plan_deadline, _request(queuer))
    assert rows[0].id in [n.outbox_id for n in again.notices] and len(_rows()) == 2
    # a case planning later while the row is in hand (or sent) starts nothing
    assert plan_deadline(_request(CASES + 1, AT + timedelta(minutes=1))).notices == []


def test_a_notice_whose_case_never_delivered_it_is_taken_over_by_the_next_case() -> None:
    first = plan_deadline(_request(1))
    assert len(first.notices) == 1
    soon = plan_deadline(_request(2, AT + ORPHANED_AFTER - timedelta(seconds=1)))
    assert soon.notices == []
    later = plan_deadline(_request(3, AT + ORPHANED_AFTER))
    assert [n.outbox_id for n in later.notices] == [n.outbox_id for n in first.notices]


class CountSends(Interceptor):
    """Counts, per outbox id, the send activities that were handed it (send_notice, or a step's send_notices)."""

    def __init__(self) -> None:
        self.sends: Counter[int] = Counter()

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        outer = self

        class _Inbound(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> object:
                kind = activity.info().activity_type
                if kind == "send_notice":
                    outer.sends[int(input.args[0])] += 1
                elif kind == "send_notices":
                    outer.sends.update(int(i) for i in input.args[0])
                return await super().execute_activity(input)

        return _Inbound(next)


async def test_cases_started_together_send_the_years_notice_once(smtp_sink) -> None:
    counter = CountSends()
    async with harness_at(AT, interceptors=[counter]) as h:
        await asyncio.gather(*(h.commitment(date(2027, 1, 15) + timedelta(days=i)) for i in range(8)))
        await h.env.sleep(timedelta(hours=1))
        rows = _rows()
        assert len(rows) == 1 and rows[0].status == "sent"
        assert counter.sends[rows[0].id or 0] == 1  # only the case that queued it started a send
        alerts = [m for m in smtp_sink.to("admin@test.local") if "2027年节假日安排未录入" in str(m["Subject"])]
        assert len(alerts) == 1
