"""The periods of the integrity report (政务诚信建设情况报送) and their due dates, computed on the real calendar."""

from __future__ import annotations

from datetime import date

import pytest

from domain.calendar import Override, WorkingCalendar
from domain.integrity_report import REPORT_RULES, latest_ended, parse_report_period, periods_open
from domain.integrity_report import due_date as report_due
from domain.profiles import available_profiles, load_profile

HENAN = load_profile("henan")


def test_period_keys() -> None:
    q4 = parse_report_period("2026Q4")
    assert (q4.kind, q4.first_day, q4.last_day, q4.label_zh) == ("quarter", date(2026, 10, 1), date(2026, 12, 31),
                                                                  "2026 年第 4 季度")
    assert parse_report_period("2026H1").last_day == date(2026, 6, 30)
    assert parse_report_period("2026").kind == "year"
    assert parse_report_period(" 2026q4 ").key == "2026Q4"
    for bad in ("2026Q5", "2026H2", "0000Q1", "9999Q4", "26Q1", "x"):
        with pytest.raises(ValueError, match="报送期间格式"):
            parse_report_period(bad)


def test_ten_working_days_after_the_quarter_skip_the_national_day_holiday() -> None:
    # 10-01…10-07 国庆节; 10-10 (Saturday) is a make-up working day and counts
    assert report_due(parse_report_period("2026Q3"), HENAN, WorkingCalendar()) == date(2026, 10, 20)


def test_a_fixed_date_on_a_rest_day_moves_to_the_next_working_day() -> None:
    # the 2025 year report is due by 2026-01-01 (元旦, 01-01…01-03 off); 01-04, a Sunday, is a make-up working day
    assert report_due(parse_report_period("2025"), HENAN, WorkingCalendar()) == date(2026, 1, 4)
    assert report_due(parse_report_period("2026H1"), HENAN, WorkingCalendar()) == date(2026, 7, 1)
    closed = WorkingCalendar([Override(day=date(2026, 7, 1), working=False, reason="测试")])
    assert report_due(parse_report_period("2026H1"), HENAN, closed) == date(2026, 7, 2)


def test_the_periods_open_on_a_day_are_the_latest_ended_of_each_kind() -> None:
    assert latest_ended("quarter", date(2026, 1, 1)).key == "2025Q4"
    assert latest_ended("half", date(2026, 6, 30)).key == "2025H1"
    cal = WorkingCalendar()
    assert [p.key for p in periods_open(HENAN, date(2026, 7, 1), cal)] == ["2026Q2", "2026H1"]  # 2025 was due 01-04
    assert [p.key for p in periods_open(HENAN, date(2026, 7, 2), cal)] == ["2026Q2"]
    assert [p.key for p in periods_open(HENAN, date(2026, 1, 4), cal)] == ["2025Q4", "2025"]


def test_every_profile_names_a_due_rule_for_each_kind_it_reports() -> None:
    for name in available_profiles():
        reports = load_profile(name).integrity_reports
        assert set(reports.kinds) <= set(reports.due) and reports.basis


def test_only_the_department_submits_and_only_the_credit_office_decides() -> None:
    assert REPORT_RULES.authorize("submit", "department", "fgw", "scjg") is not None
    assert REPORT_RULES.authorize("submit", "department", "fgw", "fgw") is None
    assert REPORT_RULES.authorize("accept", "department", "fgw", "fgw") is not None
    assert REPORT_RULES.authorize("return_report", "credit_office", None, "fgw") is None
