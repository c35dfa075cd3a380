"""The working-day clock: which days count, and deadlines that explain themselves.

Layers, highest first: operator overrides (versioned, entered by admins), the `chinese-calendar`
package (2004–2026), and beyond that the holiday law (`domain.holiday_law`: Monday–Friday minus the
statutory holidays and their art. 6 make-up days), marked provisional because 调休 is not known yet —
each receipt names the days it assumed and why. A year an operator has confirmed (its notice entered)
keeps the statutory holidays but no assumed make-up days: the notice says where they fall.
Counting follows 民法典 art. 201 (the start day is not counted), art. 202 (months end on the corresponding
day) and art. 203 (a period in natural days or months that ends on a rest day moves to the next working day).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from pydantic import BaseModel, Field

from domain import holiday_law
from domain.periods import add_months

TZ = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)
SEND_WINDOW_OPEN = time(8, 30)
SEND_WINDOW_CLOSE = time(18, 0)

HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class Override(BaseModel):
    """An operator's statement about one day, e.g. a 2027 adjusted working Sunday."""

    day: date
    working: bool
    reason: str


class DayInfo(BaseModel):
    day: date
    working: bool
    provisional: bool
    note: str
    assumption: str = ""  # why a provisional year's make-up day (holiday law art. 6) is a rest day: the receipt


class SkippedDay(BaseModel):
    day: date
    note: str


class Pause(BaseModel):
    reason: str
    paused_on: date
    resumed_on: date | None = None
    remaining_working_days: int | None = None


class Extension(BaseModel):
    reason: str
    working_days: int
    approved_by: str
    approved_on: date


class Receipt(BaseModel):
    """时限说明: everything a reader needs to check the date by hand."""

    basis: str
    start_event: str
    start_date: date
    unit: str  # working_days | natural_days | natural_months | fixed_date
    count: int
    skipped: list[SkippedDay] = Field(default_factory=list)
    moved_from: date | None = None  # natural-day end on a rest day (民法典 art. 203)
    pauses: list[Pause] = Field(default_factory=list)
    extensions: list[Extension] = Field(default_factory=list)
    calendar_version: int
    due_date: date
    provisional: bool
    provisional_days: list[date] = Field(default_factory=list)
    # rest days the count stepped over only because the holiday law says so (the year's notice not entered);
    # absent from receipts made before it, which then read as before
    assumed: list[SkippedDay] = Field(default_factory=list)

    def summary_zh(self) -> str:
        unit = {"working_days": "个工作日", "natural_days": "日", "natural_months": "个月", "fixed_date": ""}[self.unit]
        if self.unit == "fixed_date":
            text = f"{self.basis}：约定日期 {self.due_date.isoformat()}"
        else:
            text = (
                f"{self.basis}：自{self.start_event}（{self.start_date.isoformat()}）次日起算"
                f" {self.count}{unit}，截止 {self.due_date.isoformat()} 23:59:59"
            )
        if self.skipped:
            text += f"；跳过休息日 {len(self.skipped)} 天"
        if self.moved_from:
            text += f"；原截止日 {self.moved_from.isoformat()} 为休息日，顺延"
        for p in self.pauses:
            text += f"；中止计时（{p.reason}）自 {p.paused_on.isoformat()}"
            if p.resumed_on:
                text += f" 至 {p.resumed_on.isoformat()}"
        for e in self.extensions:
            text += f"；延期 {e.working_days} 个工作日（{e.reason}）"
        text += f"；日历版本 {self.calendar_version}"
        if self.provisional:
            text += "；暂定（节假日安排未录入）"
            if self.assumed:
                text += "：" + "；".join(f"{a.day.isoformat()} {a.note}" for a in self.assumed)
        return text


class Deadline(BaseModel):
    due_date: date
    due_at: datetime  # aware, +08:00, 23:59:59 local of the last day
    provisional: bool
    receipt: Receipt


def end_of_day(d: date) -> datetime:
    return datetime.combine(d, END_OF_DAY, tzinfo=TZ)


def law_day(d: date, confirmed: bool) -> DayInfo:
    """A day beyond the package data and the overrides: the holiday law, provisional unless confirmed."""
    law = holiday_law.rest_days(d.year).get(d)
    if law is not None and (law.kind == "statutory" or not confirmed):
        if confirmed:
            return DayInfo(day=d, working=False, provisional=False, note=law.note)
        note = law.note[:-1] + "，暂定）"
        return DayInfo(day=d, working=False, provisional=True, note=note, assumption=law.assumption)
    working = d.weekday() < 5
    note = ("工作日" if working else "周末") + ("" if confirmed else "（暂定）" if working else "")
    return DayInfo(day=d, working=working, provisional=not confirmed, note=note)


@functools.lru_cache(maxsize=1)
def _covered_years() -> tuple[int, int]:
    years = sorted({d.year for d in chinese_calendar.holidays})
    return years[0], years[-1]


class WorkingCalendar:
    """One calendar version: the package data under the overrides of that version."""

    def __init__(self, overrides: Iterable[Override] = (), version: int = 0,
                 confirmed_years: Iterable[int] = ()) -> None:
        self.version = version
        self._overrides = {o.day: o for o in overrides}
        # years whose State Council schedule an operator has entered completely: no longer provisional
        self.confirmed_years = frozenset(confirmed_years)
        self._days: dict[date, DayInfo] = {}  # a version never changes, so neither does what it says of a day

    def day(self, d: date) -> DayInfo:
        info = self._days.get(d)
        if info is None:
            info = self._days[d] = self._work_out(d)
        return info

    def _work_out(self, d: date) -> DayInfo:
        if d in self._overrides:
            o = self._overrides[d]
            note = ("调休上班" if o.working else "休息日") + f"（人工设定：{o.reason}）"
            return DayInfo(day=d, working=o.working, provisional=False, note=note)
        first, last = _covered_years()
        if first <= d.year <= last:
            working = chinese_calendar.is_workday(d)
            _, name = chinese_calendar.get_holiday_detail(d)
            zh = HOLIDAY_NAMES_ZH.get(name or "", name or "")
            if working:
                note = f"调休上班（{zh}）" if d.weekday() >= 5 else "工作日"
            else:
                note = zh or "周末"
            return DayInfo(day=d, working=working, provisional=False, note=note)
        return law_day(d, d.year in self.confirmed_years)

    def with_change(self, override: Override | None = None, confirmed_year: int | None = None) -> WorkingCalendar:
        """The calendar as it would be with one more override or confirmed year (for previews)."""
        return self.with_changes([override] if override else [], [confirmed_year] if confirmed_year else [])

    def with_changes(self, overrides: Iterable[Override], confirmed_years: Iterable[int] = ()) -> WorkingCalendar:
        """The calendar as it would be with one more version holding all of these (an imported notice)."""
        return WorkingCalendar([*self._overrides.values(), *overrides], version=self.version + 1,
                               confirmed_years=[*self.confirmed_years, *confirmed_years])

    def assumed_between(self, a: date, b: date) -> list[SkippedDay]:
        """Rest days in (a, b] taken from the holiday law alone, each with its reason."""
        infos = (self.day(d) for d in _days(a, b))
        return [SkippedDay(day=i.day, note=i.assumption) for i in infos if i.assumption]

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def shift_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (n > 0) or before d (n < 0); d itself never counts."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        current = d
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]: what is left of a period at a, ending on b."""
        count, current = 0, a
        while current < b:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count

    def add_working_days(self, start: date, n: int, *, basis: str, start_event: str) -> Deadline:
        if n < 0:
            raise ValueError("working_days must be >= 0")
        skipped: list[SkippedDay] = []
        provisional_days: list[date] = []
        current, remaining = start, n
        while remaining:
            current += timedelta(days=1)
            info = self.day(current)
            if info.provisional:
                provisional_days.append(current)
            if info.working:
                remaining -= 1
            else:
                skipped.append(SkippedDay(day=current, note=info.note))
        deadline = self._deadline(
            current, basis, start_event, start, "working_days", n, skipped, provisional_days
        )
        deadline.receipt.assumed = self.assumed_between(start, current)
        return deadline

    def add_natural_days(self, start: date, n: int, *, basis: str, start_event: str) -> Deadline:
        return self._natural_end(start, start + timedelta(days=n), "natural_days", n, basis, start_event)

    def add_natural_months(self, start: date, n: int, *, basis: str, start_event: str) -> Deadline:
        """A period of `n` months (民法典 art. 202: the corresponding day of the n-th month after `start`, the
        month's last day when it has none); a last day on a rest day moves to the next working day (art. 203)."""
        return self._natural_end(start, add_months(start, n), "natural_months", n, basis, start_event)

    def _natural_end(self, start: date, end: date, unit: str, n: int, basis: str, start_event: str) -> Deadline:
        moved_from = None
        skipped: list[SkippedDay] = []
        if not self.is_working_day(end):
            moved_from = end
            while not self.is_working_day(end):
                skipped.append(SkippedDay(day=end, note=self.day(end).note))
                end += timedelta(days=1)
        provisional_days = [d for d in _days(start, end) if self.day(d).provisional]
        deadline = self._deadline(
            end, basis, start_event, start, unit, n, skipped, provisional_days
        )
        deadline.receipt.moved_from = moved_from
        # only the move off a rest day depends on which days are rest days
        deadline.receipt.assumed = self.assumed_between(moved_from - timedelta(days=1), end) if moved_from else []
        return deadline

    def fixed_date(self, due: date, *, basis: str, start_event: str, start: date) -> Deadline:
        """A date promised by the case itself (a commitment's due date): kept as promised."""
        provisional = self.day(due).provisional
        return self._deadline(
            due, basis, start_event, start, "fixed_date", 0, [], [due] if provisional else []
        )

    def next_send_time(self, at: datetime) -> datetime:
        """Earliest instant >= at inside the send window (08:30–18:00 on a working day)."""
        local = at.astimezone(TZ)
        d = local.date()
        if self.is_working_day(d):
            opens = datetime.combine(d, SEND_WINDOW_OPEN, tzinfo=TZ)
            closes = datetime.combine(d, SEND_WINDOW_CLOSE, tzinfo=TZ)
            if local < opens:
                return opens
            if local < closes:
                return local
        return datetime.combine(self.shift_working_days(d, 1), SEND_WINDOW_OPEN, tzinfo=TZ)

    def morning_of(self, d: date) -> datetime:
        return datetime.combine(d, SEND_WINDOW_OPEN, tzinfo=TZ)

    def _deadline(
        self,
        due: date,
        basis: str,
        start_event: str,
        start: date,
        unit: str,
        count: int,
        skipped: list[SkippedDay],
        provisional_days: list[date],
    ) -> Deadline:
        provisional = bool(provisional_days)
        receipt = Receipt(
            basis=basis,
            start_event=start_event,
            start_date=start,
            unit=unit,
            count=count,
            skipped=skipped,
            calendar_version=self.version,
            due_date=due,
            provisional=provisional,
            provisional_days=provisional_days,
        )
        return Deadline(due_date=due, due_at=end_of_day(due), provisional=provisional, receipt=receipt)


def _days(a: date, b: date) -> list[date]:
    return [a + timedelta(days=i) for i in range(1, (b - a).days + 1)]
