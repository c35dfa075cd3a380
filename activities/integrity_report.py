"""Integrity reports in the database: the opener's activity (one row per department for each period open
today; idempotent on (department, period): a repeat, a retry or tomorrow's run inserts nothing) and the
consolidated report of a period for the credit office."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from temporalio import activity

from activities.notify import queue_notice_sync
from domain.calendar import TZ, end_of_day
from domain.csv_export import csv_bytes
from domain.integrity_report import REPORT_FINAL, REPORT_STATES_ZH, due_date, parse_report_period, periods_open
from domain.messages import CaseRef, IntegrityOpenRequest, IntegrityReportStart, NoticeRequest, QueuedNotice
from domain.profiles import load_profile
from store.calendars import load_calendar
from store.db import session_scope
from store.models import DeadlineRow, Department, IntegrityReport


@activity.defn
def open_integrity_reports(req: IntegrityOpenRequest) -> list[IntegrityReportStart]:
    """Every department's report for each period its profile names that has ended by `req.today`, inserted
    if missing; the starts of every one not yet accepted (the workflow id decides whether it runs already)."""
    starts: list[IntegrityReportStart] = []
    with session_scope() as session:
        cal = load_calendar(session)
        for dept in session.exec(select(Department).order_by(col(Department.code))):
            profile = load_profile(dept.profile)
            for period in periods_open(profile, req.today, cal):
                row = session.exec(select(IntegrityReport).where(
                    IntegrityReport.department_code == dept.code,
                    IntegrityReport.period_key == period.key)).first()
                if row is None:
                    row = IntegrityReport(
                        department_code=dept.code, period_key=period.key, kind=period.kind, state="open",
                        due_at=end_of_day(due_date(period, profile, cal)), profile_name=profile.name,
                        profile_version=profile.version, created_at=req.at, updated_at=req.at)
                    session.add(row)
                    session.flush()
                if row.state in REPORT_FINAL:
                    continue
                assert row.id is not None
                starts.append(IntegrityReportStart(report_id=row.id, department=dept.code, period_key=period.key,
                                                   profile=profile))
    return starts


CONSOLIDATED_COLUMNS = ("department", "name", "period", "state", "state_zh", "due_date", "submitted_at", "timeliness",
                        "text")


def current_due(session: Session, report_ids: list[int]) -> dict[int, date]:
    """Each report's running due date as its deadline row has it: re-projected after a calendar change, which the
    report row's `due_at` (written on opening and on a return) does not follow."""
    rows = session.exec(select(DeadlineRow.case_id, DeadlineRow.due_at).where(
        DeadlineRow.case_type == "integrity_report", col(DeadlineRow.case_id).in_(report_ids))
        .order_by(col(DeadlineRow.id)))
    return {case_id: due_at.astimezone(TZ).date() for case_id, due_at in rows}  # the newest deadline last


def timeliness_zh(row: IntegrityReport | None, due: date | None, today: date) -> str:
    """How a department stands for the period: the first submission against the first due date."""
    if row is None:
        return "未开启"
    if row.on_time is True:
        return "按期报送"
    if row.on_time is False:
        return "逾期报送"
    return "逾期未报送" if row.overdue or (due is not None and due < today) else "未报送（未到期）"


def consolidated_report(session: Session, period_key: str, today: date) -> dict[str, Any]:
    """Every department's report of the period for the credit office (the HTML page and the CSV): status,
    on time or late, the text; and the on-time rate (reports in by their first due date ÷ reports due)."""
    period = parse_report_period(period_key)
    rows = {r.department_code: r for r in session.exec(
        select(IntegrityReport).where(IntegrityReport.period_key == period.key))}
    dues = current_due(session, [r.id for r in rows.values() if r.id is not None])
    items: list[dict[str, Any]] = []
    for dept in session.exec(select(Department).order_by(col(Department.code))):
        r = rows.get(dept.code)
        due = (dues.get(r.id) or r.due_at.astimezone(TZ).date()) if r and r.id else None
        items.append({
            "report_id": r.id if r else None, "department": dept.code, "name": dept.name, "period": period.key,
            "state": r.state if r else None, "state_zh": REPORT_STATES_ZH.get(r.state, r.state) if r else "未开启",
            "due_date": due.isoformat() if due else None,
            "submitted_at": r.first_submitted_at.astimezone(TZ).isoformat(sep=" ")[:16]
            if r and r.first_submitted_at else None,
            "timeliness": timeliness_zh(r, due, today), "text": r.text if r else None,
        })
    owed = [i for i in items if i["timeliness"] in ("按期报送", "逾期报送", "逾期未报送")]
    on_time = sum(i["timeliness"] == "按期报送" for i in owed)
    return {"period": period.key, "label": period.label_zh, "kind": period.kind, "items": items,
            "summary": {"departments": len(items), "submitted": sum(i["submitted_at"] is not None for i in items),
                        "on_time": on_time, "late": sum(i["timeliness"] == "逾期报送" for i in items),
                        "missing": sum(i["timeliness"] == "逾期未报送" for i in items),
                        "on_time_rate": round(on_time / len(owed), 4) if owed else None}}


def consolidated_csv(report: dict[str, Any]) -> bytes:
    return csv_bytes(CONSOLIDATED_COLUMNS, report["items"])


SUMMARY_CASE_TYPE = "integrity_summary"  # the outbox's key of a period's consolidated report: one mail per period
MAIL_WITHIN = timedelta(days=31)  # periods that fell due longer ago are not mailed (an upgrade sends no backlog)


@activity.defn
def queue_consolidated_reports(req: IntegrityOpenRequest) -> list[QueuedNotice]:
    """The consolidated report of every period whose reports have all fallen due (the latest first due date has
    passed) in the last month, queued once per period for the credit office, like the quarterly report: a repeat,
    a retry or tomorrow's run finds the period's row in the outbox and queues nothing new."""
    queued: list[QueuedNotice] = []
    with session_scope() as session:
        due = session.exec(select(IntegrityReport.period_key, func.max(IntegrityReport.due_at))
                           .group_by(col(IntegrityReport.period_key))).all()
        reports = [consolidated_report(session, key, req.today) for key, last_due in sorted(due)
                   if req.at - MAIL_WITHIN <= last_due < req.at]
    for report in reports:
        queued += queue_notice_sync(NoticeRequest(
            case=CaseRef(case_type=SUMMARY_CASE_TYPE, case_id=0), event_key=f"consolidated-{report['period']}",
            template="integrity_consolidated", recipients=["credit_office"], context={"report": report},
            at=req.at, window=True))
    return queued
