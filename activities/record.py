"""Opening dishonesty records: one function for the API (credit office enters a record) and for the
activity a breached commitment calls (idempotent through the record's source key)."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from temporalio import activity

from domain.calendar import TZ
from domain.messages import SYSTEM, Actor, BreachRecordRequest, CaseRef, ComplaintRecordRequest, RecordStart
from domain.profiles import RuleProfile
from domain.record import CATEGORIES, RecordState, publicity_ends, repair_possible_from
from store.db import session_scope
from store.models import Commitment, Complaint, Department, Objection, Record


def record_title(category: str, department_name: str) -> str:
    return f"{department_name}：{CATEGORIES.get(category, category)}"


def insert_record(session: Session, *, department: str, official: str | None, category: str, severity: str,
                  facts: str, decision_date: date, rectification_due: date | None, shared_with: list[str] | None,
                  actor: Actor, now: datetime, profile: RuleProfile, source: tuple[str, int] | None = None,
                  ) -> tuple[Record, RecordStart]:
    dept = session.get(Department, department)
    holders = shared_with if shared_with is not None else list(session.exec(select(Department.code)).all())
    row = Record(department_code=department, official=official, category=category, severity=severity, facts=facts,
                 decision_date=decision_date, rectification_due=rectification_due, state=RecordState.recorded,
                 repair_possible_from=repair_possible_from(decision_date, severity, profile),
                 publicity_ends=publicity_ends(decision_date, severity, profile),
                 source_type=source[0] if source else None, source_id=source[1] if source else None,
                 shared_with=holders, profile_name=profile.name, profile_version=profile.version,
                 created_by=actor.username, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row, start_of(row, dept.name if dept else department, actor, profile)


def start_of(row: Record, department_name: str, actor: Actor, profile: RuleProfile) -> RecordStart:
    assert row.id is not None
    return RecordStart(record_id=row.id, department=row.department_code,
                       title=record_title(row.category, department_name), severity=row.severity,
                       decision_date=row.decision_date, recorded_on=row.created_at.astimezone(TZ).date(),
                       rectification_due=row.rectification_due, shared_with=row.shared_with or [], actor=actor,
                       profile=profile)


def _existing(session: Session, source_type: str, source_id: int) -> Record | None:
    return session.exec(select(Record).where(Record.source_type == source_type,
                                             col(Record.source_id) == source_id)).first()


def open_record_once(source: tuple[str, int], *, department: str, category: str, severity: str, facts: str,
                     at: datetime, profile: RuleProfile, link: type[Commitment] | type[Complaint]) -> RecordStart:
    for _ in range(2):
        with session_scope() as session:
            row = _existing(session, *source)
            if row is None:
                try:
                    row, start = insert_record(
                        session, department=department, official=None, category=category, severity=severity,
                        facts=facts, decision_date=at.astimezone(TZ).date(), rectification_due=None,
                        shared_with=None, actor=SYSTEM, now=at, profile=profile, source=source)
                    session.flush()
                except IntegrityError:  # a concurrent attempt won: read its row
                    session.rollback()
                    continue
            else:
                dept = session.get(Department, row.department_code)
                start = start_of(row, dept.name if dept else row.department_code, SYSTEM, profile)
            linked = cast(Commitment | Complaint | None, session.get(link, source[1]))
            if linked is not None and linked.record_id is None:
                linked.record_id = row.id
                session.add(linked)
            return start
    raise RuntimeError(f"could not open the record of {source[0]} {source[1]}")


@activity.defn
def open_breach_record(req: BreachRecordRequest) -> RecordStart:
    """Exactly one record per breached commitment, however often this runs."""
    return open_record_once(("commitment", req.commitment_id), department=req.department,
                            category="commitment_breach", severity="general",
                            facts=f"政务承诺（编号 {req.commitment_id}）“{req.title}”未践诺。", at=req.at,
                            profile=req.profile, link=Commitment)


@activity.defn
def open_complaint_record(req: ComplaintRecordRequest) -> RecordStart:
    """Exactly one record per substantiated complaint."""
    return open_record_once(("complaint", req.complaint_id), department=req.department, category="complaint",
                            severity=req.severity,
                            facts=f"投诉（编号 {req.complaint_id}）“{req.subject}”经审核属实：{req.reason}", at=req.at,
                            profile=req.profile, link=Complaint)


@activity.defn
def objections_open_on(target: CaseRef) -> bool:
    """Whether any objection on this record or commitment is still open (the 异议处理中 mark stays)."""
    final = ("rejected", "closed", "withdrawn")
    with session_scope() as session:
        return session.exec(select(Objection.id).where(
            Objection.target_type == target.case_type, Objection.target_id == target.case_id,
            col(Objection.state).not_in(final))).first() is not None
