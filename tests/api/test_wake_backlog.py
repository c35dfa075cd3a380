"""The calendar waker keeps the cases' task queue below its bound (activities/calendar_change.py CaseWaker): while
the queue holds that many waiting workflow tasks it signals no further case, and it goes on once workers have taken
them, so a mass wake-up does not queue ahead of a clerk's next action; however full the queue says it is, it waits
at most WAKE_WAIT_SECONDS before a group. On a real dev server (the time-skipping
server cannot report a queue's backlog)."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities import calendar_change
from activities.calendar_change import CaseWaker


@workflow.defn(name="WaitsForever")
class WaitsForever:
    @workflow.signal(name="calendar_changed")
    def calendar_changed(self, _: object) -> None:
        pass

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)


async def _signalled(client: Client, workflow_id: str) -> bool:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED for e in history.events)


async def _reported(waker: CaseWaker, tasks: int) -> None:
    """Wait until the server reports the waiting tasks: its count is approximate and converges."""
    for _ in range(300):
        if await waker._waiting() >= tasks:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the dev server never reported {tasks} waiting tasks")


async def test_the_waker_waits_while_the_queue_holds_its_bound_and_goes_on_once_it_drains(
        temporal_client: Client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(calendar_change, "WAKE_CONCURRENCY", 1)
    monkeypatch.setattr(calendar_change, "WAKE_WAIT_SECONDS", 60.0)
    queue = f"waker-{uuid.uuid4()}"
    ids = [f"commitment-{n}-{uuid.uuid4().hex[:6]}" for n in range(2)]
    for wid in ids:  # their first tasks wait: nobody polls the queue yet
        await temporal_client.start_workflow("WaitsForever", id=wid, task_queue=queue)
    waker = CaseWaker(temporal_client, queue, 2)
    await _reported(waker, 2)
    waking = asyncio.create_task(ActivityEnvironment().run(waker.wake_cases, [*ids, "commitment-999999999"]))
    await asyncio.sleep(3)
    assert not waking.done()
    assert not any([await _signalled(temporal_client, wid) for wid in ids])  # nothing sent while the queue is full
    async with Worker(temporal_client, task_queue=queue, workflows=[WaitsForever],
                      workflow_runner=UnsandboxedWorkflowRunner()):
        assert await asyncio.wait_for(waking, 60) == 2  # the unknown case has nothing to wake
        assert all([await _signalled(temporal_client, wid) for wid in ids])


async def test_the_waker_does_not_wait_longer_than_its_limit_on_a_queue_that_stays_full(
        temporal_client: Client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A wrong count (or workers that are down) must not hold a wake-up back past the reminders it moves."""
    monkeypatch.setattr(calendar_change, "WAKE_WAIT_SECONDS", 1.0)
    queue = f"waker-{uuid.uuid4()}"
    wid = f"commitment-0-{uuid.uuid4().hex[:6]}"
    await temporal_client.start_workflow("WaitsForever", id=wid, task_queue=queue)  # nobody ever polls it
    waker = CaseWaker(temporal_client, queue, 1)
    await _reported(waker, 1)
    assert await asyncio.wait_for(ActivityEnvironment().run(waker.wake_cases, [wid]), 30) == 1
    assert await _signalled(temporal_client, wid)
