"""Registering a suggestion or proposal: allocate its row (the id), then start `motion-{id}` idempotently.

The API writes only the initial row; every later change is the workflow's, through activities."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select
from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from activities.jurisdiction import department_profile
from domain.calendar import TZ
from domain.messages import Actor, MotionStart
from domain.motion import MotionState
from domain.settings import get_settings
from store.models import Department, Motion
from workflows.motion import MotionWorkflow


def workflow_id(motion_id: int) -> str:
    return f"motion-{motion_id}"


def insert_motion(session: Session, *, kind: str, number: str, title: str, content: str, deputy_name: str,
                  deputy_contact: str | None, department: str, co_departments: list[str], actor: Actor,
                  now: datetime) -> tuple[Motion, MotionStart]:
    """The lead unit's jurisdiction gives the periods (its rule profile)."""
    profile = department_profile(session, department)
    row = Motion(kind=kind, number=number, title=title, content=content, deputy_name=deputy_name,
                 deputy_contact=deputy_contact, department_code=department, co_departments=co_departments,
                 state=MotionState.assigned, created_by=actor.username, profile_name=profile.name,
                 profile_version=profile.version, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    start = MotionStart(motion_id=row.id, kind=kind, number=number, title=title, department=department,
                        co_departments=co_departments, assigned_on=now.astimezone(TZ).date(), actor=actor,
                        profile=profile, unit_names=_names(session, [department, *co_departments]))
    return row, start


def _names(session: Session, codes: list[str]) -> dict[str, str]:
    return {d.code: d.name for d in session.exec(select(Department).where(col(Department.code).in_(codes)))}


async def start_motion(client: Client, start: MotionStart, task_queue: str | None = None) -> WorkflowHandle:
    return await client.start_workflow(
        MotionWorkflow.run, start, id=workflow_id(start.motion_id),
        task_queue=task_queue or get_settings().task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
