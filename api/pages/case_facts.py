"""A case's facts as the read model shows them (domain.actions.Facts), for the staff forms and the work queue.

Each workflow builds the same facts from its memory (`_facts` in workflows/*.py); tests/api/test_action_table.py
drives every process through its states and checks that the forms and the queue offer an action exactly when
the workflow accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from api.validation import today_local
from domain.actions import Facts
from domain.calendar import Receipt
from domain.commitment import AMENDMENT_PENDING, MILESTONE_OPEN, PAUSED
from domain.motion import CO_SETTLED, EXTENDED, PUBLIC_REPLY, REASSIGN_OPEN
from domain.objection import DEPARTMENT_LATE, FINDING_GIVEN
from domain.profiles import load_profile
from domain.record import EXPLAINED, RECTIFICATION_PENDING
from store.models import Commitment, Complaint, DeadlineRow, IntegrityReport, Milestone, Motion, Objection, Record

OPEN_DEADLINE = ("open", "paused")


def open_deadlines(session: Session, case_type: str, case_id: int) -> list[DeadlineRow]:
    return list(session.exec(select(DeadlineRow).where(
        DeadlineRow.case_type == case_type, DeadlineRow.case_id == case_id,
        col(DeadlineRow.status).in_(OPEN_DEADLINE)).order_by(col(DeadlineRow.due_at))))


def _flags(**on: bool) -> frozenset[str]:
    return frozenset(name for name, is_on in on.items() if is_on)


def commitment_facts(session: Session, row: Commitment, deadlines: list[DeadlineRow]) -> Facts:
    assert row.id is not None
    due = next((d for d in deadlines if d.key == "due"), None)
    open_milestone = session.exec(select(Milestone.id).where(
        Milestone.commitment_id == row.id, col(Milestone.done_at).is_(None))).first() is not None
    used = len(Receipt.model_validate(due.receipt).extensions) if due is not None and due.receipt else 0
    return Facts(state=row.state, department=row.department_code, today=today_local(),
                 flags=_flags(**{AMENDMENT_PENDING: row.pending_amendment is not None,
                                 PAUSED: due is not None and due.status == "paused",
                                 MILESTONE_OPEN: open_milestone}),
                 extensions_left=load_profile(row.profile_name).extension.max_count - used)


def record_facts(session: Session, row: Record, deadlines: list[DeadlineRow]) -> Facts:
    verifying = any(d.key.startswith("rectification-verification-") for d in deadlines)
    return Facts(state=row.state, department=row.department_code, today=today_local(),
                 flags=_flags(**{EXPLAINED: row.explanation is not None, RECTIFICATION_PENDING: verifying}),
                 repair_from=row.repair_possible_from)


def objection_facts(session: Session, row: Objection, deadlines: list[DeadlineRow]) -> Facts:
    return Facts(state=row.state, department=row.department_code, today=today_local(),
                 flags=_flags(**{FINDING_GIVEN: row.finding is not None, DEPARTMENT_LATE: row.department_late}))


def complaint_facts(session: Session, row: Complaint, deadlines: list[DeadlineRow]) -> Facts:
    return Facts(state=row.state, department=row.department_code, today=today_local())


def motion_facts(session: Session, row: Motion, deadlines: list[DeadlineRow]) -> Facts:
    """The workflow's `_facts`: the reassignment window is its open deadline; co-units settle by opinion or
    by running late."""
    co = row.co_departments or []
    settled = row.reopened or all(d in (row.co_opinions or {}) or d in (row.co_late or []) for d in co)
    window = any(d.key.startswith("motion_reassign_request") for d in deadlines)
    return Facts(state=row.state, department=row.department_code, today=today_local(),
                 flags=_flags(**{REASSIGN_OPEN: window, CO_SETTLED: settled, EXTENDED: row.extended,
                                 PUBLIC_REPLY: row.reply_public}))


def integrity_report_facts(session: Session, row: IntegrityReport, deadlines: list[DeadlineRow]) -> Facts:
    return Facts(state=row.state, department=row.department_code, today=today_local())


FACTS: dict[str, Callable[[Session, Any, list[DeadlineRow]], Facts]] = {
    "commitment": commitment_facts, "record": record_facts, "objection": objection_facts,
    "complaint": complaint_facts, "motion": motion_facts, "integrity_report": integrity_report_facts,
}


def case_facts(session: Session, case_type: str, row: Any) -> tuple[Facts, list[DeadlineRow]]:
    """The case's facts and its open deadlines (the work queue shows the one an action answers)."""
    deadlines = open_deadlines(session, case_type, row.id)
    return FACTS[case_type](session, row, deadlines), deadlines
