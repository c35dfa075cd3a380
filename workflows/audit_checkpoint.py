"""The audit log's daily checkpoint (`audit-checkpoint-run`, started by the `audit-checkpoint` Schedule at 00:10
Beijing time): one activity, which checkpoints the day that has just ended."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.audit_checkpoint import write_audit_checkpoint
    from domain.audit_messages import AuditCheckpointDone, AuditCheckpointRequest, AuditCheckpointRun
    from workflows.common import DB_ACTIVITY, today_local


@workflow.defn
class AuditCheckpointWorkflow:
    @workflow.run
    async def run(self, run: AuditCheckpointRun) -> AuditCheckpointDone:
        day = run.day or today_local() - timedelta(days=1)
        return await workflow.execute_activity(
            write_audit_checkpoint, AuditCheckpointRequest(day=day, at=workflow.now()), **DB_ACTIVITY)
