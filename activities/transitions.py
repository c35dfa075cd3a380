"""Idempotent writes of case transitions: the audit event and the case row change together, keyed by
(case, event_key), so a retried activity writes once."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime
from sqlmodel import Session, SQLModel, select
from temporalio import activity

from domain.events import Event
from domain.messages import Transition
from store import attachments
from store.audit_chain import append_audit
from store.db import session_scope
from store.models import (
    AuditEvent,
    Commitment,
    CommitmentVersion,
    Complaint,
    IntegrityReport,
    Milestone,
    Motion,
    Objection,
    Record,
    UTCDateTime,
)

CASE_TABLES: dict[str, type[SQLModel]] = {"commitment": Commitment, "record": Record, "objection": Objection,
                                          "complaint": Complaint, "motion": Motion, "integrity_report": IntegrityReport}


def _coerce(model: type[SQLModel], changes: dict[str, Any]) -> dict[str, Any]:
    """Values arrive as JSON; turn ISO strings back into the column's date/datetime."""
    table = model.__table__  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for name, value in changes.items():
        column = table.columns[name]
        if isinstance(value, str) and isinstance(column.type, DateTime | UTCDateTime):
            value = datetime.fromisoformat(value)
        elif isinstance(value, str) and isinstance(column.type, Date):
            value = date.fromisoformat(value)
        out[name] = value
    return out


@activity.defn
def apply_transition(t: Transition) -> bool:
    """Append the audit event and apply the row changes; False when this event was already written."""
    with session_scope() as session:
        return write_transition(session, t)


def write_transition(session: Session, t: Transition) -> bool:
    """apply_transition in the caller's transaction (activities/step.py writes a whole step in one)."""
    exists = session.exec(
        select(AuditEvent.id).where(
            AuditEvent.case_type == t.case.case_type,
            AuditEvent.case_id == t.case.case_id,
            AuditEvent.event_key == t.event_key,
        )
    ).first()
    if exists is not None:
        return False
    model = CASE_TABLES.get(t.case.case_type)
    data = dict(t.data or {})
    flags = {k: v for k, v in t.changes.items() if isinstance(v, bool)}
    if flags:  # e.g. overdue set by a late rejection, cleared by a new deadline: reports read them back
        data["set"] = flags
    if model is not None and "department_code" in t.changes:  # a reassignment: keep where it came from,
        before = session.get(model, t.case.case_id)          # so past periods' reports stay as they were
        data["department_from"] = getattr(before, "department_code", None)
        data["department_to"] = t.changes["department_code"]
    append_audit(session, AuditEvent(
        case_type=t.case.case_type, case_id=t.case.case_id, event_key=t.event_key, action=t.action,
        from_state=t.from_state, to_state=t.to_state, actor=t.actor.username, role=t.actor.role,
        reason=t.reason, at=t.at, data=data or None,
    ))
    if model is not None and (t.changes or t.to_state):
        row = session.get(model, t.case.case_id)
        if row is None:
            raise LookupError(f"{t.case.case_type} {t.case.case_id} is not in the database")
        if t.action == Event.amendment_approved and isinstance(row, Commitment):
            _keep_old_text(session, row, t)
        changes = dict(t.changes)
        if t.to_state:
            changes["state"] = t.to_state
        changes["updated_at"] = t.at
        for name, value in _coerce(model, changes).items():
            setattr(row, name, value)
        session.add(row)
    _side_effects(session, t)  # milestone events change no case column, only their milestone's row
    return True


def _side_effects(session: Session, t: Transition) -> None:
    """Rows that belong to a transition besides the case row (kept in the same transaction)."""
    if t.data.get("attachments"):  # the step's files become the case's with the step, or not at all
        attachments.bind(session, t.data["attachments"], case_type=t.case.case_type, case_id=t.case.case_id,
                         step=t.action, event_key=t.event_key, at=t.at)
    if t.action == Event.milestone_done:
        m = session.exec(select(Milestone).where(
            Milestone.commitment_id == t.case.case_id, Milestone.seq == t.data["seq"])).one()
        m.done_at = t.at
        session.add(m)
    elif t.action == Event.milestone_overdue:
        m = session.exec(select(Milestone).where(
            Milestone.commitment_id == t.case.case_id, Milestone.seq == t.data["seq"])).one()
        m.overdue = True
        session.add(m)


def _keep_old_text(session: Session, row: Commitment, t: Transition) -> None:
    """An approved amendment keeps the text it replaces, visible with the reason."""
    version = 1 + len(session.exec(select(CommitmentVersion.id).where(
        CommitmentVersion.commitment_id == t.case.case_id)).all())
    session.add(CommitmentVersion(
        commitment_id=t.case.case_id, version=version, title=row.title, content=row.content,
        due_date=row.due_date, reason=t.reason or "", approved_by=t.actor.username, at=t.at,
    ))
