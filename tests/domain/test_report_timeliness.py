"""按期报送率 from the audit log: first submissions count once, in the period they fall in; a report overdue at
the period's end counts as missing; later events never change a past period."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import TZ
from domain.report import LogEntry, parse_period
from domain.report_timeliness import report_timeliness


def _at(m: int, d: int) -> datetime:
    return datetime(2026, m, d, 10, tzinfo=TZ)


def _submitted(rid: int, at: datetime, on_time: bool | None = None) -> LogEntry:
    return LogEntry("integrity_report", rid, "report_submitted", "submitted", at,
                    {"set": {"on_time": on_time}} if on_time is not None else {"set": {"overdue": False}})


LOG = [
    _submitted(1, _at(10, 12), on_time=True),  # fgw 2026Q3, on time
    LogEntry("integrity_report", 2, "overdue", None, _at(10, 21), {"set": {"overdue": True}}),  # scjg late
    LogEntry("integrity_report", 3, "overdue", None, _at(12, 20), {"set": {"overdue": True}}),  # scjg, missing
    _submitted(1, _at(10, 28)),  # a resubmission after a return: not counted again
    LogEntry("commitment", 2, "overdue", None, _at(10, 21)),  # another process's event
    _submitted(2, datetime(2027, 1, 5, 10, tzinfo=TZ), on_time=False),  # next quarter
]


def test_first_submissions_and_reports_missing_at_the_end() -> None:
    figures = report_timeliness(parse_period("2026Q4"), {1: "fgw", 2: "scjg", 3: "scjg"}, LOG)
    assert figures["fgw"].reports_on_time == 1 and figures["fgw"].report_rate == 1.0
    scjg = figures["scjg"]
    assert (scjg.reports_on_time, scjg.reports_late, scjg.reports_missing_at_end) == (0, 0, 2)
    assert scjg.report_rate == 0.0


def test_a_later_submission_counts_in_its_own_period() -> None:
    q1 = report_timeliness(parse_period("2027Q1"), {1: "fgw", 2: "scjg", 3: "scjg"}, LOG)
    assert q1["scjg"].reports_late == 1 and q1["scjg"].reports_missing_at_end == 1  # report 3 still missing
    assert "fgw" not in q1
