"""按期报送率 of the periodic integrity reports (政务诚信建设情况报送), per department and monitoring period, from the
audit log only, as every monitoring figure (domain/report.py): a past period's figure never changes.

- 按期报送: first submissions inside the period that came by the first due date (the workflow records `on_time`
  with the first submission; a resubmission after a return does not count again);
- 逾期报送: first submissions inside the period that came after it;
- 期末逾期未报送: reports whose last overdue-or-submitted event before the period's end is the overdue one.

The rate is 按期报送 ÷ (按期报送 + 逾期报送 + 期末逾期未报送); None (不参评) without any. The lead wires it into
the league table (domain/report.py `Figures`, the weights of the profile's `[ranking]`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from domain.events import Event
from domain.report import LogEntry, Period

DEFINITIONS_ZH = {
    "reports_on_time": "本期首次报送、且在首次报送期限内的政务诚信建设情况报告数",
    "reports_late": "本期首次报送、但超过首次报送期限的报告数",
    "reports_missing_at_end": "期末逾期未报送的报告数",
    "report_rate": "按期报送率 = 按期报送 ÷（按期报送 + 逾期报送 + 期末逾期未报送）",
}


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
    """`departments`: each integrity report's department by report id; `events`: the log in time order."""
    out: dict[str, ReportTimeliness] = {}
    submitted: set[int] = set()  # reports whose first submission is behind us
    last: dict[int, str] = {}  # report id → "overdue" or "submitted", the latest before the period's end
    for e in events:
        if e.case_type != "integrity_report" or e.at >= period.end or e.case_id not in departments:
            continue
        if e.action == Event.report_submitted:
            last[e.case_id] = "submitted"
            first = e.case_id not in submitted
            submitted.add(e.case_id)
            if first and e.at >= period.start:
                figures = out.setdefault(departments[e.case_id], ReportTimeliness())
                if (e.data.get("set") or {}).get("on_time"):
                    figures.reports_on_time += 1
                else:
                    figures.reports_late += 1
        elif e.action == Event.overdue:
            last[e.case_id] = "overdue"
    for report_id, what in last.items():
        if what == "overdue":
            out.setdefault(departments[report_id], ReportTimeliness()).reports_missing_at_end += 1
    return out
