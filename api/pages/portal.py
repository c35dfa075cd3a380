"""Public pages (zh-CN, server-rendered, no JavaScript needed): the portal and commitment pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlmodel import col, select

from api.deps import SessionDep
from api.pages import evidence, list_filters
from api.pages.charts import columns
from api.pages.page_cache import cached_page
from api.pages.session import session_actor
from api.pages.templating import templates
from api.queries import (
    commitment_detail,
    commitment_list,
    commitment_summary,
    department_names,
    record_detail,
    record_list,
    record_summary,
    record_tombstone,
    run_list,
)
from api.report_figures import department_reports
from api.scope import reads_in_full
from api.validation import CaseId, today_local
from domain.attachments import Viewer
from domain.calendar import TZ
from domain.commitment import STATE_LABELS_ZH
from domain.report import quarter_of
from store.calendars import load_calendar
from store.models import Commitment, DeadlineRow, Department, Record

router = APIRouter(include_in_schema=False)


@router.get("/commitments", response_class=HTMLResponse)
async def commitments_page(request: Request, session: SessionDep,
                           q: Annotated[str | None, Query(max_length=100)] = None,
                           department: Annotated[str | None, Query(max_length=50)] = None,
                           state: Annotated[str | None, Query(max_length=50)] = None,
                           page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                           period: Annotated[str | None, Query(max_length=10)] = None,
                           figure: Annotated[str | None, Query(max_length=50)] = None) -> Response:
    """政务承诺 list; with `figure` and `period` (a link from /ranking), exactly the cases behind that figure."""
    def render() -> Response:
        names = department_names(session)
        filters = list_filters.checked(session, "commitment", names, department, state, figure, period)
        rows, total = run_list(session, commitment_list(None, department=department or None, state=state or None,
                                                         q=q or None, page=page, page_size=20, ids=filters.ids))
        return templates.TemplateResponse(request, "pages/portal.html.j2", {
            "items": [commitment_summary(r, names) for r in rows], "total": total, "page": page,
            "pages": max(1, (total + 19) // 20), "q": q or "", "department": department or "", "state": state or "",
            "departments": names, "states": {k: v for k, v in STATE_LABELS_ZH.items() if k != "draft"},
            **filters.context(names)})
    return await cached_page(request, session, render)


@router.get("/commitments/{commitment_id}", response_class=HTMLResponse)
def commitment_page(request: Request, commitment_id: CaseId, session: SessionDep) -> HTMLResponse:
    row = session.get(Commitment, commitment_id)
    if row is None or row.state == "draft":
        return templates.TemplateResponse(request, "pages/not_found.html.j2",
                                          {"what": f"承诺 {commitment_id}"}, status_code=404)
    return templates.TemplateResponse(request, "pages/commitment.html.j2", {
        "c": commitment_detail(session, row), "files": evidence.shown(session, "commitment", commitment_id, Viewer())})


@router.get("/records", response_class=HTMLResponse)
def records_page(request: Request, session: SessionDep, q: Annotated[str | None, Query(max_length=100)] = None,
                 department: Annotated[str | None, Query(max_length=50)] = None,
                 page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                 period: Annotated[str | None, Query(max_length=10)] = None,
                 figure: Annotated[str | None, Query(max_length=50)] = None) -> HTMLResponse:
    """失信记录 in publicity; with `figure` and `period`, the records behind that figure of /ranking (of
    which only those in publicity are shown, the others counted)."""
    names = department_names(session)
    filters = list_filters.checked(session, "record", names, department, None, figure, period)
    rows, total = run_list(session, record_list(None, department=department or None, state=None, severity=None,
                                               q=q or None, page=page, page_size=20, ids=filters.ids))
    return templates.TemplateResponse(request, "pages/records.html.j2", {
        "items": [record_summary(r, names) for r in rows], "total": total, "page": page,
        "pages": max(1, (total + 19) // 20), "q": q or "", "department": department or "", "departments": names,
        **filters.context(names)})


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: CaseId, session: SessionDep) -> HTMLResponse:
    row = session.get(Record, record_id)
    if row is not None and not row.public and row.state in ("repaired", "expired") and row.published_at:
        return templates.TemplateResponse(request, "pages/record_tombstone.html.j2",
                                          {"r": record_tombstone(row, department_names(session))})
    if row is None or not row.public:
        return templates.TemplateResponse(request, "pages/not_found.html.j2",
                                          {"what": f"失信记录 {record_id}"}, status_code=404)
    return templates.TemplateResponse(request, "pages/record.html.j2", {
        "r": record_detail(session, row), "files": evidence.shown(session, "record", record_id, Viewer())})


@router.get("/departments/{code}", response_class=HTMLResponse)
def department_page(request: Request, code: str, session: SessionDep) -> HTMLResponse:
    """诚信档案: how the department keeps its commitments, and its records — the public sees those in
    publicity; staff of the credit office, supervisors and the department itself see every record, kept
    permanently, with rectification and repair."""
    dept = session.get(Department, code)
    if dept is None:
        return templates.TemplateResponse(request, "pages/not_found.html.j2", {"what": f"单位 {code}"},
                                          status_code=404)
    commitments = [c for c in session.exec(select(Commitment).where(Commitment.department_code == code))
                   if c.state != "draft"]
    records = list(session.exec(select(Record).where(Record.department_code == code)))
    names = {code: dept.name}
    summary = {
        "commitments": len(commitments),
        "kept_on_time": sum(c.state == "fulfilled" and not c.overdue for c in commitments),
        "kept_late": sum(c.state == "fulfilled" and c.overdue for c in commitments),
        "open": sum(c.state in ("published", "fulfilment_reported") for c in commitments),
        "overdue_now": sum(c.state == "published" and c.overdue for c in commitments),
        "breached": sum(c.state == "breached" for c in commitments),
        "records_public": sum(r.public for r in records),
        "records_repaired": sum(r.state == "repaired" for r in records),
    }
    actor = session_actor(request)
    staff_view = reads_in_full(actor, code)
    return templates.TemplateResponse(request, "pages/department.html.j2", {
        "d": dept, "s": summary, "trend_chart": _on_time_trend(session, code),
        "weeks_chart": _open_deadlines_by_week(session, code), "staff_view": staff_view,
        "all_records": [record_summary(r, names) for r in sorted(records, key=lambda r: r.id or 0)]
        if staff_view else [],
        "commitments": [commitment_summary(c, names) for c in sorted(commitments, key=lambda c: -(c.id or 0))[:50]],
        "records": [record_summary(r, names) for r in records if r.public]})


def _on_time_trend(session: SessionDep, code: str) -> Markup:
    """按期践诺率 of the last four quarters (this one included), from the same figures as the ranking."""
    current = quarter_of(today_local())
    points: list[tuple[str, float | None]] = []
    for report in department_reports(session, [current.previous(n) for n in range(3, -1, -1)]):
        rate = next(r for r in report["items"] if r["department"] == code)["on_time_rate"]
        points.append((report["period"], None if rate is None else round(rate * 100, 1)))
    return columns("近四个季度按期践诺率（%）", points, maximum=100, unit="%")


def _open_deadlines_by_week(session: SessionDep, code: str) -> Markup:
    """How many of the department's open deadlines fall due in each of the next eight weeks."""
    monday = today_local() - timedelta(days=today_local().weekday())
    weeks = [monday + timedelta(weeks=n) for n in range(8)]
    counts = dict.fromkeys(weeks, 0)
    rows = session.exec(select(DeadlineRow.due_at).where(
        DeadlineRow.binds == f"department:{code}", col(DeadlineRow.status).in_(["open", "paused"])))
    for due_at in rows:
        day = due_at.astimezone(TZ).date()
        week = day - timedelta(days=day.weekday())
        if week in counts:
            counts[week] += 1
    return columns("未来八周到期的时限（按周）", [(f"{w.month}/{w.day}", float(n)) for w, n in counts.items()])


@router.get("/about/deadlines", response_class=HTMLResponse)
def deadline_help(request: Request, session: SessionDep, start: str = "", working_days: str = "") -> HTMLResponse:
    """How deadlines are counted, in plain words, with a calculator that shows its receipt."""
    result, error = None, None
    if start or working_days:
        try:
            day, n = date.fromisoformat(start), int(working_days)
            if not (2000 <= day.year <= 2100 and 0 <= n <= 3650):
                raise ValueError
            result = load_calendar(session).add_working_days(day, n, basis="按工作日计算", start_event="起算日")
        except ValueError:
            error = "请输入有效的起算日期（YYYY-MM-DD）和工作日天数（0–3650）"
    return templates.TemplateResponse(request, "pages/deadline_help.html.j2",
                                      {"result": result, "error": error, "start": start, "working_days": working_days})
