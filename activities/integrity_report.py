"""The opener's activity: one integrity report row per department for each period open today. Idempotent on
(department, period): a repeat, a retry or tomorrow's run finds the rows and inserts nothing."""

from __future__ import annotations

from sqlmodel import col, select
from temporalio import activity

from domain.calendar import end_of_day
from domain.integrity_report import REPORT_FINAL, due_date, periods_open
from domain.messages import IntegrityOpenRequest, IntegrityReportStart
from domain.profiles import load_profile
from store.calendars import load_calendar
from store.db import session_scope
from store.models import Department, IntegrityReport


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
