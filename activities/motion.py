"""A B/C reply's promise becomes a commitment (建议提案 → 政务承诺), linked both ways: the commitment names its
motion (`motion_id`), the motion lists its commitments (`commitment_ids`). Idempotent: one commitment per reply
round, so a retried activity returns the commitment it made before. The commitment's workflow is started here
(`PromiseStarter`), not as a child: it outlives the motion by months and answers to nobody's close."""

from __future__ import annotations

from sqlmodel import col, select
from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.jurisdiction import department_profile
from domain.calendar import TZ
from domain.commitment import CommitmentState
from domain.messages import CommitmentStart, MotionPromiseRequest
from domain.motion import PROMISE_KIND
from store.db import session_scope
from store.models import Commitment, Motion
from workflows.commitment import CommitmentWorkflow


@activity.defn
def open_promise_commitment(req: MotionPromiseRequest) -> CommitmentStart:
    with session_scope() as session:
        motion = session.get(Motion, req.motion_id)
        if motion is None:
            raise LookupError(f"motion {req.motion_id} is not in the database")
        made = list(session.exec(select(Commitment).where(Commitment.motion_id == req.motion_id)
                                 .order_by(col(Commitment.id))).all())
        profile = department_profile(session, req.department)
        if len(made) >= req.round:
            row = made[req.round - 1]
        else:
            row = Commitment(department_code=req.department, kind=PROMISE_KIND, title=req.title,
                             content=req.promise, due_date=req.due_date, official=None,
                             state=CommitmentState.draft, profile_name=profile.name,
                             profile_version=profile.version, created_by=req.actor.username, created_at=req.at,
                             updated_at=req.at, motion_id=req.motion_id)
            session.add(row)
            session.flush()
        assert row.id is not None
        ids = list(motion.commitment_ids or [])
        if row.id not in ids:
            motion.commitment_ids = [*ids, row.id]
            session.add(motion)
        return CommitmentStart(commitment_id=row.id, department=row.department_code, title=row.title,
                               due_date=row.due_date, created_on=req.at.astimezone(TZ).date(), publish=True,
                               actor=req.actor, profile=profile)


class PromiseStarter:
    """Holds the worker's Temporal client: starting the promise's commitment workflow is an outside effect."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @activity.defn(name="start_promise_commitment")
    async def start_promise_commitment(self, start: CommitmentStart) -> None:
        """Idempotent: a commitment already started keeps running (USE_EXISTING)."""
        await self.client.start_workflow(
            CommitmentWorkflow.run, start, id=f"commitment-{start.commitment_id}",
            task_queue=activity.info().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING)
