"""The staff work queue (等待我处理): every step a user may take now, derived from the processes' action tables
(domain/actions.py) and the cases' facts (api/pages/case_facts.py), each with the deadline it answers and how much of
it is left in working days. Nothing here decides who may act: a step is listed exactly when the workflow would
accept it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from api.pages.case_facts import case_facts
from api.pages.staff_actions import CASE_KINDS
from api.queries import local_iso
from api.validation import today_local
from domain.calendar import TZ, WorkingCalendar
from domain.deadlines import countdown_zh
from domain.messages import Actor
from store.calendars import load_calendar

CASES_PER_KIND = 200  # newest first; a queue longer than this is a backlog the credit office sees in reports


def countdown(cal: WorkingCalendar, today: date, due_at: datetime | str, status: str) -> str | None:
    """How a deadline that still binds stands (剩余 N 个工作日 / 今天到期 / 已逾期 N 个工作日); None once it was
    met or closed. Every deadline on the staff pages is told this way."""
    if status in ("met", "closed"):
        return None
    due = (datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at).astimezone(TZ).date()
    return countdown_zh(cal, due, today, status == "paused")


def my_queue(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The steps `actor` can take now, the most urgent first (overdue, then by due date, then undated)."""
    cal, today = load_calendar(session), today_local()
    items: list[dict[str, Any]] = []
    for kind in CASE_KINDS.values():
        steps = [r for r in kind.rules.rules.values() if r.waits_for(actor.role)]
        if not steps:
            continue
        query = select(kind.model).where(col(kind.model.state).in_(set().union(*(r.states for r in steps))))
        if actor.role == "department" and kind.unit_sql_filter:
            query = query.where(kind.model.department_code == actor.department)
        rows = [r for r in session.exec(query.order_by(col(kind.model.id).desc())) if kind.reads(actor, r)]
        for row in rows[:CASES_PER_KIND]:
            facts, deadlines = case_facts(session, kind.case_type, row)
            for step in steps:
                if kind.refusal(step.action, actor, facts, row) is not None:
                    continue
                deadline = next((d for d in deadlines if step.answers(d.key)), None)
                due = deadline.due_at.astimezone(TZ).date() if deadline else None
                items.append({
                    "kind": kind.kind, "id": row.id, "case": kind.title(session, row),
                    "title": kind.row_title(row), "step": step.label, "department": row.department_code,
                    "deadline": deadline.label if deadline else None,
                    "due_at": local_iso(deadline.due_at) if deadline else None,
                    "provisional": bool(deadline and deadline.provisional),
                    "overdue": due is not None and due < today,
                    "countdown": countdown(cal, today, deadline.due_at, deadline.status) if deadline else None,
                })
    return sorted(items, key=lambda i: (not i["overdue"], i["due_at"] is None, i["due_at"] or ""))
