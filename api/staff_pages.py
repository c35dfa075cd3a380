"""Staff workspace (first part): login with a session cookie and CSRF protection, and the work queue —
what is due, overdue and waiting for me, sorted by due time. Action forms follow (issue 5)."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from activities.models import Commitment, DeadlineRow
from api.auth import actor_from_token, authenticate, current_account, issue_token
from api.deps import ClientDep, SessionDep
from api.pages import templates
from api.problems import Problem
from api.queries import commitment_detail, local_iso
from api.temporal_errors import send_update
from api.validation import CaseId, plain_text
from domain.commitment import Action, allowed
from domain.messages import Actor, FulfilmentReport, PublishRequest, VerificationDecision
from domain.settings import get_settings
from workflows.commitment import CommitmentWorkflow

router = APIRouter(include_in_schema=False)
SESSION, CSRF = "cx_session", "cx_csrf"
CASE_ZH = {"commitment": "政务承诺", "record": "失信记录", "objection": "异议", "complaint": "投诉"}


def _csrf_ok(request: Request, submitted: str) -> bool:
    expected = request.cookies.get(CSRF, "")
    return bool(expected) and hmac.compare_digest(expected, submitted)


def session_actor(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        return current_account(actor_from_token(token))
    except Problem:
        return None


def _secure() -> bool:
    """Cookies travel only over HTTPS wherever the site is served over HTTPS."""
    return get_settings().public_base_url.startswith("https://")


def _with_csrf(response: Response, token: str) -> Response:
    response.set_cookie(CSRF, token, httponly=True, samesite="strict", secure=_secure(), max_age=8 * 3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    token = request.cookies.get(CSRF) or secrets.token_urlsafe(24)
    return _with_csrf(templates.TemplateResponse(request, "pages/login.html.j2", {"csrf": token, "error": None}),
                      token)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    token = request.cookies.get(CSRF) or secrets.token_urlsafe(24)
    if not _csrf_ok(request, str(form.get("csrf", ""))):
        return _with_csrf(templates.TemplateResponse(
            request, "pages/login.html.j2", {"csrf": token, "error": "页面已过期，请重新提交"}, status_code=400), token)
    user = authenticate(session, str(form.get("username", "")), str(form.get("password", "")))
    if user is None:
        return _with_csrf(templates.TemplateResponse(
            request, "pages/login.html.j2", {"csrf": token, "error": "用户名或密码错误"}, status_code=401), token)
    response = RedirectResponse("/staff", status_code=303)
    response.set_cookie(SESSION, issue_token(user), httponly=True, samesite="lax", secure=_secure(),
                        max_age=8 * 3600)
    return _with_csrf(response, secrets.token_urlsafe(24))  # a new CSRF token after login


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    if not _csrf_ok(request, str(form.get("csrf", ""))):
        raise Problem(400, "页面已过期，请重新提交")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION)
    return response


def work_queue(session: SessionDep, actor: Actor) -> list[dict[str, Any]]:
    """Open deadlines that bind me (my department, or the credit office), soonest first."""
    query = select(DeadlineRow).where(col(DeadlineRow.status).in_(["open", "paused"]))
    if actor.role == "department":
        query = query.where(DeadlineRow.binds == f"department:{actor.department}")
    elif actor.role == "credit_office":
        query = query.where(DeadlineRow.binds == "credit_office")
    now = datetime.now(UTC)
    return [{"case": f"{CASE_ZH.get(r.case_type, r.case_type)} {r.case_id}", "case_type": r.case_type,
             "case_id": r.case_id, "label": r.label, "due_at": local_iso(r.due_at), "overdue": r.due_at < now,
             "paused": r.status == "paused", "provisional": r.provisional, "department": r.department_code}
            for r in session.exec(query.order_by(col(DeadlineRow.due_at)))]


@router.get("/staff", response_class=HTMLResponse)
def staff_home(request: Request, session: SessionDep) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    items = work_queue(session, actor)
    return templates.TemplateResponse(request, "pages/staff.html.j2", {
        "actor": actor, "items": items, "overdue": [i for i in items if i["overdue"]],
        "csrf": request.cookies.get(CSRF, "")})


COMMITMENT_ACTIONS: dict[str, tuple[str, tuple[str, ...], Action]] = {
    # form action → (label, roles that may do it, the domain action whose states decide when it shows)
    "publish": ("发布承诺", ("department", "credit_office"), Action.publish),
    "fulfilment": ("报告履行情况", ("department",), Action.report_fulfilment),
    "verification": ("核验履行情况", ("credit_office",), Action.verify),
}


@router.get("/staff/commitments/{commitment_id}", response_class=HTMLResponse)
def staff_commitment(request: Request, commitment_id: CaseId, session: SessionDep) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    row = session.get(Commitment, commitment_id)
    if row is None or (actor.role == "department" and actor.department != row.department_code):
        return templates.TemplateResponse(request, "pages/not_found.html.j2", {"what": f"承诺 {commitment_id}"},
                                          status_code=404)
    return _staff_commitment_page(request, session, row, actor, None, 200)


def _staff_commitment_page(request: Request, session: SessionDep, row: Commitment, actor: Actor,
                           message: str | None, status: int) -> Response:
    actions = {k: label for k, (label, roles, act) in COMMITMENT_ACTIONS.items()
               if actor.role in roles and allowed(act, row.state)}
    return templates.TemplateResponse(request, "pages/staff_commitment.html.j2", {
        "c": commitment_detail(session, row, staff=True), "actions": actions, "message": message,
        "csrf": request.cookies.get(CSRF, "")}, status_code=status)


@router.post("/staff/commitments/{commitment_id}/{action}", response_class=HTMLResponse)
async def staff_commitment_action(request: Request, commitment_id: CaseId, action: str, session: SessionDep,
                                  client: ClientDep) -> Response:
    """The same workflow Updates as the API, from a form; refusals come back as a message on the page."""
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    form = await request.form()
    if not _csrf_ok(request, str(form.get("csrf", ""))):
        raise Problem(400, "页面已过期，请刷新后重新提交")
    row = session.get(Commitment, commitment_id)
    if row is None or action not in COMMITMENT_ACTIONS:
        raise Problem(404, "未找到")
    if actor.role not in COMMITMENT_ACTIONS[action][1] or (
            actor.role == "department" and actor.department != row.department_code):
        raise Problem(403, "无权执行此操作")
    text = str(form.get("text", "")).strip()
    try:
        if action == "publish":
            arg: Any = PublishRequest(actor=actor)
            update = CommitmentWorkflow.publish
        elif action == "fulfilment":
            arg = FulfilmentReport(actor=actor, report=plain_text(text) if text else "", evidence=[])
            update = CommitmentWorkflow.report_fulfilment
        else:
            accepted = form.get("decision") == "accept"
            arg = VerificationDecision(actor=actor, accepted=accepted, reason=plain_text(text) if text else "")
            update = CommitmentWorkflow.verify
        await send_update(client.get_workflow_handle(f"commitment-{commitment_id}"), update, arg, row.state, None,
                          actor.username)
    except (Problem, ValueError) as err:
        detail = err.detail if isinstance(err, Problem) else str(err)
        session.refresh(row)
        return _staff_commitment_page(request, session, row, actor, f"未能办理：{detail}", 422)
    return RedirectResponse(f"/staff/commitments/{commitment_id}", status_code=303)
