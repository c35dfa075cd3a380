"""Importing a State Council holiday notice in one step (API, admin page and CLI share this): what the
notice says, which open deadlines it would move, and saving it as ONE calendar version that cites the
notice, holds every day it names and confirms its year — so one import is one re-projection run."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session
from temporalio.client import Client

from api.problems import Problem
from api.routes.calendar import affected_by, start_reprojection
from api.schemas.calendar import AffectedDeadline, Festival, NoticeImported, NoticePreview
from api.schemas.common import local_at
from domain.calendar import Override
from domain.holiday_notice import HolidayNotice, NoticeDay, parse_notice
from store.calendars import load_calendar, save_version
from store.models import CalendarVersion

WEEKDAYS = "一二三四五六日"


def day_zh(d: date, year: bool = True) -> str:
    return f"{f'{d.year}年' if year else ''}{d.month}月{d.day}日（周{WEEKDAYS[d.weekday()]}）"


def overrides(notice: HolidayNotice) -> list[Override]:
    return [Override(day=d.day, working=d.working,
                     reason=f"{notice.title}：{d.festival}{'调休上班' if d.working else '放假'}")
            for d in notice.days]


def _ranges(days: list[NoticeDay]) -> list[str]:
    """Consecutive days as one range: 2026年2月15日（周日）至2026年2月23日（周一），共9天."""
    out: list[list[date]] = []
    for d in sorted(x.day for x in days):
        if out and (d - out[-1][-1]).days == 1:
            out[-1].append(d)
        else:
            out.append([d])
    return [day_zh(r[0]) if len(r) == 1 else
            f"{day_zh(r[0])}至{day_zh(r[-1], r[-1].year != r[0].year)}，共{len(r)}天" for r in out]


def festivals(notice: HolidayNotice) -> list[Festival]:
    """The notice as the admin checks it: per festival, its holiday ranges and its adjusted working days."""
    names = list(dict.fromkeys(d.festival for d in notice.days))
    return [Festival(festival=name,
                     holidays=_ranges([d for d in notice.days if d.festival == name and not d.working]),
                     workdays=[day_zh(d.day) for d in notice.days if d.festival == name and d.working])
            for name in names]


def refuse_unless_importable(notice: HolidayNotice) -> None:
    if notice.errors():
        raise Problem(422, "通知未能导入：" + "；".join(notice.errors()),
                      errors=[{"field": "text", "message": e} for e in notice.errors()])


def check(session: Session, text: str) -> NoticePreview:
    """What the notice says and what it would move ("此变更将影响 N 个未到期时限"); saves nothing."""
    notice = parse_notice(text)
    moved: list[AffectedDeadline] = []
    if not notice.errors():
        candidate = load_calendar(session).with_changes(overrides(notice), [notice.year or 0])
        moved = affected_by(session, candidate)
    return NoticePreview(title=notice.title, citation=notice.citation, year=notice.year,
                         holidays=[d.day for d in notice.days if not d.working],
                         workdays=[d.day for d in notice.days if d.working],
                         festivals=festivals(notice), problems=notice.problems,
                         other_lines=notice.other_lines, errors=notice.errors(),
                         affected=len(moved), message=f"此变更将影响 {len(moved)} 个未到期时限", deadlines=moved)


def preview(session: Session, text: str) -> dict[str, Any]:
    """The check as the admin page and the CLI read it."""
    return check(session, text).model_dump(mode="json")


def save(session: Session, notice: HolidayNotice, by: str) -> tuple[CalendarVersion, int]:
    """The saved version and how many open deadlines it moves: every day of the notice, its year confirmed."""
    refuse_unless_importable(notice)
    days = overrides(notice)
    moved = affected_by(session, load_calendar(session).with_changes(days, [notice.year or 0]))
    version = save_version(session, days, notice.year, notice.citation, by, datetime.now(UTC))
    session.commit()
    return version, len(moved)


async def import_notice(session: Session, client: Client, text: str, by: str) -> NoticeImported:
    notice = parse_notice(text)
    version, affected = save(session, notice, by)
    reprojection = await start_reprojection(client, version.id or 0)
    return NoticeImported(version=version.id, title=notice.title, reason=notice.citation, year=notice.year,
                          holidays=sum(not d.working for d in notice.days),
                          workdays=sum(d.working for d in notice.days), created_by=by,
                          created_at=local_at(version.created_at), affected=affected, reprojection=reprojection)
