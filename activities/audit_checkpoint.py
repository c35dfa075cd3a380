"""The daily checkpoint of the audit log: one row per day, written once (store/audit_chain.py)."""

from __future__ import annotations

from temporalio import activity

from domain.audit_messages import AuditCheckpointDone, AuditCheckpointRequest
from store.audit_chain import write_checkpoint
from store.db import session_scope


@activity.defn
def write_audit_checkpoint(req: AuditCheckpointRequest) -> AuditCheckpointDone:
    """Idempotent: a retry, or a second run for the same day, returns the checkpoint already written."""
    with session_scope() as session:
        cp = write_checkpoint(session, req.day, req.at)
        return AuditCheckpointDone(day=cp.day, count=cp.count, first_id=cp.first_id, last_id=cp.last_id, hash=cp.hash)
