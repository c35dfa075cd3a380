"""The working-day clock (../shared/spec/processes.md §1): the worked examples, 民法典 counting, overrides,
provisional years, receipts and the send window."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from domain.calendar import TZ, Override, WorkingCalendar
from domain.deadlines import DeadlineSpec, project, schedule
from domain.profiles import available_profiles, load_profile

CAL = WorkingCalendar()


@pytest.mark.parametrize(("start", "n", "due", "provisional"), [
    (date(2026, 9, 30), 5, date(2026, 10, 13), False),   # National Day, 10-10 adjusted working Saturday
    (date(2026, 2, 13), 3, date(2026, 2, 25), False),    # 02-14 adjusted working Saturday, Spring Festival
    (date(2026, 10, 9), 1, date(2026, 10, 10), False),   # the adjusted working Saturday itself
    (date(2026, 12, 30), 2, date(2027, 1, 4), True),     # beyond the known calendar
])
def test_worked_examples(start: date, n: int, due: date, provisional: bool) -> None:
    d = CAL.add_working_days(start, n, basis="例", start_event="收到申请")
    assert d.due_date == due and d.provisional is provisional
    assert d.due_at == datetime(due.year, due.month, due.day, 23, 59, 59, tzinfo=TZ)


def test_start_day_is_not_counted_and_receipt_lists_skipped_rest_days() -> None:
    d = CAL.add_working_days(date(2026, 9, 30), 5, basis="河南省社会信用条例第41条", start_event="收到异议")
    skipped = [s.day for s in d.receipt.skipped]
    assert skipped[0] == date(2026, 10, 1) and date(2026, 10, 7) in skipped and date(2026, 10, 11) in skipped
    assert date(2026, 10, 10) not in skipped
    text = d.receipt.summary_zh()
    assert "次日起算" in text and "5个工作日" in text and "2026-10-13" in text and "日历版本 0" in text


def test_natural_days_ending_on_a_rest_day_move_to_next_working_day() -> None:
    d = CAL.add_natural_days(date(2026, 9, 26), 5, basis="民法典第203条", start_event="送达")
    assert d.receipt.moved_from == date(2026, 10, 1) and d.due_date == date(2026, 10, 8)
    plain = CAL.add_natural_days(date(2026, 11, 2), 3, basis="b", start_event="e")
    assert plain.due_date == date(2026, 11, 5) and plain.receipt.moved_from is None


def test_2027_fallback_counts_statutory_holidays_and_their_make_up_days_and_is_provisional() -> None:
    assert not CAL.day(date(2027, 10, 1)).working and CAL.day(date(2027, 10, 1)).provisional
    assert not CAL.day(date(2027, 2, 5)).working  # 农历除夕 is statutory since 2025
    # 国庆 10-02/10-03 are a Saturday and Sunday: made up on Monday and Tuesday (art. 6)
    assert [CAL.day(date(2027, 10, d)).working for d in (4, 5, 6)] == [False, False, True]
    assert CAL.day(date(2027, 10, 6)).provisional  # no guessed 调休: a plain Wednesday, provisional
    assert CAL.day(date(2027, 1, 1)).note == "元旦（法定节日，暂定）"  # a Friday: nothing to make up
    assert CAL.day(date(2027, 1, 4)).working


def test_2027_spring_festival_on_a_weekend_is_made_up_on_the_next_two_working_days() -> None:
    # 2027 春节: 02-05 (除夕, Fri) to 02-08 (初三, Mon); 02-06 and 02-07 fall on the weekend (art. 6)
    days = {d: CAL.day(date(2027, 2, d)) for d in range(4, 13)}
    assert [d for d, info in days.items() if not info.working] == [5, 6, 7, 8, 9, 10]
    assert days[9].note == "补假（春节逢周末，暂定）" and days[9].provisional
    deadline = CAL.add_working_days(date(2027, 2, 3), 3, basis="河南省社会信用条例第41条", start_event="收到异议")
    assert deadline.due_date == date(2027, 2, 12) and deadline.provisional
    text = deadline.receipt.summary_zh()
    assert text.endswith("暂定（节假日安排未录入）："
                         "2027-02-09 按《全国年节及纪念日放假办法》第六条推定为补假（春节逢周末）；"
                         "2027-02-10 按《全国年节及纪念日放假办法》第六条推定为补假（春节逢周末）")
    assert "2027-02-05" not in text  # 除夕 is the law itself, not an assumption


def test_make_up_days_named_in_extensions_and_natural_days_too() -> None:
    from domain.calendar import Extension

    spec = DeadlineSpec(key="k", label="核实期限", basis="b", start_event="e", start_date=date(2027, 4, 26),
                        unit="working_days", count=3,
                        extensions=[Extension(reason="补充鉴定", working_days=2, approved_by="xyb",
                                              approved_on=date(2027, 4, 28))])
    d = project(spec, CAL)  # 04-29 + 2: 04-30, then over 劳动节 (05-01/05-02, a weekend) and its make-up days
    assert d.due_date == date(2027, 5, 5)
    assert [a.day for a in d.receipt.assumed] == [date(2027, 5, 3), date(2027, 5, 4)]
    natural = CAL.add_natural_days(date(2027, 4, 20), 13, basis="民法典第203条", start_event="送达")
    assert natural.receipt.moved_from == date(2027, 5, 3) and natural.due_date == date(2027, 5, 5)
    assert "2027-05-04 按《全国年节及纪念日放假办法》第六条推定为补假（劳动节逢周末）" in natural.receipt.summary_zh()


def test_a_confirmed_year_keeps_statutory_holidays_but_assumes_no_make_up_days() -> None:
    confirmed = WorkingCalendar(confirmed_years=[2027])
    assert not confirmed.day(date(2027, 2, 8)).working  # 初三: the law
    assert confirmed.day(date(2027, 2, 9)).working and not confirmed.day(date(2027, 2, 9)).provisional


def test_receipts_made_before_assumed_days_existed_still_read() -> None:
    from domain.calendar import Receipt

    old = CAL.add_working_days(date(2026, 12, 30), 2, basis="b", start_event="e").receipt.model_dump(mode="json")
    del old["assumed"]
    assert Receipt.model_validate(old).summary_zh().endswith("；暂定（节假日安排未录入）")


def test_operator_overrides_win_over_package_and_fallback() -> None:
    cal = WorkingCalendar([Override(day=date(2027, 1, 4), working=False, reason="2027年元旦放假通知"),
                           Override(day=date(2026, 10, 12), working=False, reason="地方性假日")], version=3)
    assert cal.add_working_days(date(2026, 12, 30), 2, basis="b", start_event="e").due_date == date(2027, 1, 5)
    d = cal.add_working_days(date(2026, 9, 30), 5, basis="b", start_event="e")
    assert d.due_date == date(2026, 10, 14) and d.receipt.calendar_version == 3
    assert any("地方性假日" in s.note for s in d.receipt.skipped)


def test_pause_and_extension_are_applied_in_order_and_explained() -> None:
    from domain.calendar import Extension, Pause

    spec = DeadlineSpec(key="k", label="核实期限", basis="b", start_event="e", start_date=date(2026, 9, 28),
                        unit="working_days", count=5,
                        pauses=[Pause(reason="inspection", paused_on=date(2026, 9, 30), resumed_on=date(2026, 10, 12))],
                        extensions=[Extension(reason="补充鉴定", working_days=2, approved_by="xyb",
                                              approved_on=date(2026, 10, 13))])
    d = project(spec, CAL)
    # 5 WD from 09-28 → 10-10 (adjusted Saturday); paused 09-30 with 3 WD left (10-08, 10-09, 10-10);
    # resumed 10-12 + 3 → 10-15; extended +2 → 10-19
    assert d.receipt.pauses[0].remaining_working_days == 3
    assert d.due_date == date(2026, 10, 19)
    assert "中止计时" in d.receipt.summary_zh() and "延期 2 个工作日" in d.receipt.summary_zh()


def test_schedule_reminders_at_0830_on_offset_working_days_then_escalations() -> None:
    d = CAL.fixed_date(date(2026, 10, 13), basis="b", start_event="e", start=date(2026, 9, 1))
    events = schedule(d, load_profile("henan").reminders, CAL)
    reminders = [e.at for e in events if e.kind == "reminder"]
    assert reminders == [datetime(2026, 10, 9, 8, 30, tzinfo=TZ), datetime(2026, 10, 12, 8, 30, tzinfo=TZ),
                         datetime(2026, 10, 13, 8, 30, tzinfo=TZ)]
    serious = next(e for e in events if e.kind == "serious")
    assert serious.at == datetime(2026, 10, 16, 8, 30, tzinfo=TZ)  # +3 WD after 10-13


def test_send_window_is_0830_to_1800_on_working_days() -> None:
    assert CAL.next_send_time(datetime(2026, 10, 9, 7, 0, tzinfo=TZ)) == datetime(2026, 10, 9, 8, 30, tzinfo=TZ)
    assert CAL.next_send_time(datetime(2026, 10, 9, 12, 0, tzinfo=TZ)) == datetime(2026, 10, 9, 12, 0, tzinfo=TZ)
    assert CAL.next_send_time(datetime(2026, 9, 30, 18, 0, tzinfo=TZ)) == datetime(2026, 10, 8, 8, 30, tzinfo=TZ)
    assert CAL.next_send_time(datetime(2026, 10, 10, 19, 0, tzinfo=TZ)) == datetime(2026, 10, 12, 8, 30, tzinfo=TZ)


def test_shipped_profiles_carry_the_regulation_figures() -> None:
    assert available_profiles() == ["henan", "shanghai", "shenzhen"]
    henan, shanghai, shenzhen = (load_profile(n) for n in available_profiles())
    assert henan.period("objection_total").working_days == 7 and "第41条" in henan.period("objection_total").basis
    assert shanghai.period("objection_platform_check").working_days == 5
    assert shanghai.period("correction_after_revocation").working_days == 3
    assert shenzhen.period("objection_source_verify").extension_working_days == 3
    assert shenzhen.period("repair_decision").working_days == 3
    for p in (henan, shanghai, shenzhen):
        assert p.period("commitment_grace").working_days == 5
        assert p.publicity["serious"].min_months == 12 and p.publicity["serious"].max_months == 36
        assert not p.publicity["minor"].published


def test_a_promised_date_on_a_rest_day_is_reminded_on_working_days_before_it() -> None:
    d = CAL.fixed_date(date(2026, 12, 6), basis="b", start_event="e", start=date(2026, 11, 1))  # a Sunday
    reminders = [e.at.date() for e in schedule(d, load_profile("henan").reminders, CAL) if e.kind == "reminder"]
    assert reminders == [date(2026, 12, 1), date(2026, 12, 3), date(2026, 12, 4)]


def test_a_confirmed_year_is_no_longer_provisional() -> None:
    notice = [Override(day=date(2027, 1, 2), working=False, reason="元旦调休"),
              Override(day=date(2027, 1, 4), working=True, reason="假设的调休上班日")]
    entered = WorkingCalendar(notice, version=2)
    assert entered.add_working_days(date(2026, 12, 30), 2, basis="b", start_event="e").provisional is True
    confirmed = entered.with_change(confirmed_year=2027)
    d = confirmed.add_working_days(date(2026, 12, 30), 2, basis="b", start_event="e")
    assert d.due_date == date(2027, 1, 4) and d.provisional is False
    assert not confirmed.day(date(2027, 10, 1)).working and not confirmed.day(date(2027, 10, 1)).provisional


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_law_make_up_day_is_a_rest_day_in_the_state_councils_schedule(year: int) -> None:
    """The years the 2024 revision already governs, checked against the notices (chinese-calendar)."""
    import chinese_calendar

    from domain.holiday_law import rest_days

    makeup = [d for d, law in rest_days(year).items() if law.kind == "makeup"]
    assert makeup and all(not chinese_calendar.is_workday(d) for d in makeup)
    assert all(not chinese_calendar.is_workday(d) for d in rest_days(year))
