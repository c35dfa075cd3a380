"""Working-calendar bodies: a computed deadline, the override versions, what a change would move, holiday notices."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from domain.calendar import Receipt
from domain.holiday_notice import NoticeProblem
from domain.messages import CalendarChangeProgress


class ComputedDeadline(BaseModel):
    start: date
    working_days: int | None
    natural_days: int | None
    due_date: date
    due_at: datetime
    provisional: bool
    receipt: Receipt
    receipt_text: str


class OverrideOut(BaseModel):
    """One calendar version's entry: a holiday, an adjusted working day, or a year confirmed (no longer 暂定)."""

    version: int | None
    date: date
    kind: str = Field(description="holiday | workday | year_confirmed")
    reason: str
    created_by: str
    created_at: datetime


class AffectedDeadline(BaseModel):
    """An open deadline whose date (or 暂定 mark) the change would move."""

    case_type: str
    case_id: int
    key: str
    label: str
    department: str | None
    old_due_date: date
    new_due_date: date
    provisional: bool


class CalendarPreview(BaseModel):
    affected: int
    message: str
    deadlines: list[AffectedDeadline]


class OverrideCreated(BaseModel):
    version: int | None
    date: date
    kind: str
    reason: str
    created_by: str
    created_at: datetime
    affected: int
    reprojection: str = Field(description="the id of the run re-planning the open deadlines")


class Reprojection(CalendarChangeProgress):
    """How far the re-planning of a calendar version has come."""

    reprojection: str


class Festival(BaseModel):
    festival: str
    holidays: list[str] = Field(description="holiday ranges as the admin reads them")
    workdays: list[str]


class NoticePreview(BaseModel):
    """What a pasted notice says (every day read, what was not) and the open deadlines it would move."""

    title: str | None
    citation: str
    year: int | None
    holidays: list[date]
    workdays: list[date]
    festivals: list[Festival]
    problems: list[NoticeProblem]
    other_lines: list[str]
    errors: list[str]
    affected: int
    message: str
    deadlines: list[AffectedDeadline]


class NoticeImported(BaseModel):
    version: int | None
    title: str | None
    reason: str
    year: int | None
    holidays: int
    workdays: int
    created_by: str
    created_at: datetime
    affected: int
    reprojection: str
