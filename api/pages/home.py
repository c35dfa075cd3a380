"""The portal home page (政务诚信专栏): the state of things at a glance — commitments by status, records
in publicity, the latest public changes, deadlines falling due, the ranking's top and bottom — and the
way to everything else (lists, objections, complaints, open data, feeds, the API). Each block is one
query over the whole table (grouped or joined), never a query per case, so the page stays fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from api.deps import SessionDep
from api.pages.page_cache import cached_page
from api.pages.templating import templates
from api.queries import department_names
from api.report_figures import department_report
from api.validation import today_local
from domain.calendar import TZ
from domain.commitment import STATE_LABELS_ZH
from domain.events import PUBLIC_EVENTS, Event
from domain.record import SEVERITIES
from domain.report import quarter_of
from store.audit_chain import latest_checkpoints
from store.models import AuditEvent, Commitment, DeadlineRow, Record
from store.signing import active_key, public_keys

router = APIRouter(include_in_schema=False)
LATEST, DUE_DAYS, DUE_ROWS, PODIUM = 10, 14, 10, 3


def commitment_counts(session: Session) -> dict[str, Any]:
    """Public commitments by status (逾期 counted among 履行中 and on its own): one grouped query."""
    rows = session.exec(select(Commitment.state, Commitment.overdue, func.count())
                        .where(Commitment.state != "draft").group_by(col(Commitment.state), col(Commitment.overdue)))
    by_state = dict.fromkeys((k for k in STATE_LABELS_ZH if k != "draft"), 0)
    overdue = 0
    for state, is_overdue, n in rows:
        by_state[state] = by_state.get(state, 0) + n
        if is_overdue and state == "published":
            overdue += n
    return {"states": [(k, STATE_LABELS_ZH[k], n) for k, n in by_state.items()], "overdue": overdue,
            "total": sum(by_state.values())}


def record_counts(session: Session) -> dict[str, Any]:
    """Records in publicity by severity: one grouped query."""
    rows = dict(session.exec(select(Record.severity, func.count()).where(col(Record.public).is_(True))
                             .group_by(Record.severity)).all())
    return {"severities": [(SEVERITIES[k], rows.get(k, 0)) for k in ("general", "serious")],
            "total": sum(rows.values())}


def _public_case() -> Any:
    """The join condition 'this row belongs to a public commitment or a record in publicity'."""
    return or_(col(Commitment.id).is_not(None), col(Record.id).is_not(None))


def latest_changes(session: Session, names: dict[str, str]) -> list[dict[str, Any]]:
    """The newest changes a public page shows (the Atom feed's rule), with what they are about: one query."""
    public_events = [e.value for e in PUBLIC_EVENTS]
    rows = session.exec(
        select(AuditEvent, Commitment.title, Commitment.department_code, Record.department_code)
        .outerjoin(Commitment, and_(col(AuditEvent.case_type) == "commitment", col(Commitment.id) == AuditEvent.case_id,
                                    col(Commitment.state) != "draft"))
        .outerjoin(Record, and_(col(AuditEvent.case_type) == "record", col(Record.id) == AuditEvent.case_id,
                                col(Record.public).is_(True)))
        .where(_public_case(), or_(col(AuditEvent.to_state).is_not(None), col(AuditEvent.action).in_(public_events)))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc()).limit(LATEST))
    out = []
    for e, title, c_dept, r_dept in rows:
        commitment = e.case_type == "commitment"
        out.append({"at": e.at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"), "action": Event.label_of(e.action),
                    "href": f"/{e.case_type}s/{e.case_id}",
                    "what": title if commitment else f"失信记录 {e.case_id}",
                    "department": names.get(c_dept if commitment else r_dept, "")})
    return out


def falling_due(session: Session, names: dict[str, str]) -> list[dict[str, Any]]:
    """Open deadlines of public cases that fall due in the next DUE_DAYS days, soonest first: one query."""
    now = datetime.now(UTC)
    rows = session.exec(
        select(DeadlineRow, Commitment.title)
        .outerjoin(Commitment, and_(col(DeadlineRow.case_type) == "commitment",
                                    col(Commitment.id) == DeadlineRow.case_id, col(Commitment.state) != "draft"))
        .outerjoin(Record, and_(col(DeadlineRow.case_type) == "record", col(Record.id) == DeadlineRow.case_id,
                                col(Record.public).is_(True)))
        .where(_public_case(), col(DeadlineRow.status) == "open", col(DeadlineRow.due_at) >= now,
               col(DeadlineRow.due_at) < now + timedelta(days=DUE_DAYS))
        .order_by(col(DeadlineRow.due_at)).limit(DUE_ROWS))
    today = today_local()
    out = []
    for d, title in rows:
        day = d.due_at.astimezone(TZ).date()
        out.append({"due": day.isoformat(), "in_days": (day - today).days, "label": d.label,
                    "href": f"/{d.case_type}s/{d.case_id}",
                    "what": title if d.case_type == "commitment" else f"失信记录 {d.case_id}",
                    "department": names.get(d.department_code or "", ""), "provisional": d.provisional})
    return out


def podium(session: Session) -> dict[str, Any]:
    """This quarter's top and bottom of the ranking (the same report as /ranking)."""
    report = department_report(session, quarter_of(today_local()))
    ranked = [r for r in report["items"] if r["rank"] is not None]
    top = ranked[:PODIUM]
    bottom = ranked[max(PODIUM, len(ranked) - PODIUM):]
    return {"label": report["label"], "period": report["period"], "top": top, "bottom": bottom,
            "no_data": len(report["items"]) - len(ranked)}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, q: Annotated[str | None, Query(max_length=100)] = None) -> Response:
    """`q` pre-fills the search box (the old portal address /?q= searched from here)."""
    def render() -> Response:
        names = department_names(session)
        return templates.TemplateResponse(request, "pages/home.html.j2", {
            "commitments": commitment_counts(session), "records": record_counts(session),
            "latest": latest_changes(session, names), "due": falling_due(session, names), "ranking": podium(session),
            "departments": names, "due_days": DUE_DAYS, "q": q or ""})
    return cached_page(request, session, render)


@router.get("/open-data", response_class=HTMLResponse)
def open_data_page(request: Request, session: SessionDep) -> HTMLResponse:
    """开放数据: what is published, in which formats, and the feeds and the API."""
    return templates.TemplateResponse(request, "pages/open_data.html.j2", {
        "departments": department_names(session), "checkpoint": _checkpoint_view(session)})


def _checkpoint_view(session: Session) -> dict[str, Any] | None:
    newest = latest_checkpoints(session, 1)
    if not newest:
        return None
    cp = newest[0]
    return {"day": f"{cp.day.year}年{cp.day.month}月{cp.day.day}日", "hash": cp.hash, "count": cp.count}


@router.get("/open-data/verify", response_class=HTMLResponse)
def verify_page(request: Request, session: SessionDep) -> HTMLResponse:
    """如何核验: checking a downloaded open-data file against its signature and the published key."""
    keys = public_keys(session)
    if not keys:  # the first visitor may come before the first download: the key is made on first use
        active_key(session, datetime.now(UTC))
        session.commit()
        keys = public_keys(session)
    return templates.TemplateResponse(request, "pages/open_data_verify.html.j2", {
        "departments": department_names(session), "keys": keys, "checkpoint": _checkpoint_view(session)})
