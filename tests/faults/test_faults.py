"""Chengxin keeps every case and every notice through failures: a killed worker, a restarted Temporal
server, an SMTP server that is down, a database that cannot be reached for 30 seconds.

Each test drives cases through the HTTP API (as staff do), breaks one part, heals it, and then checks
what users would see: the case went on, every notice arrived exactly once, no step was lost or doubled.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateStage

from api import temporal_errors
from api.validation import today_local
from domain.messages import Actor, FulfilmentReport
from store.db import get_engine, session_scope
from store.models import AuditEvent, Commitment, Outbox
from tests.faults.conftest import Stack, until
from workflows.commitment import CommitmentWorkflow

PROBLEM = "application/problem+json"
OUTAGE_SECONDS = 30  # issue 7: "the database is unreachable for 30 s"


def _commitment(title: str) -> dict[str, object]:
    due = today_local() + timedelta(days=60)
    return {"kind": "processing_time", "title": title, "content": "承诺内容", "due_date": due.isoformat(),
            "milestones": [{"title": "制定方案", "due_date": (due - timedelta(days=30)).isoformat()}],
            "publish": True}


async def _register(api: httpx.AsyncClient, headers: dict[str, str], title: str) -> int:
    r = await api.post("/api/commitments", json=_commitment(title), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _state(cid: int) -> str:
    with session_scope() as session:
        row = session.get(Commitment, cid)
        return row.state if row else "missing"


def _actions(cid: int) -> list[str]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent.action).where(
            AuditEvent.case_type == "commitment", AuditEvent.case_id == cid).order_by(col(AuditEvent.id))))


def _outbox(cid: int) -> list[Outbox]:
    with session_scope() as session:
        return list(session.exec(select(Outbox).where(Outbox.case_type == "commitment", Outbox.case_id == cid)))


def _every_notice() -> list[Outbox]:
    with session_scope() as session:
        return list(session.exec(select(Outbox)))


def _receipts(stack: Stack, cid: int) -> int:
    """E-mails the department received about registering case `cid` (the subject names the case)."""
    return sum(1 for m in stack.mail.messages if "已登记" in str(m["Subject"]) and f"编号 {cid}" in str(m["Subject"]))


async def _published(cids: list[int], seconds: float = 60) -> None:
    await until(lambda: all(_state(c) == "published" for c in cids), seconds, f"cases {cids} published")


async def test_worker_killed_mid_case_the_case_continues_after_restart(stack: Stack, api, staff,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(temporal_errors, "UPDATE_WAIT_SECONDS", 8.0)
    first = await _register(api, staff["fgw"], "企业开办一日办结")
    await _published([first])
    # killed between steps, not inside an e-mail hand-over (that one is retried after the claim lease)
    await until(lambda: all(n.status == "sent" for n in _every_notice()), 30, "the first case's notices sent")
    stack.kill_worker()

    # with no worker, staff can still register and act; the work waits in Temporal, not in memory
    second = await _register(api, staff["fgw"], "工程建设项目审批提速")
    keyed = {**staff["fgw"], "Idempotency-Key": "report-first"}
    report = asyncio.create_task(api.post(f"/api/commitments/{first}/fulfilment", json={"report": "已按期办结"},
                                          headers=keyed))
    await asyncio.sleep(3)
    assert not report.done() and _state(first) == "published" and _state(second) == "draft"
    # no worker to apply it within the wait: the caller is told so, with the case's true state
    r = await asyncio.wait_for(report, 60)
    assert r.status_code == 503 and r.headers["Retry-After"] and r.json()["state"] == "published", r.text

    stack.start_worker()
    # the same request again, as Retry-After says, until the worker is back: applied once, its outcome returned
    for _ in range(10):
        r = await api.post(f"/api/commitments/{first}/fulfilment", json={"report": "已按期办结"}, headers=keyed)
        if r.status_code != 503:
            break
    assert r.status_code == 200 and r.json()["state"] == "fulfilment_reported", r.text
    await _published([second])
    await until(lambda: _receipts(stack, second) == 1, 60, "the second case's receipt e-mail")
    assert _actions(first).count("fulfilment_reported") == 1
    assert _actions(second)[:2] == ["created", "published"] and _receipts(stack, first) == 1


def _pending_timers(events: list) -> dict[int, timedelta]:  # type: ignore[type-arg]
    started = {e.event_id: e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
               for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED}
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            started.pop(e.timer_fired_event_attributes.started_event_id, None)
        elif e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            started.pop(e.timer_canceled_event_attributes.started_event_id, None)
    return started


async def test_temporal_server_restarted_on_its_database_keeps_open_cases_and_their_timers(
        stack: Stack, api, staff) -> None:
    cid = await _register(api, staff["fgw"], "企业开办一日办结")
    await _published([cid])
    assert stack.client is not None
    handle = stack.client.get_workflow_handle(f"commitment-{cid}")
    for _ in range(100):  # the clocks start their timers right after the case is published
        timers = _pending_timers((await handle.fetch_history()).events)
        if len(timers) >= 2:
            break
        await asyncio.sleep(0.1)
    assert len(timers) >= 2, f"an open commitment waits on durable timers (milestone, due date): {timers}"

    stack.stop_temporal()
    r = await api.post("/api/commitments", json=_commitment("引擎停机时登记"), headers=staff["fgw"])
    assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM), r.text
    with session_scope() as session:  # refused whole: no row left behind for a case that never started
        assert session.exec(select(Commitment).where(Commitment.title == "引擎停机时登记")).first() is None

    await stack.start_temporal()  # same port, same database file; worker and app reconnect by themselves
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert _pending_timers((await handle.fetch_history()).events) == timers
    r = await api.post(f"/api/commitments/{cid}/fulfilment", json={"report": "已按期办结"}, headers=staff["fgw"])
    assert r.status_code == 200 and r.json()["state"] == "fulfilment_reported", r.text
    after = await api.post("/api/commitments", json=_commitment("引擎恢复后登记"), headers=staff["fgw"])
    assert after.status_code == 201, after.text
    await _published([after.json()["id"]])


async def test_smtp_down_notices_wait_in_the_outbox_and_arrive_once_when_it_returns(
        stack: Stack, api, staff) -> None:
    stack.stop_smtp()
    cids = [await _register(api, staff["fgw"], f"承诺{n}") for n in range(3)]
    await _published(cids)
    await until(lambda: all(n.status == "pending" and n.attempts >= 1 and n.last_error
                            for c in cids for n in _outbox(c)) and all(_outbox(c) for c in cids),
                30, "every notice tried, failed and kept pending")
    assert stack.mail.messages == []

    stack.start_smtp()
    await until(lambda: all(n.status == "sent" for n in _every_notice()), 90, "every notice sent")
    await asyncio.sleep(3)  # a late duplicate would show up here
    sent = Counter((str(m["To"]), str(m["Subject"])) for m in stack.mail.messages)
    assert max(sent.values()) == 1 and sum(sent.values()) == len(_every_notice()), sent
    assert all(_receipts(stack, c) == 1 for c in cids)


@contextmanager
def _database_unreachable() -> Iterator[None]:
    """PostgreSQL: the database refuses connections and the open ones are cut. SQLite: another process
    holds the write lock, so every writer waits out its busy time-out and fails."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        name = engine.url.database
        admin = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            admin.dispose()
        return
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        conn = sqlite3.connect(engine.url.database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait()
        conn.execute("ROLLBACK")
        conn.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join()


async def test_database_unreachable_for_30s_activities_retry_and_no_step_is_lost_or_doubled(
        stack: Stack, api, staff) -> None:
    cids = [await _register(api, staff["fgw"], f"承诺{n}") for n in range(3)]
    await _published(cids)
    await until(lambda: all(_receipts(stack, c) == 1 for c in cids), 30, "receipts before the outage")
    assert stack.client is not None
    actor = Actor(username="fgw", role="department", department="fgw")
    with _database_unreachable():
        # accepted by the workflows now; written by their activities once the database is back
        updates = [await stack.client.get_workflow_handle(f"commitment-{c}").start_update(
            CommitmentWorkflow.report_fulfilment, FulfilmentReport(actor=actor, report="已按期办结"),
            wait_for_stage=WorkflowUpdateStage.ACCEPTED) for c in cids]
        await asyncio.sleep(OUTAGE_SECONDS)
        r = await api.get(f"/api/commitments/{cids[0]}")
        if get_engine().dialect.name == "postgresql":  # readers are told to come back, in words
            assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM), r.text
            assert r.headers["Retry-After"]
        else:  # SQLite readers still read (WAL); the write waits
            assert r.status_code == 200 and r.json()["state"] == "published"
    views = await asyncio.wait_for(asyncio.gather(*(u.result() for u in updates)), 120)
    assert [v.state for v in views] == ["fulfilment_reported"] * 3
    for c in cids:
        assert _state(c) == "fulfilment_reported"
        assert _actions(c).count("fulfilment_reported") == 1
    await until(lambda: all(n.status == "sent" for n in _every_notice()), 60, "every notice sent")
    await asyncio.sleep(3)
    sent = Counter((str(m["To"]), str(m["Subject"])) for m in stack.mail.messages)
    assert max(sent.values()) == 1 and sum(sent.values()) == len(_every_notice()), sent
    r = await api.get(f"/api/commitments/{cids[0]}")
    assert r.status_code == 200 and r.json()["state"] == "fulfilment_reported"
