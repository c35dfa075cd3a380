"""Registering a commitment: allocate its row (the id), then start `commitment-{id}` idempotently.

The API writes only the initial row (its id is the workflow's business id); every later change of
state is the workflow's, through activities.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.jurisdiction import department_profile
from domain.calendar import TZ
from domain.commitment import CommitmentState
from domain.messages import Actor, CommitmentStart, MilestoneSpec
from domain.profiles import load_profile
from domain.settings import get_settings
from store.models import Commitment, Milestone
from workflows.commitment import CommitmentWorkflow

_INSERT_COMMITMENT = insert(Commitment).returning(col(Commitment.id))


def workflow_id(commitment_id: int) -> str:
    return f"commitment-{commitment_id}"


def insert_commitment(session: Session, *, department: str, kind: str, title: str, content: str, due_date: date,
                      official: str | None, milestones: list[tuple[str, date]], actor: Actor, now: datetime,
                      profile_name: str | None = None) -> tuple[Commitment, CommitmentStart]:
    """One INSERT … RETURNING id (SQLAlchemy Core): the ORM unit of work cost more CPU than the whole
    statement on the API's hottest path (bench/commitments_vs_raw.py). The returned row is detached."""
    profile = load_profile(profile_name) if profile_name else department_profile(session, department)
    values: dict[str, Any] = {"department_code": department, "kind": kind, "title": title, "content": content,
              "due_date": due_date, "official": official, "state": CommitmentState.draft,
              "profile_name": profile.name, "profile_version": profile.version, "created_by": actor.username,
              "created_at": now, "updated_at": now}
    commitment_id = session.connection().execute(_INSERT_COMMITMENT, values).scalar_one()  # no ORM bulk path
    assert commitment_id is not None
    row = Commitment.model_construct(id=commitment_id, **values)
    specs = []
    for seq, (m_title, m_due) in enumerate(milestones, start=1):
        session.add(Milestone(commitment_id=commitment_id, seq=seq, title=m_title, due_date=m_due))
        specs.append(MilestoneSpec(seq=seq, title=m_title, due_date=m_due))
    start = CommitmentStart(commitment_id=commitment_id, department=department, title=title, due_date=due_date,
                            created_on=now.astimezone(TZ).date(), milestones=specs, publish=False, actor=actor,
                            profile=profile)
    return row, start


def discard_unstarted(session: Session, commitment_id: int) -> None:
    """The workflow could not be started: remove the row (and its milestones) so nothing half-made stays."""
    session.execute(delete(Milestone).where(col(Milestone.commitment_id) == commitment_id))
    session.execute(delete(Commitment).where(col(Commitment.id) == commitment_id))
    session.commit()


async def start_commitment(client: Client, start: CommitmentStart, publish: bool,
                           task_queue: str | None = None) -> WorkflowHandle:
    start = start.model_copy(update={"publish": publish})
    return await client.start_workflow(
        CommitmentWorkflow.run, start, id=workflow_id(start.commitment_id),
        task_queue=task_queue or get_settings().task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
