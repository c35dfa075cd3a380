"""Monitoring reports from the audit log: figures per department and period, the league table, the
CSV, and the quarterly report e-mail (queued once per period in the outbox)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select
from temporalio import activity

from activities.notify import queue_notice_sync, render
from domain.csv_export import csv_bytes
from domain.events import Event
from domain.messages import CaseRef, NoticeRequest, QueuedNotice, ReportNotice
from domain.profiles import Ranking, load_profile
from domain.report import (
    COUNTS,
    RATES,
    Figures,
    LogEntry,
    Period,
    compute,
    parse_period,
    period_report,
)
from domain.settings import get_settings
from store.calendars import load_calendar
from store.db import session_scope
from store.models import AuditEvent, Commitment, Complaint, Department, IntegrityReport, Motion, Objection, Record

CASE_MODELS: dict[str, Any] = {"commitment": Commitment, "record": Record, "objection": Objection,
                               "complaint": Complaint, "integrity_report": IntegrityReport, "motion": Motion}
CSV_COLUMNS = ("rank", "department", "name", *COUNTS, *RATES, "score")
# A complaint is triaged to another department, a suggestion or proposal reassigned to another lead unit: each counts
# where it started until then.
REASSIGNMENTS = (("complaint", Event.triaged), ("motion", Event.reassigned))


def department_report(session: Session, period: Period) -> dict[str, Any]:
    """The report of one period: every department's figures, ranked, with the formula and definitions."""
    return department_reports(session, [period])[0]


def department_reports(session: Session, periods: list[Period]) -> list[dict[str, Any]]:
    """Reports of several periods from one read of the log (the department page's trend)."""
    figures, rule = department_figures(session, periods)
    return [period_report(p, figs, rule) for p, figs in zip(periods, figures, strict=True)]


def department_figures(session: Session, periods: list[Period]) -> tuple[list[list[Figures]], Ranking]:
    """Each period's figures per department (with the ids of the cases behind each count), and the rule."""
    departments = {d.code: d.name for d in session.exec(select(Department).order_by(col(Department.code)))}
    cases: dict[tuple[str, int], str] = {}
    for case_type, model in CASE_MODELS.items():
        for case_id, dept in session.exec(select(model.id, model.department_code)):
            cases[(case_type, case_id)] = dept
    for case_type, action in REASSIGNMENTS:
        for e in session.exec(select(AuditEvent).where(AuditEvent.case_type == case_type,
                                                        AuditEvent.action == action.value)
                              .order_by(col(AuditEvent.at).desc())):  # the earliest reassignment wins
            if e.data and e.data.get("department_from"):  # counted where it started until reassigned,
                cases[(case_type, e.case_id)] = e.data["department_from"]  # even if that happened after the period
    last_end = max(p.end for p in periods)
    rows = session.exec(select(AuditEvent).where(col(AuditEvent.case_type).in_(CASE_MODELS),
                                                 AuditEvent.at < last_end)
                        .order_by(col(AuditEvent.at), col(AuditEvent.id)))
    events = [LogEntry(e.case_type, e.case_id, e.action, e.to_state, e.at, e.data or {}) for e in rows]
    severities = {rid: severity for rid, severity in session.exec(select(Record.id, Record.severity)) if rid}
    rule = load_profile(get_settings().default_profile).ranking
    return [compute(p, departments, cases, events, severities, rule) for p in periods], rule


def report_csv(report: dict[str, Any]) -> bytes:
    """The league table as CSV (the API's export and the CLI's file); names are neutralised like all text."""
    return csv_bytes(CSV_COLUMNS, report["items"])


def report_html(report: dict[str, Any]) -> str:
    """The same HTML the credit office receives by e-mail."""
    return render("quarterly_report", {"report": report})[2]


def report_case_id(period: Period) -> int:
    """Reports share the outbox with cases: 20263 is 2026Q3 (one row per period and recipient)."""
    return period.first_day.year * 10 + (period.first_day.month - 1) // 3 + 1


@activity.defn
def first_working_day_after(day: date) -> date:
    with session_scope() as session:
        calendar = load_calendar(session)
    current = day + timedelta(days=1)
    while not calendar.is_working_day(current):
        current += timedelta(days=1)
    return current


@activity.defn
def queue_quarterly_report(req: ReportNotice) -> list[QueuedNotice]:
    """Compute the report and queue its e-mail to the credit office; a retry finds the row already queued."""
    period = parse_period(req.period)
    with session_scope() as session:
        report = department_report(session, period)
    return queue_notice_sync(NoticeRequest(
        case=CaseRef(case_type="report", case_id=report_case_id(period)), event_key=f"quarterly-{period.key}",
        template="quarterly_report", recipients=["credit_office"], context={"report": report},
        at=req.at))
