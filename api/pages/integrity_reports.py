"""The credit office's consolidated integrity report of a period (/staff/integrity-reports): every
department, whether it reported on time, late or not at all, with its text; the CSV is the API's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from activities.integrity_report import consolidated_csv, consolidated_report
from api.deps import SessionDep
from api.pages.errors import error_page
from api.pages.session import page_actor
from api.pages.templating import templates
from api.problems import Problem
from api.routes.integrity_reports import period_key
from api.validation import CaseId, today_local
from domain.capabilities import Capability
from domain.messages import Actor

router = APIRouter(include_in_schema=False)


@router.get("/staff/integrity-reports", response_class=HTMLResponse)
def consolidated_page(request: Request, session: SessionDep,
                      period: Annotated[str | None, Query(max_length=8)] = None) -> Response:
    actor = page_actor(request, Capability.read_all_cases)
    if not isinstance(actor, Actor):
        return actor
    try:
        key = period_key(period)
    except Problem as err:
        return templates.TemplateResponse(request, "pages/integrity_reports.html.j2", {
            "report": None, "period": period, "error": err.errors[0]["message"] if err.errors else err.detail},
            status_code=422)
    return templates.TemplateResponse(request, "pages/integrity_reports.html.j2", {
        "report": consolidated_report(session, key, today_local()), "period": key, "error": None})


@router.get("/staff/integrity-reports.csv")
def consolidated_page_csv(request: Request, session: SessionDep, period: str | None = None) -> Response:
    """The same CSV as the API's, for the signed-in credit office (pages authenticate by the session). A
    download link that goes wrong answers with a page, as the report's own page does (a .csv path would
    otherwise get the API's JSON problem)."""
    actor = page_actor(request, Capability.read_all_cases)
    if not isinstance(actor, Actor):
        return actor
    try:
        key = period_key(period[:9] if period else None)
    except Problem as err:
        return error_page(request, 422, err.detail, [e["message"] for e in err.errors or []])
    return Response(consolidated_csv(consolidated_report(session, key, today_local())),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="integrity-reports-{key}.csv"'})


@router.get("/integrity_reports/{report_id}")
def report_link(report_id: CaseId) -> Response:
    """Where the notices' links lead (`/{case_type}s/{id}`, templates/emails): a report has only a staff page."""
    return RedirectResponse(f"/staff/integrity-reports/{report_id}", status_code=303)
