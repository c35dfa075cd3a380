"""Which cases a calendar change must wake at once, and which re-plan when their pending timer fires
(domain.deadlines.replan). Dates: Monday 2026-11-02; henan reminders 3 and 1 working days before, and on the day."""

from __future__ import annotations

from datetime import date

from domain.calendar import Override, Pause, WorkingCalendar
from domain.deadlines import DeadlineSpec, replan
from domain.profiles import load_profile
from tests.workflows.harness import local

REMINDERS = load_profile("henan").reminders
BASE = WorkingCalendar()


def five_working_days_from(start: date, **changes: object) -> DeadlineSpec:
    return DeadlineSpec(key="verification", label="践诺核验期限", basis="b", start_event="e", start_date=start,
                        unit="working_days", count=5, **changes)  # type: ignore[arg-type]


def with_day(day: date, working: bool) -> WorkingCalendar:
    return BASE.with_change(Override(day=day, working=working, reason="测试"))


def test_a_holiday_inside_the_period_postpones_without_waking_the_case() -> None:
    r = replan(five_working_days_from(date(2026, 11, 2)), REMINDERS, BASE, with_day(date(2026, 11, 5), False),
               local(2026, 11, 2, 12))
    assert (r.before.due_date, r.after.due_date) == (date(2026, 11, 9), date(2026, 11, 10))
    assert r.moved and r.wake_at is None  # first event both times: the 3-day reminder, 11-04 08:30


def test_an_adjusted_working_day_that_brings_an_event_before_the_pending_one_wakes_the_case() -> None:
    # at 11-06 10:00 the case waits for the on-the-day reminder of 11-09; Saturday 11-07 becomes a working day
    r = replan(five_working_days_from(date(2026, 11, 2)), REMINDERS, BASE, with_day(date(2026, 11, 7), True),
               local(2026, 11, 6, 10))
    assert r.after.due_date == date(2026, 11, 7)
    assert r.next_event_at == local(2026, 11, 7, 8, 30)
    assert r.wake_at == local(2026, 11, 6, 10)  # midnight of the day before has passed: at once


def test_a_deadline_that_stops_having_passed_wakes_the_case() -> None:
    # overdue since 11-09 24:00; two holidays put the due date back in the future: 逾期 must be lifted now
    later = with_day(date(2026, 11, 4), False).with_change(Override(day=date(2026, 11, 5), working=False, reason="t"))
    r = replan(five_working_days_from(date(2026, 11, 2)), REMINDERS, BASE, later, local(2026, 11, 10, 10))
    assert r.after.due_date == date(2026, 11, 11) and r.wake_at == local(2026, 11, 10, 10)


def test_a_paused_clock_has_no_timer_to_move() -> None:
    spec = five_working_days_from(date(2026, 11, 2), pauses=[Pause(reason="inspection", paused_on=date(2026, 11, 3))])
    r = replan(spec, REMINDERS, BASE, with_day(date(2026, 11, 5), False), local(2026, 11, 4, 10))
    assert r.wake_at is None


def test_unknown_reminders_wake_the_case_to_be_safe() -> None:
    r = replan(five_working_days_from(date(2026, 11, 2)), None, BASE, with_day(date(2026, 11, 5), False),
               local(2026, 11, 2, 12), reminders_known=False)
    assert r.wake_at == local(2026, 11, 2, 12)


def test_a_change_outside_the_period_moves_nothing() -> None:
    r = replan(five_working_days_from(date(2026, 11, 2)), REMINDERS, BASE, with_day(date(2026, 12, 1), False),
               local(2026, 11, 2, 12))
    assert not r.moved and r.wake_at is None


def test_an_event_moved_earlier_weeks_ahead_wakes_the_case_the_midnight_before_it() -> None:
    # due Monday 11-30 (fixed); at 11-02 the case waits for the 3-day reminder of 11-25 08:30.
    # Thursday 11-26 becomes a holiday: that reminder moves to Tuesday 11-24.
    spec = DeadlineSpec(key="due", label="承诺履行期限", basis="b", start_event="e", start_date=date(2026, 10, 1),
                        unit="fixed_date", fixed_due=date(2026, 11, 30))
    r = replan(spec, REMINDERS, BASE, with_day(date(2026, 11, 26), False), local(2026, 11, 2, 12))
    assert not r.moved and r.next_event_at == local(2026, 11, 24, 8, 30)
    assert r.wake_at == local(2026, 11, 23, 0, 0)
