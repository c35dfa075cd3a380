"""Publicity periods in months (domain.periods): the dates a record shows, refuses and expires on."""

from __future__ import annotations

from datetime import date

import pytest

from domain.periods import first_day_after, months_period_last_day
from domain.profiles import available_profiles, load_profile
from domain.record import is_published, minimum_publicity_ends, publicity_ends, repair_possible_from


@pytest.fixture(params=available_profiles())
def profile(request):  # type: ignore[no-untyped-def]
    return load_profile(request.param)


def test_general_record_minimum_ends_on_the_corresponding_day_and_repair_opens_the_next(profile) -> None:
    decided = date(2026, 8, 31)
    assert minimum_publicity_ends(decided, "general", profile) == date(2026, 11, 30)
    assert repair_possible_from(decided, "general", profile) == date(2026, 12, 1)


def test_general_record_is_published_for_at_most_one_year(profile) -> None:
    assert publicity_ends(date(2026, 8, 31), "general", profile) == date(2027, 8, 31)


def test_a_leap_day_decision_ends_on_the_last_day_of_february(profile) -> None:
    decided = date(2024, 2, 29)
    assert minimum_publicity_ends(decided, "serious", profile) == date(2025, 2, 28)
    assert repair_possible_from(decided, "serious", profile) == date(2025, 3, 1)
    assert publicity_ends(decided, "serious", profile) == date(2027, 2, 28)  # at most three years


def test_minor_records_are_not_published(profile) -> None:
    assert not is_published("minor", profile)
    assert is_published("general", profile) and is_published("serious", profile)


def test_a_period_ending_on_a_rest_day_is_not_moved() -> None:
    # 2026-10-03 is in the National Day holiday; a publicity period in natural months ends there all the same
    assert months_period_last_day(date(2026, 7, 3), 3) == date(2026, 10, 3)
    assert first_day_after(date(2026, 7, 3), 3) == date(2026, 10, 4)


def test_a_month_end_decision_ends_on_the_shorter_month_end() -> None:
    assert months_period_last_day(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_period_last_day(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert months_period_last_day(date(2026, 12, 15), 3) == date(2027, 3, 15)
