"""Monitoring pages: the public league table (/ranking) with its formula and a chart, and the staff view
of a named official's archive."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from activities.report import department_report
from api.deps import SessionDep
from api.pages.charts import bars
from api.pages.figure_cases import figure_link
from api.pages.session import page_actor
from api.pages.templating import templates
from api.problems import Problem
from api.routes.reports import official_archive, period_or_422
from domain.capabilities import Capability
from domain.messages import Actor
from domain.profiles import load_profile
from domain.report import Period
from domain.settings import get_settings

router = APIRouter(include_in_schema=False)


@router.get("/ranking", response_class=HTMLResponse)
def ranking_page(request: Request, session: SessionDep,
                 period: Annotated[str | None, Query(max_length=10)] = None) -> Response:
    try:
        p = period_or_422(period)
    except Problem as err:
        return templates.TemplateResponse(request, "pages/ranking.html.j2", {
            "report": None, "error": err.errors[0]["message"] if err.errors else err.detail, "period": period},
            status_code=422)
    report = department_report(session, p)
    scored = [(r["name"], r["score"]) for r in report["items"] if r["score"] is not None]  # 无数据 has no bar
    chart = bars(f"{report['label']}各单位得分", scored, unit=" 分")
    deductions = load_profile(get_settings().default_profile).ranking.deductions
    return templates.TemplateResponse(request, "pages/ranking.html.j2", {
        "report": report, "chart": chart, "error": None, "period": p.key, "choices": _choices(p),
        "deducted": {r["department"]: sum(deductions.get(s, 0) * r[f"records_opened_{s}"]
                                          for s in ("general", "serious")) for r in report["items"]},
        "link": lambda kind, figure, department: figure_link(kind, figure, p.key, department)})


def _choices(p: Period) -> list[str]:
    """This period and the four before it, as far back as periods go (2000Q1 has no earlier choices)."""
    out = []
    for n in range(0, 5):
        try:
            out.append(p.previous(n).key)
        except ValueError:
            break
    return out


@router.get("/staff/officials/{name}", response_class=HTMLResponse)
def official_page(request: Request, name: str, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.read_official_reports)
    if not isinstance(actor, Actor):
        return actor
    if len(name) > 100:
        return templates.TemplateResponse(request, "pages/not_found.html.j2", {"what": "页面"}, status_code=404)
    return templates.TemplateResponse(request, "pages/official.html.j2", {"a": official_archive(session, name)})
