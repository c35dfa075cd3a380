"""The figures' rules on hand-made audit logs: flags set by any action, a complaint counted where it
was filed until reassigned, period keys."""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.calendar import TZ
from domain.reports import LogEntry, compute, parse_period

Q4 = parse_period("2026Q4")
DEPARTMENTS = {"a": "甲局", "b": "乙局"}


def at(m: int, d: int) -> datetime:
    return datetime(2026 if m > 0 else 2027, abs(m), d, 10, tzinfo=TZ)


def figures(cases: dict, events: list[LogEntry], period=Q4) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    return {f.department: f.counts for f in compute(period, DEPARTMENTS, cases, events)}


def test_a_rejection_after_the_due_date_makes_the_later_fulfilment_late_and_overdue_at_the_end() -> None:
    c = ("commitment", 1)
    log = [LogEntry(*c, "published", "published", at(10, 1)),
           LogEntry(*c, "fulfilment_reported", "fulfilment_reported", at(10, 5)),
           LogEntry(*c, "verified_rejected", "published", at(10, 20), {"set": {"overdue": True}})]
    assert figures({c: "a"}, log)["a"]["overdue_at_end"] == 1  # rejected after the due date: overdue
    log += [LogEntry(*c, "fulfilment_reported", "fulfilment_reported", at(11, 2)),
            LogEntry(*c, "verified_accepted", "fulfilled", at(11, 3))]
    counts = figures({c: "a"}, log)["a"]
    assert (counts["fulfilled_late"], counts["fulfilled_on_time"], counts["overdue_at_end"]) == (1, 0, 0)


def test_a_new_rectification_deadline_clears_the_overdue_mark() -> None:
    r = ("record", 1)
    log = [LogEntry(*r, "created", "recorded", at(10, 1)),
           LogEntry(*r, "rectification_overdue", None, at(10, 30), {"set": {"rectification_overdue": True}})]
    assert figures({r: "a"}, log)["a"]["rectification_overdue_at_end"] == 1
    log.append(LogEntry(*r, "rectification_due_set", "recorded", at(11, 5), {"set": {"rectification_overdue": False}}))
    assert figures({r: "a"}, log)["a"]["rectification_overdue_at_end"] == 0


def test_a_complaint_counts_where_it_was_filed_until_it_is_reassigned() -> None:
    k = ("complaint", 1)
    filed = [LogEntry(*k, "submitted", "submitted", at(12, 30))]
    moved = LogEntry(*k, "triaged", "triaged", at(-1, 4), {"department_from": "a", "department_to": "b"})
    # the log after the quarter holds the reassignment; the case row now says "b", its filing said "a"
    assert figures({k: "a"}, [*filed, moved])["a"]["complaints_received"] == 1
    q1 = parse_period("2027Q1")
    later = figures({k: "a"}, [*filed, moved, LogEntry(*k, "responded", "responded", at(-1, 6))], q1)
    assert later["b"]["answered_on_time"] == 1 and later["a"]["answered_on_time"] == 0


@pytest.mark.parametrize("text", ["0999Q1", "2026Q5", "2026-13", "26Q1", "Q1 2026", "99999"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="期间格式"):
        parse_period(text)


def test_period_keys_and_steps() -> None:
    assert parse_period("2026q4").previous(4).key == "2025Q4"
    assert parse_period("2026-01").previous().key == "2025-12" and parse_period("2026").previous().key == "2025"
    assert parse_period("2026Q4").end == datetime(2027, 1, 1, tzinfo=TZ)
