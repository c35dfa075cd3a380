"""Periodic integrity reports (政务诚信建设情况报送, issue 17): the periods a department reports on, when each
report is due (the rule is profile data, domain/profiles/*.toml), its states and who may act in each.

open → submitted → accepted, or → returned (with reasons and a new due date) → submitted … A report not in
by its due date is overdue (a flag: it can still be submitted, late).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.actions import ActionTable, rule
from domain.calendar import WorkingCalendar
from domain.deadlines import DeadlineSpec, project
from domain.profiles import ReportDue, RuleProfile
from domain.report import FIRST_YEAR, LAST_YEAR

KIND_ZH = {"quarter": "季度", "half": "半年", "year": "年度"}


@dataclass(frozen=True)
class ReportPeriod:
    """One reporting period: 2026Q4 (a quarter), 2026H1 (the first half-year), 2026 (a year)."""

    kind: str
    key: str
    first_day: date
    last_day: date

    @property
    def label_zh(self) -> str:
        year = self.first_day.year
        if self.kind == "quarter":
            return f"{year} 年第 {(self.first_day.month - 1) // 3 + 1} 季度"
        if self.kind == "half":
            return f"{year} 年上半年"
        return f"{year} 年度"


_KEY = re.compile(r"^(\d{4})(?:Q([1-4])|(H1))?$")


def parse_report_period(key: str) -> ReportPeriod:
    """'2026Q4', '2026H1' or '2026'; a ValueError with a Chinese message otherwise (years as domain/report.py)."""
    m = _KEY.match(key.strip().upper())
    if m is None or not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR:
        raise ValueError("报送期间格式应为 2026Q4（季度）、2026H1（上半年）或 2026（年度），"
                         f"年份在 {FIRST_YEAR} 至 {LAST_YEAR} 之间")
    key = m.group(0)
    year = int(m.group(1))
    if m.group(2):
        q = int(m.group(2))
        first = date(year, 3 * q - 2, 1)
        last = (date(year, 3 * q, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return ReportPeriod("quarter", key, first, last)
    if m.group(3):
        return ReportPeriod("half", key, date(year, 1, 1), date(year, 6, 30))
    return ReportPeriod("year", key, date(year, 1, 1), date(year, 12, 31))


def latest_ended(kind: str, today: date) -> ReportPeriod:
    """The newest period of `kind` whose last day is before `today`: the one whose report is open now."""
    if kind == "quarter":
        q = (today.month - 1) // 3  # quarters of this year already over
        year = today.year if q else today.year - 1
        return parse_report_period(f"{year}Q{q or 4}")
    if kind == "half":
        return parse_report_period(f"{today.year if today.month > 6 else today.year - 1}H1")
    if kind == "year":
        return parse_report_period(str(today.year - 1))
    raise ValueError(f"unknown reporting period kind {kind!r}")


def _first_date_after(day: date, month_day: str) -> date:
    month, dom = (int(x) for x in month_day.split("-"))
    candidate = date(day.year, month, dom)
    return candidate if candidate > day else date(day.year + 1, month, dom)


def due_spec(period: ReportPeriod, due: ReportDue, key: str = "integrity_report") -> DeadlineSpec:
    """The deadline as the clock runs it. "N working days after the period" counts from its last day (not
    counted, 民法典 art. 201); "by MM-DD" is the first such date after it, moved off a rest day to the next
    working day (art. 203: the department acts by the last day; 01-01 is always a holiday)."""
    label = f"{period.label_zh}政务诚信建设情况报送期限"
    start_event = f"{period.label_zh}结束"
    if due.working_days_after is not None:
        return DeadlineSpec(key=key, label=label, basis=due.basis, start_event=start_event,
                            start_date=period.last_day, unit="working_days", count=due.working_days_after)
    if due.date is None:
        raise ValueError("a report's due rule names working_days_after or a date")
    days = (_first_date_after(period.last_day, due.date) - period.last_day).days
    return DeadlineSpec(key=key, label=label, basis=due.basis, start_event=start_event,
                        start_date=period.last_day, unit="natural_days", count=days)


def due_date(period: ReportPeriod, profile: RuleProfile, cal: WorkingCalendar) -> date:
    return project(due_spec(period, profile.integrity_reports.due[period.kind]), cal).due_date


def report_workflow_id(department: str, period_key: str) -> str:
    """One workflow per department and period: the id is what makes opening idempotent."""
    return f"integrity-report-{department}-{period_key}"


def periods_open(profile: RuleProfile, today: date, cal: WorkingCalendar) -> list[ReportPeriod]:
    """The periods whose report is open on `today`: of each kind the profile names, the latest that has
    ended, while its due date has not passed. A report is opened from the day after its period (or a later
    run, after a worker outage or for a department added since); one due already is not opened afterwards,
    so a first deployment does not open last year's reports as overdue."""
    latest = (latest_ended(kind, today) for kind in profile.integrity_reports.kinds)
    return [p for p in latest if due_date(p, profile, cal) >= today]


class ReportState(StrEnum):
    open = "open"
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"


REPORT_STATES_ZH: dict[str, str] = {"open": "待报送", "submitted": "已报送待审核", "returned": "已退回",
                                    "accepted": "已审核通过"}
REPORT_FINAL = frozenset({ReportState.accepted})


class ReportAction(StrEnum):
    """Each value is the name of the workflow Update that carries the action."""

    submit = "submit"
    accept = "accept"
    return_report = "return_report"


R = ReportState
REPORT_RULES = ActionTable("integrity_report", "政务诚信建设情况报告", REPORT_STATES_ZH, [
    rule(ReportAction.submit, "报送情况报告", ("department",), {R.open, R.returned}, deadline="integrity_report"),
    rule(ReportAction.accept, "审核通过", ("credit_office",), {R.submitted}),
    rule(ReportAction.return_report, "退回补充", ("credit_office",), {R.submitted}, queued=False),
])
