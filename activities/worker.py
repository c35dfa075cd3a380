"""The worker: registers every workflow and activity on the task queue. `python -m activities.worker`."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from activities.deadline_activities import plan_deadline, set_deadline_status
from activities.notify import queue_notice, send_notice
from activities.records import objections_open_on, open_breach_record, open_complaint_record
from activities.store import apply_transition
from domain.settings import get_settings
from workflows.commitment import CommitmentWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.objection import ObjectionWorkflow
from workflows.record import RecordWorkflow

WORKFLOWS = [CommitmentWorkflow, RecordWorkflow, ObjectionWorkflow, ComplaintWorkflow]
ACTIVITIES = [apply_transition, plan_deadline, set_deadline_status, queue_notice, send_notice, open_breach_record,
              open_complaint_record, objections_open_on]


async def connect_client() -> Client:
    s = get_settings()
    return await Client.connect(s.temporal_address, namespace=s.temporal_namespace,
                                data_converter=pydantic_data_converter)


def build_worker(client: Client, task_queue: str | None = None, **options: object) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or get_settings().task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        activity_executor=ThreadPoolExecutor(max_workers=16),
        **options,  # type: ignore[arg-type]
    )


async def _main() -> None:
    client = await connect_client()
    await build_worker(client).run()


if __name__ == "__main__":
    asyncio.run(_main())
