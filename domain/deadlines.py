"""Deadline projection: a deadline is a spec (what the law says) projected on a calendar version.

Projection is pure and repeatable, so a pause, an extension or a new calendar version is applied by
projecting the same spec again — the receipt then lists every step.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from domain.calendar import TZ, Deadline, Extension, Pause, WorkingCalendar, end_of_day
from domain.profiles import Reminders

DIGEST_LIMIT = 20  # daily digests after 严重逾期; beyond that the case is plainly on the escalation list


class DeadlineSpec(BaseModel):
    key: str
    label: str
    basis: str
    start_event: str
    start_date: date
    unit: Literal["working_days", "natural_days", "natural_months", "fixed_date"]
    count: int = 0
    fixed_due: date | None = None
    pauses: list[Pause] = Field(default_factory=list)
    extensions: list[Extension] = Field(default_factory=list)

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].resumed_on is None


class ScheduledEvent(BaseModel):
    key: str  # unique within the case for this due date: reminder keys never repeat a send
    kind: Literal["reminder", "due", "serious", "digest"]
    at: datetime
    working_days_left: int = 0


class DeadlinePlan(BaseModel):
    deadline: Deadline
    events: list[ScheduledEvent]
    paused: bool


def project(spec: DeadlineSpec, cal: WorkingCalendar) -> Deadline:
    """The due date of spec on cal, with pauses and extensions applied in order."""
    if spec.unit == "working_days":
        deadline = cal.add_working_days(spec.start_date, spec.count, basis=spec.basis, start_event=spec.start_event)
    elif spec.unit == "natural_days":
        deadline = cal.add_natural_days(spec.start_date, spec.count, basis=spec.basis, start_event=spec.start_event)
    elif spec.unit == "natural_months":
        deadline = cal.add_natural_months(spec.start_date, spec.count, basis=spec.basis, start_event=spec.start_event)
    else:
        assert spec.fixed_due is not None, "fixed_date deadlines need fixed_due"
        deadline = cal.fixed_date(
            spec.fixed_due, basis=spec.basis, start_event=spec.start_event, start=spec.start_date
        )
    receipt = deadline.receipt
    due = deadline.due_date
    steps: list[tuple[date, Pause | Extension]] = [(p.paused_on, p) for p in spec.pauses]
    steps += [(e.approved_on, e) for e in spec.extensions]
    provisional = deadline.provisional
    for _, step in sorted(steps, key=lambda s: s[0]):
        if isinstance(step, Pause):
            remaining = cal.working_days_between(step.paused_on, due)
            step = step.model_copy(update={"remaining_working_days": remaining})
            receipt.pauses.append(step)
            if step.resumed_on is not None:
                due = cal.shift_working_days(step.resumed_on, remaining)
                receipt.assumed += cal.assumed_between(step.resumed_on, due)
        else:
            receipt.extensions.append(step)
            extended = cal.shift_working_days(due, step.working_days)
            receipt.assumed += cal.assumed_between(due, extended)
            due = extended
        provisional = provisional or cal.day(due).provisional
    receipt.assumed = sorted({a.day: a for a in receipt.assumed}.values(), key=lambda a: a.day)
    if cal.day(due).provisional and due not in receipt.provisional_days:
        receipt.provisional_days.append(due)
    receipt.due_date = due
    receipt.provisional = provisional
    return Deadline(due_date=due, due_at=end_of_day(due), provisional=provisional, receipt=receipt)


def schedule(deadline: Deadline, reminders: Reminders | None, cal: WorkingCalendar) -> list[ScheduledEvent]:
    """Reminders (08:30 on the offset working days), the due instant, then escalations."""
    due = deadline.due_date
    events: list[ScheduledEvent] = []
    if reminders is not None:
        # a promised date on a rest day is reminded on the working days before it, never on the rest day
        last_working = due if cal.is_working_day(due) else cal.shift_working_days(due, -1)
        seen: set[date] = set()
        for offset in sorted(set(reminders.offsets_working_days), reverse=True):
            day = cal.shift_working_days(last_working, -offset) if offset else last_working
            if day in seen:
                continue
            seen.add(day)
            events.append(ScheduledEvent(
                key=f"reminder:{due.isoformat()}:{offset}", kind="reminder", at=cal.morning_of(day),
                working_days_left=offset,
            ))
    events.append(ScheduledEvent(key=f"due:{due.isoformat()}", kind="due", at=deadline.due_at + timedelta(seconds=1)))
    if reminders is not None:
        serious_day = cal.shift_working_days(due, reminders.serious_after_working_days)
        events.append(ScheduledEvent(
            key=f"serious:{due.isoformat()}", kind="serious", at=cal.morning_of(serious_day)
        ))
        day = serious_day
        for n in range(1, DIGEST_LIMIT + 1):
            day = cal.shift_working_days(day, reminders.digest_every_working_days)
            events.append(ScheduledEvent(key=f"digest:{due.isoformat()}:{n}", kind="digest", at=cal.morning_of(day)))
    return events


class Replan(BaseModel):
    """One open deadline re-planned on a new calendar version."""

    before: Deadline
    after: Deadline
    wake_at: datetime | None  # when the case must be woken to move a timer; None: its pending timer will do
    next_event_at: datetime | None  # the new plan's first event still to come: urgent wake-ups go first

    @property
    def moved(self) -> bool:
        return deadline_moved(self.before, self.after)


def deadline_moved(before: Deadline, after: Deadline) -> bool:
    """What a calendar change counts (preview, case history, notice): a new date, or 暂定 set or cleared."""
    return (before.due_date, before.provisional) != (after.due_date, after.provisional)


def replan(spec: DeadlineSpec, reminders: Reminders | None, before_cal: WorkingCalendar,
           after_cal: WorkingCalendar, now: datetime, *, reminders_known: bool = True) -> Replan:
    """A calendar change re-plans a deadline. Most changes only postpone what a case waits for: its
    pending timer then fires at the old instant, finds the newer calendar and re-plans itself, so the
    case need not be woken now. It must be woken when the new plan has an event before the one it waits
    for — by the day before that event (`wake_time`) — and at once when the deadline passes (or stops
    having passed) or its reminders are unknown."""
    before, after = project(spec, before_cal), project(spec, after_cal)
    if spec.paused:  # a stopped clock has no timers: it is re-projected when it resumes
        return Replan(before=before, after=after, wake_at=None, next_event_at=None)
    old_events = schedule(before, reminders, before_cal)
    new_events = schedule(after, reminders, after_cal)
    fired = {e.key for e in old_events if e.at <= now}
    waiting_for = min((e.at for e in old_events if e.at > now), default=None)
    next_new = min((e.at for e in new_events if e.key not in fired  # a past reminder is never sent late
                    and not (e.kind in ("reminder", "digest") and e.at < now)), default=None)
    earlier = next_new is not None and (waiting_for is None or next_new < waiting_for)
    passed_changed = (before.due_at <= now) != (after.due_at <= now)
    if not reminders_known or passed_changed:
        wake_at: datetime | None = now
    else:
        wake_at = wake_time(next_new, now) if earlier and next_new is not None else None
    return Replan(before=before, after=after, wake_at=wake_at, next_event_at=next_new)


def wake_time(event_at: datetime, now: datetime) -> datetime:
    """A case whose next event moved earlier is woken at local midnight of the day before that event, or now
    if that has passed. A whole day's margin covers a worker that is down or behind, and cases moved to the
    same day are woken together instead of every case of the province at once."""
    day_before = event_at.astimezone(TZ).date() - timedelta(days=1)
    return max(now, datetime.combine(day_before, time(0, 0), tzinfo=TZ))


def countdown_zh(cal: WorkingCalendar, due: date, today: date, paused: bool = False) -> str:
    """How a deadline stands, in the words of the staff and tracking pages: 剩余 N 个工作日 / 今天到期 /
    已逾期 N 个工作日 (working days after `today` up to the due date, or after the due date up to `today`)."""
    if paused:
        return "中止计时"
    if due == today:
        return "今天到期"
    if due > today:
        left = cal.working_days_between(today, due)
        return f"剩余 {left} 个工作日" if left else "剩余不足 1 个工作日"
    late = cal.working_days_between(due, today)
    return f"已逾期 {late} 个工作日" if late else "已逾期"
