"""Starting `record-{id}` for a record row the credit office entered (id = workflow business id)."""

from __future__ import annotations

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from domain.messages import RecordStart
from domain.settings import get_settings
from workflows.record import RecordWorkflow


def record_workflow_id(record_id: int) -> str:
    return f"record-{record_id}"


async def start_record(client: Client, start: RecordStart, task_queue: str | None = None) -> WorkflowHandle:
    return await client.start_workflow(
        RecordWorkflow.run, start, id=record_workflow_id(start.record_id),
        task_queue=task_queue or get_settings().task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
