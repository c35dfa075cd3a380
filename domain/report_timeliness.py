"""按期报送率 of the periodic integrity reports (政务诚信建设情况报送), per department and monitoring period, from the
audit log only, as every monitoring figure (domain/report.py): a past period's figure never changes.

- 按期报送: first submissions inside the period that came by the first due date (the workflow records `on_time`
  with the first submission; a resubmission after a return does not count again);
- 逾期报送: first submissions inside the period that came after it;
- 期末逾期未报送: reports whose last overdue-or-submitted event before the period's end is the overdue one.

The rate is 按期报送 ÷ (按期报送 + 逾期报送 + 期末逾期未报送); None (不参评) without any. The league table counts
the same way (domain/report.py `report_counts`) and weighs the rate by the profile's `[ranking]`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.report import LogEntry, Period, report_counts


@dataclass
class ReportTimeliness:
    reports_on_time: int = 0
    reports_late: int = 0
    reports_missing_at_end: int = 0

    @property
    def report_rate(self) -> float | None:
        owed = self.reports_on_time + self.reports_late + self.reports_missing_at_end
        return self.reports_on_time / owed if owed else None


def report_timeliness(period: Period, departments: Mapping[int, str],
                      events: Iterable[LogEntry]) -> dict[str, ReportTimeliness]:
    """`departments`: each integrity report's department by report id; `events`: the log in time order. The same
    counting as the league table's (domain/report.py `report_counts`)."""
    by_report: dict[int, list[LogEntry]] = {}
    for e in events:
        if e.case_type == "integrity_report" and e.case_id in departments:
            by_report.setdefault(e.case_id, []).append(e)
    out: dict[str, ReportTimeliness] = {}
    for report_id, evs in by_report.items():
        for count in report_counts(evs, period.start, period.end):
            figures = out.setdefault(departments[report_id], ReportTimeliness())
            setattr(figures, count, getattr(figures, count) + 1)
    return out
