"""Periods in natural months (建议提案 3/6 months, 会办 1 month): 民法典 art. 202, art. 203 off a rest day."""

from __future__ import annotations

from datetime import date

from domain.calendar import WorkingCalendar


def test_months_end_on_the_corresponding_day_or_the_months_last() -> None:
    cal = WorkingCalendar()
    d = cal.add_natural_months(date(2026, 3, 10), 3, basis="b", start_event="交办")
    assert d.due_date == date(2026, 6, 10) and d.receipt.unit == "natural_months" and d.receipt.moved_from is None
    assert cal.add_natural_months(date(2026, 3, 31), 3, basis="b", start_event="交办").due_date == date(2026, 6, 30)
    assert "3个月" in d.receipt.summary_zh()


def test_a_last_day_on_a_rest_day_moves_to_the_next_working_day() -> None:
    cal = WorkingCalendar()
    d = cal.add_natural_months(date(2026, 4, 4), 3, basis="b", start_event="交办")  # 2026-07-04 is a Saturday
    assert d.due_date == date(2026, 7, 6) and d.receipt.moved_from == date(2026, 7, 4)
    # 2026-07-01 + 3 months = 10-01, National Day: the holiday runs to 10-07 (the package's 2026 data)
    national = cal.add_natural_months(date(2026, 7, 1), 3, basis="b", start_event="交办")
    assert national.due_date > date(2026, 10, 7) and cal.is_working_day(national.due_date)
