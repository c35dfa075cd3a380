"""Monitoring (../shared/spec/processes.md §9): figures and the league table per period; a named official's archive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlmodel import Session, col, select

from activities.report import report_csv
from api.auth import require
from api.deps import SessionDep
from api.problems import field_error
from api.queries import department_names
from api.report_figures import department_report
from api.schemas.commitments import CommitmentSummary
from api.schemas.records import RecordSummary
from api.schemas.reports import ArchiveSummary, DepartmentReport, OfficialArchive
from api.validation import today_local
from domain.capabilities import Capability
from domain.messages import Actor
from domain.report import Period, parse_period, quarter_of
from store.models import Commitment, Record

router = APIRouter(tags=["reports"])
Staff = Annotated[Actor, Depends(require(Capability.read_reports))]
PeriodParam = Annotated[str | None, Query(max_length=10, description="2026Q4、2026-11 或 2026；默认本季度")]


def period_or_422(text: str | None) -> Period:
    if not text:
        return quarter_of(today_local())
    try:
        return parse_period(text)
    except ValueError as err:
        raise field_error("period", str(err)) from None


@router.get("/api/reports/departments", response_model=DepartmentReport)
def departments_report(session: SessionDep, actor: Staff, period: PeriodParam = None) -> DepartmentReport:
    """Figures per department for the period, ranked; `formula` states how the score is computed."""
    return DepartmentReport.model_validate(department_report(session, period_or_422(period)))


@router.get("/api/reports/departments.csv")
def departments_report_csv(session: SessionDep, actor: Staff, period: PeriodParam = None) -> Response:
    p = period_or_422(period)
    return Response(report_csv(department_report(session, p)), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="report-{p.key}.csv"'})


def archive_of(session: Session, name: str) -> OfficialArchive:
    """Everything on record for a named official, across departments (staff only: the full view)."""
    names = department_names(session)
    commitments = session.exec(select(Commitment).where(Commitment.official == name).order_by(col(Commitment.id)))
    records = session.exec(select(Record).where(Record.official == name).order_by(col(Record.id)))
    items = [CommitmentSummary.of(c, names) for c in commitments]
    return OfficialArchive(official=name, commitments=items, records=[RecordSummary.of(r, names) for r in records],
                           summary=ArchiveSummary(commitments=len(items),
                                                  fulfilled=sum(c.state == "fulfilled" for c in items),
                                                  breached=sum(c.state == "breached" for c in items),
                                                  overdue_now=sum(c.state == "published" and c.overdue
                                                                  for c in items)))


def official_archive(session: Session, name: str) -> dict[str, Any]:
    """The archive as the official's page reads it (api/pages/reports.py)."""
    return archive_of(session, name).model_dump(mode="json")


@router.get("/api/officials/{name}", response_model=OfficialArchive)
def official(name: Annotated[str, Path(min_length=1, max_length=100)], session: SessionDep,
             actor: Annotated[Actor, Depends(require(Capability.read_official_reports))]) -> OfficialArchive:
    return archive_of(session, name)
