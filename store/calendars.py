"""Calendar versions in SQL: the working calendar of a version is the package data under every
override up to that version (a later override of the same day wins)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, func, select

from domain.calendar import Override, WorkingCalendar
from store.models import CalendarOverride, CalendarVersion, CalendarYear

_cache: dict[int, WorkingCalendar] = {}


def latest_version(session: Session) -> int:
    return session.exec(select(func.max(CalendarVersion.id))).one() or 0


def load_calendar(session: Session, version: int | None = None) -> WorkingCalendar:
    """The calendar of `version` (default: newest); cached, since versions never change."""
    version = latest_version(session) if version is None else version
    if version not in _cache:
        rows = session.exec(
            select(CalendarOverride)
            .where(CalendarOverride.version_id <= version)
            .order_by(col(CalendarOverride.version_id), col(CalendarOverride.id))
        ).all()
        overrides = [Override(day=r.day, working=r.working, reason=r.reason) for r in rows]
        years = session.exec(select(CalendarYear.year).where(CalendarYear.version_id <= version)).all()
        _cache[version] = WorkingCalendar(overrides, version=version, confirmed_years=years)
    return _cache[version]


def add_override(session: Session, day: date, working: bool, reason: str, by: str, at: datetime) -> CalendarVersion:
    """Create a new calendar version holding one override (who/when/why kept on the version)."""
    version = CalendarVersion(created_by=by, reason=reason, created_at=at)
    session.add(version)
    session.flush()
    assert version.id is not None
    session.add(CalendarOverride(version_id=version.id, day=day, working=working, reason=reason))
    session.flush()
    return version


def confirm_year(session: Session, year: int, reason: str, by: str, at: datetime) -> CalendarVersion:
    """A new calendar version stating that `year`'s holiday schedule is entered in full."""
    version = CalendarVersion(created_by=by, reason=reason, created_at=at)
    session.add(version)
    session.flush()
    assert version.id is not None
    session.add(CalendarYear(version_id=version.id, year=year, reason=reason))
    session.flush()
    return version


def list_confirmed_years(session: Session) -> list[tuple[CalendarYear, CalendarVersion]]:
    rows = session.exec(select(CalendarYear, CalendarVersion)
                        .join(CalendarVersion, col(CalendarVersion.id) == col(CalendarYear.version_id)))
    return [(y, v) for y, v in rows]


def list_overrides(session: Session) -> list[tuple[CalendarOverride, CalendarVersion]]:
    rows = session.exec(
        select(CalendarOverride, CalendarVersion)
        .join(CalendarVersion, col(CalendarVersion.id) == col(CalendarOverride.version_id))
        .order_by(col(CalendarOverride.version_id).desc())
    ).all()
    return [(o, v) for o, v in rows]


def save_version(session: Session, overrides: list[Override], confirmed_year: int | None, reason: str, by: str,
                 at: datetime) -> CalendarVersion:
    """One calendar version holding many overrides and, optionally, a confirmed year: an imported State
    Council notice is one change, cited once, and re-projected once."""
    version = CalendarVersion(created_by=by, reason=reason, created_at=at)
    session.add(version)
    session.flush()
    assert version.id is not None
    for o in overrides:
        session.add(CalendarOverride(version_id=version.id, day=o.day, working=o.working, reason=o.reason))
    if confirmed_year is not None:
        session.add(CalendarYear(version_id=version.id, year=confirmed_year, reason=reason))
    session.flush()
    return version
