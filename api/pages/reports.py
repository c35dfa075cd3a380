"""Monitoring pages: the public league table (/ranking) with its formula and a chart, and the staff view
of a named official's archive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.pages.charts import bars
from api.pages.figure_cases import AnswerCases, answer_cases, answers_link, figure_link
from api.pages.page_cache import cached_page
from api.pages.session import page_actor
from api.pages.templating import templates
from api.pages.track_view import day_zh
from api.problems import Problem
from api.queries import department_names, local_iso
from api.report_figures import department_report
from api.routes.reports import official_archive, period_or_422
from api.services.sharing import foreign_summary
from domain.capabilities import Capability
from domain.complaint import COMPLAINT_STATES_ZH, COMPLAINT_TOPICS
from domain.integrity_report import REPORT_STATES_ZH, parse_report_period
from domain.messages import Actor
from domain.motion import FEEDBACK, MOTION_KINDS, MOTION_STATES_ZH
from domain.objection import OBJECTION_STATES_ZH
from domain.profiles import load_profile
from domain.report import Period
from domain.settings import get_settings
from store.models import Commitment, Complaint, IntegrityReport, Motion, Objection, Record

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
    return cached_page(request, session, lambda: _ranking(request, session, p))


def _ranking(request: Request, session: SessionDep, p: Period) -> Response:
    report = department_report(session, p)
    scored = [(r["name"], r["score"]) for r in report["items"] if r["score"] is not None]  # 无数据 has no bar
    chart = bars(f"{report['label']}各单位得分", scored, unit=" 分")
    deductions = load_profile(get_settings().default_profile).ranking.deductions
    return templates.TemplateResponse(request, "pages/ranking.html.j2", {
        "report": report, "chart": chart, "error": None, "period": p.key, "choices": _choices(p),
        "deducted": {r["department"]: sum(deductions.get(s, 0) * r[f"records_opened_{s}"]
                                          for s in ("general", "serious")) for r in report["items"]},
        "link": lambda kind, figure, department: figure_link(kind, figure, p.key, department),
        "answers": lambda figure, department: answers_link(figure, p.key, department),
        "foreign": foreign_summary(session)})


@router.get("/ranking/answers", response_class=HTMLResponse)
def answers_page(request: Request, session: SessionDep,
                 figure: Annotated[str, Query(max_length=50)],
                 period: Annotated[str | None, Query(max_length=10)] = None,
                 department: Annotated[str | None, Query(max_length=50)] = None) -> Response:
    """The objections and complaints behind a figure of /ranking, without anyone's personal data."""
    found = answer_cases(session, figure, period, department)
    return templates.TemplateResponse(request, "pages/ranking_answers.html.j2", {
        "found": found, "rows": _answer_rows(session, found), "words": _answer_words(figure),
        "department_name": department_names(session).get(department or "", department)})


def _answer_words(figure: str) -> dict[str, str]:
    """What the list says about its cases: the reports and the motions are not about anyone's personal data."""
    if figure == "report_rate":
        return {"intro": "各单位定期向信用办报送的政务诚信建设情况报告：这里列出是否按期报送，不公开报告内容。",
                "date": "首次报送日期", "none": "报告"}
    if figure.startswith("motion_"):
        return {"intro": "人大代表建议和政协委员提案由主办单位答复：这里列出编号、主办单位和办理情况；"
                         "答复公开后显示标题并链接到答复全文。不公开代表委员的联系方式。",
                "date": "交办日期", "none": "建议或提案"}
    return {"intro": "异议和投诉涉及申请人的个人信息，这里只列出编号、所涉对象或投诉类别和办理情况，"
                     "不显示申请人、投诉人和投诉内容。", "date": "收到日期", "none": "异议或投诉"}


def _motion_row(session: SessionDep, case_id: int, on_time: bool | None,
                names: dict[str, str]) -> dict[str, Any] | None:
    m = session.get(Motion, case_id)
    if m is None:
        return None
    dept = names.get(m.department_code, m.department_code)
    about = f"《{m.title}》（主办：{dept}）" if m.reply_public else f"主办：{dept}"
    state = MOTION_STATES_ZH.get(m.state, m.state)
    if m.feedback:
        state += f"（代表委员意见：{FEEDBACK.get(m.feedback, m.feedback)}）"
    return {"case": f"{MOTION_KINDS.get(m.kind, '建议提案')} {m.number}", "about": about,
            "link": "/motions" if m.reply_public else None, "received": day_zh(local_iso(m.created_at)),
            "state": state, "on_time": on_time}


def _answer_rows(session: SessionDep, found: AnswerCases) -> list[dict[str, Any]]:
    """Each case as the public may see it: its number, what it concerns, when it came in, where it stands."""
    names = department_names(session)
    rows = []
    for case_type, case_id, on_time in found.cases:
        if case_type == "objection":
            o = session.get(Objection, case_id)
            if o is None:
                continue
            about, link = _objection_target(session, o, names)
            rows.append({"case": f"异议 {case_id}", "about": about, "link": link,
                         "received": day_zh(local_iso(o.created_at)),
                         "state": OBJECTION_STATES_ZH.get(o.state, o.state), "on_time": on_time})
        elif case_type == "motion":
            if (row := _motion_row(session, case_id, on_time, names)) is not None:
                rows.append(row)
        elif case_type == "integrity_report":
            report = session.get(IntegrityReport, case_id)
            if report is None:
                continue
            period = parse_report_period(report.period_key).label_zh
            dept = names.get(report.department_code, report.department_code)
            rows.append({"case": f"报告 {case_id}", "about": f"{dept}{period}政务诚信建设情况报告",
                         "link": None, "received": day_zh(local_iso(report.first_submitted_at)) or "未报送",
                         "state": REPORT_STATES_ZH.get(report.state, report.state), "on_time": on_time})
        else:
            c = session.get(Complaint, case_id)
            if c is None:
                continue
            dept = names.get(c.department_code, c.department_code)
            topic = COMPLAINT_TOPICS.get(c.topic, "其他")
            rows.append({"case": f"投诉 {case_id}", "about": f"对{dept}的投诉（{topic}）", "link": None,
                         "received": day_zh(local_iso(c.created_at)),
                         "state": COMPLAINT_STATES_ZH.get(c.state, c.state), "on_time": on_time})
    return rows


def _objection_target(session: SessionDep, o: Objection, names: dict[str, str]) -> tuple[str, str | None]:
    """What an objection concerns, linked while that is public."""
    if o.target_type == "commitment":
        c = session.get(Commitment, o.target_id)
        title = c.title if c else f"政务承诺 {o.target_id}"
        return f"对政务承诺《{title}》的异议", f"/commitments/{o.target_id}" if c and c.state != "draft" else None
    r = session.get(Record, o.target_id)
    dept = names.get(r.department_code, r.department_code) if r else ""
    return (f"对失信记录 {o.target_id}（{dept}）的异议",
            f"/records/{o.target_id}" if r is not None and r.public else None)


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
