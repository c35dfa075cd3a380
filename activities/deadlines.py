"""Activities behind the workflow deadline helper: project a deadline on the newest calendar and
keep its read-model row (with receipt) current. Clock-free: the caller passes every instant."""

from __future__ import annotations

from sqlmodel import Session, select
from temporalio import activity

from activities.provisional import alert_admins_once
from domain.calendar import Deadline
from domain.deadlines import ScheduledEvent, project, schedule
from domain.messages import DeadlineStatus, Plan, PlanRequest
from store.calendars import load_calendar
from store.db import session_scope
from store.models import DeadlineRow


@activity.defn
def plan_deadline(req: PlanRequest) -> Plan:
    with session_scope() as session:
        deadline, events = write_plan(session, req)
    # The year's notice to the admins: queued and delivered by the first case that meets the year, not by each.
    alerts = alert_admins_once(req.case, deadline.due_date.year, req.at) if deadline.provisional else []
    return Plan(deadline=deadline, events=events, paused=req.spec.paused, notices=alerts)


@activity.defn
def set_deadline_status(req: DeadlineStatus) -> None:
    with session_scope() as session:
        set_deadline_status_in(session, req)


def set_deadline_status_in(session: Session, req: DeadlineStatus) -> None:
    """Set a deadline row's status in the caller's transaction (set_deadline_status, activities/step.py)."""
    row = session.exec(
        select(DeadlineRow).where(
            DeadlineRow.case_type == req.case.case_type,
            DeadlineRow.case_id == req.case.case_id,
            DeadlineRow.key == req.key,
        )
    ).first()
    if row is not None:
        row.status = req.status
        session.add(row)


def write_plan(session: Session, req: PlanRequest) -> tuple[Deadline, list[ScheduledEvent]]:
    """Project the deadline on the newest calendar and keep its row, in the caller's transaction (plan_deadline,
    activities/step.py)."""
    cal = load_calendar(session)
    deadline = project(req.spec, cal)
    events = [] if req.spec.paused else schedule(deadline, req.reminders, cal)
    row = session.exec(
        select(DeadlineRow).where(
            DeadlineRow.case_type == req.case.case_type,
            DeadlineRow.case_id == req.case.case_id,
            DeadlineRow.key == req.spec.key,
        )
    ).first()
    if row is None:
        row = DeadlineRow(case_type=req.case.case_type, case_id=req.case.case_id, key=req.spec.key,
                          label=req.spec.label, binds=req.binds, due_at=deadline.due_at)
    row.label = req.spec.label
    row.binds = req.binds
    row.department_code = req.case.department
    row.due_at = deadline.due_at
    row.provisional = deadline.provisional
    row.calendar_version = cal.version
    row.receipt = deadline.receipt.model_dump(mode="json")
    row.spec = req.spec.model_dump(mode="json")
    row.reminders = req.reminders.model_dump(mode="json") if req.reminders else {}
    if row.status in ("open", "paused"):
        row.status = "paused" if req.spec.paused else "open"
    session.add(row)
    return deadline, events
