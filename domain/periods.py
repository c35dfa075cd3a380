"""Periods counted in months from a decision (民法典 art. 201–202), for publicity (公示期).

One rule for every date a record shows or acts on — its publicity end, the first day repair may be
requested, the expiry timer:

* the day of the decision is not counted (art. 201): the period starts the next day;
* a period of N months ends on the day of the N-th month after the decision that corresponds to the
  decision day (art. 202); when that month has no such day, on its last day
  (2024-02-29 + 12 months → 2025-02-28); the last day counts in full, until 24:00 (art. 203 para. 2);
* the end is NOT moved off a rest day. Art. 203's move to the next working day serves a party who must
  act by the last day; a 公示期 is a span in which information is published, and 信用修复管理办法
  (国家发展改革委令2025年第36号) fixes its minimum and maximum in natural months. Moving the end would
  publish dishonesty information beyond its maximum and hold repair back past its minimum.
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta


def add_months(d: date, months: int) -> date:
    """Calendar months; the day is clamped to the month's end (2026-01-31 + 1 → 2026-02-28)."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, _calendar.monthrange(year, month)[1]))


def months_period_last_day(start: date, months: int) -> date:
    """Last day (inclusive) of a period of `months` months counted from `start` (start not counted).
    A period of 0 months has no days: it is over by the end of `start` itself."""
    if months < 0:
        raise ValueError("months must be >= 0")
    return add_months(start, months)


def first_day_after(start: date, months: int) -> date:
    """The first day on which the period of `months` months from `start` has run."""
    return months_period_last_day(start, months) + timedelta(days=1)
