"""Read-model queries shared by the JSON API and the pages (SQL only, never Temporal visibility)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from activities.models import AuditEvent, Commitment, CommitmentVersion, DeadlineRow, Department, Milestone, Record
from api.scope import own_department, reads_all
from domain.calendar import TZ, Receipt
from domain.commitment import KINDS, STATE_LABELS_ZH, CommitmentState
from domain.events import Event
from domain.messages import Actor
from domain.profiles import rules_label_zh
from domain.record import CATEGORIES, MITIGATIONS, SEVERITIES, repair_opens_zh
from domain.record import STATE_LABELS_ZH as RECORD_STATES


def paginate(items: list[dict[str, Any]], page: int, page_size: int) -> dict[str, Any]:
    """The list envelope of api.md: {items, total, page, page_size}."""
    start = (page - 1) * page_size
    return {"items": items[start:start + page_size], "total": len(items), "page": page, "page_size": page_size}


def local_iso(at: datetime | None) -> str | None:
    return at.astimezone(TZ).isoformat() if at else None


PUBLIC_COUNT_SECONDS = 2.0  # a public list's total may lag by this much; counting 100k rows costs ~7 ms
CACHE_COUNTS_FROM = 10_000  # smaller totals are cheap to count, and stay exact
_public_counts: dict[tuple[Any, ...], tuple[int, float]] = {}


def _count(session: Session, query: Any, public_key: tuple[Any, ...] | None) -> int:
    """Rows matching `query`. For the public lists (same filters for everyone) a large total is remembered
    briefly, so a busy portal does not count the whole table on every page view. Staff always get the
    exact count, and so does everyone while a list holds fewer than CACHE_COUNTS_FROM rows."""
    now = time.monotonic()
    if public_key is not None and (hit := _public_counts.get(public_key)) and hit[1] > now:
        return hit[0]
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if public_key is not None and total >= CACHE_COUNTS_FROM:
        if len(_public_counts) > 1000:  # searches with many different words: keep the memory bounded
            _public_counts.clear()
        _public_counts[public_key] = (total, now + PUBLIC_COUNT_SECONDS)
    return total


def list_commitments(session: Session, actor: Actor | None, *, department: str | None, state: str | None,
                     q: str | None, page: int, page_size: int,
                     ids: list[int] | None = None) -> tuple[list[Commitment], int]:
    """`ids`: only these commitments (the cases behind a figure of the ranking)."""
    query = select(Commitment)
    if ids is not None:
        query = query.where(col(Commitment.id).in_(ids))
    if not reads_all(actor):
        visible = col(Commitment.state) != CommitmentState.draft
        if (own := own_department(actor)) is not None:
            visible = or_(visible, col(Commitment.department_code) == own)
        query = query.where(visible)
    if department:
        query = query.where(Commitment.department_code == department)
    if state == "overdue":
        query = query.where(col(Commitment.overdue).is_(True), Commitment.state == CommitmentState.published)
    elif state:
        query = query.where(Commitment.state == state)
    if q:
        like = f"%{q}%"
        query = query.where(or_(col(Commitment.title).like(like), col(Commitment.content).like(like)))
    key = ("commitment", department, state, q, None if ids is None else tuple(ids))
    total = _count(session, query, key if actor is None else None)
    rows = session.exec(query.order_by(col(Commitment.id).desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def commitment_summary(row: Commitment, departments: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": row.id, "department": row.department_code,
        "department_name": (departments or {}).get(row.department_code),
        "kind": row.kind, "kind_label": KINDS.get(row.kind, row.kind), "title": row.title,
        "due_date": row.due_date.isoformat(), "state": row.state, "state_label": STATE_LABELS_ZH[row.state],
        "overdue": row.overdue, "amended": row.amended, "official": row.official,
        "objection_pending": row.objection_pending, "correction_note": row.correction_note,
        "published_at": local_iso(row.published_at),
    }


def department_names(session: Session) -> dict[str, str]:
    return {d.code: d.name for d in session.exec(select(Department))}


def profile_info(name: str, version: str) -> dict[str, str]:
    """The rule profile a case pinned: code and version for programs, `label` (Chinese) for people."""
    return {"name": name, "version": version, "label": rules_label_zh(name, version)}


DEADLINE_STATUS_ZH = {"open": "计时中", "paused": "中止计时", "met": "按期办结", "missed": "已逾期", "closed": "已结束"}


def deadlines_of(session: Session, case_type: str, case_id: int) -> list[dict[str, Any]]:
    rows = session.exec(select(DeadlineRow).where(DeadlineRow.case_type == case_type, DeadlineRow.case_id == case_id)
                        .order_by(col(DeadlineRow.due_at)))
    out = []
    for r in rows:
        receipt = Receipt.model_validate(r.receipt)
        out.append({"key": r.key, "label": r.label, "due_at": local_iso(r.due_at), "provisional": r.provisional,
                    "status": r.status, "status_label": DEADLINE_STATUS_ZH.get(r.status, r.status),
                    "binds": r.binds, "calendar_version": r.calendar_version,
                    "receipt": r.receipt, "receipt_text": receipt.summary_zh()})
    return out


def history_of(session: Session, case_type: str, case_id: int, staff: bool = True) -> list[dict[str, Any]]:
    """The case's audit trail; the public version names roles, not the staff members' logins."""
    rows = session.exec(select(AuditEvent).where(AuditEvent.case_type == case_type, AuditEvent.case_id == case_id)
                        .order_by(col(AuditEvent.at), col(AuditEvent.id)))
    return [{"at": local_iso(e.at), "action": e.action, "action_label": Event.label_of(e.action),
             "from_state": e.from_state, "to_state": e.to_state, "actor": e.actor if staff else None,
             "role": e.role, "reason": e.reason} for e in rows]


def list_records(session: Session, actor: Actor | None, *, department: str | None, state: str | None,
                 severity: str | None, q: str | None, page: int, page_size: int,
                 ids: list[int] | None = None) -> tuple[list[Record], int]:
    """The public sees records in publicity only (never minor, never after repair or expiry); a department also
    its own department's other records (api/scope.py). `ids`: only these (the cases behind a figure)."""
    query = select(Record)
    if ids is not None:
        query = query.where(col(Record.id).in_(ids))
    if not reads_all(actor):
        visible: ColumnElement[bool] = col(Record.public).is_(True)
        if (own := own_department(actor)) is not None:
            visible = or_(visible, col(Record.department_code) == own)
        query = query.where(visible)
    if department:
        query = query.where(Record.department_code == department)
    if state:
        query = query.where(Record.state == state)
    if severity:
        query = query.where(Record.severity == severity)
    if q:
        query = query.where(col(Record.facts).like(f"%{q}%"))
    total = _count(session, query, ("record", department, state, severity, q, None if ids is None else tuple(ids))
                   if actor is None else None)
    rows = session.exec(query.order_by(col(Record.id).desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def record_summary(row: Record, departments: dict[str, str] | None = None) -> dict[str, Any]:
    name = (departments or {}).get(row.department_code)
    return {
        "id": row.id, "subject_department": row.department_code, "department_name": name,
        "subject_official": row.official, "category": row.category,
        "category_label": CATEGORIES.get(row.category, row.category), "severity": row.severity,
        "severity_label": SEVERITIES.get(row.severity, row.severity), "state": row.state,
        "state_label": RECORD_STATES[row.state], "public": row.public,
        "rectification_overdue": row.rectification_overdue, "decision_date": row.decision_date.isoformat(),
        "publicity_ends": row.publicity_ends.isoformat(), "mitigation": row.mitigation,
        "objection_pending": row.objection_pending, "correction_note": row.correction_note,
        "mitigation_label": MITIGATIONS.get(row.mitigation or ""),
    }


def record_tombstone(row: Record, departments: dict[str, str]) -> dict[str, Any]:
    """What the public may still see of a record that left publicity: that it was repaired or expired."""
    return {"id": row.id, "subject_department": row.department_code,
            "department_name": departments.get(row.department_code), "state": row.state,
            "state_label": RECORD_STATES[row.state], "public": False, "tombstone": True}


def record_detail(session: Session, row: Record, staff: bool = False) -> dict[str, Any]:
    assert row.id is not None
    out = record_summary(row, department_names(session))
    out.update({
        "facts": row.facts, "rectification_due": row.rectification_due.isoformat() if row.rectification_due else None,
        "explanation": row.explanation, "rectification": row.rectification,
        "rectification_evidence": row.rectification_evidence or [], "commitment_letter": row.commitment_letter,
        "repair_decision_reason": row.repair_decision_reason, "mitigation_reason": row.mitigation_reason,
        "repair_possible_from": row.repair_possible_from.isoformat(),
        "minimum_publicity_ends": (row.repair_possible_from - timedelta(days=1)).isoformat(),
        "repair_note": repair_opens_zh(row.repair_possible_from),
        "source": {"type": row.source_type, "id": row.source_id} if row.source_type else None,
        "profile": profile_info(row.profile_name, row.profile_version),
        "created_at": local_iso(row.created_at), "published_at": local_iso(row.published_at),
        "closed_at": local_iso(row.closed_at),
        "deadlines": deadlines_of(session, "record", row.id),
        "history": history_of(session, "record", row.id, staff),
    })
    return out


def commitment_detail(session: Session, row: Commitment, staff: bool = False) -> dict[str, Any]:
    assert row.id is not None
    out = commitment_summary(row, department_names(session))
    milestones = session.exec(select(Milestone).where(Milestone.commitment_id == row.id).order_by(col(Milestone.seq)))
    versions = session.exec(select(CommitmentVersion).where(CommitmentVersion.commitment_id == row.id)
                            .order_by(col(CommitmentVersion.version)))
    ms = [{"seq": m.seq, "title": m.title, "due_date": m.due_date.isoformat(), "done": m.done_at is not None,
           "done_at": local_iso(m.done_at), "overdue": m.overdue} for m in milestones]
    out.update({
        "content": row.content, "profile": profile_info(row.profile_name, row.profile_version),
        "created_at": local_iso(row.created_at), "closed_at": local_iso(row.closed_at),
        "report": row.report, "evidence": row.evidence or [], "record_id": row.record_id,
        "pending_amendment": row.pending_amendment,
        "milestones": ms,
        "progress": {"done": sum(1 for m in ms if m["done"]), "total": len(ms)},
        "versions": [{"version": v.version, "title": v.title, "content": v.content, "due_date": v.due_date.isoformat(),
                      "reason": v.reason, "approved_by": v.approved_by, "at": local_iso(v.at)} for v in versions],
        "deadlines": deadlines_of(session, "commitment", row.id),
        "history": history_of(session, "commitment", row.id, staff),
    })
    return out
