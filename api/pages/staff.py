"""Staff workspace: login with a session cookie (revoked on logout) and a CSRF token bound to the
session; the work queue (what is due, overdue and waiting for me, sorted by due time); a form for every
staff action, from the catalogue in `api.pages.staff_actions`."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col, select

from api.accounts import ROLE_LABELS
from api.auth import issue_token, revoke_session
from api.deps import ClientDep, SessionDep
from api.login import attempt
from api.pages import evidence
from api.pages.case_facts import case_facts
from api.pages.form_errors import form_errors, refuse_unless_filled
from api.pages.session import (
    CSRF,
    SESSION,
    checked_form,
    csrf_ok,
    csrf_token,
    login_csrf_ok,
    page_session_id,
    secure_cookies,
    session_actor,
    with_csrf_cookie,
)
from api.pages.staff_actions import (
    CASE_KINDS,
    CREATE_FORMS,
    KIND_OF_CASE_TYPE,
    CaseKind,
    CreateForm,
    StaffAction,
    form_values,
    input_errors,
)
from api.pages.staff_names import who_zh
from api.pages.templating import templates
from api.pages.uploads import FILES_FIELD, posted_files, store_posted
from api.pages.work_queue import countdown, my_queue
from api.problems import Problem
from api.queries import department_names, local_iso
from api.validation import CaseId, today_local
from domain.capabilities import Capability, may
from domain.messages import CASE_TYPE_ZH, Actor
from store.calendars import load_calendar
from store.models import DeadlineRow

router = APIRouter(include_in_schema=False)
CASE_ZH = CASE_TYPE_ZH


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    token = request.cookies.get(CSRF) or secrets.token_urlsafe(24)
    return with_csrf_cookie(templates.TemplateResponse(request, "pages/login.html.j2", {"csrf": token, "error": None}),
                      token)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    token = request.cookies.get(CSRF) or secrets.token_urlsafe(24)
    if not login_csrf_ok(request, str(form.get("csrf", ""))):
        return with_csrf_cookie(templates.TemplateResponse(
            request, "pages/login.html.j2", {"csrf": token, "error": "页面已过期，请重新提交"}, status_code=400), token)
    result = attempt(session, request, str(form.get("username", "")), str(form.get("password", "")), via="page")
    user = result.user
    if user is None:
        assert result.refusal is not None
        page = with_csrf_cookie(templates.TemplateResponse(request, "pages/login.html.j2", {
            "csrf": token, "error": result.refusal.detail}, status_code=result.refusal.status), token)
        page.headers.update(result.headers())
        page.background = result.background()
        return page
    response = RedirectResponse("/staff", status_code=303)
    response.set_cookie(SESSION, issue_token(user), httponly=True, samesite="lax", secure=secure_cookies(),
                        max_age=8 * 3600)
    response.delete_cookie(CSRF)  # signed in, forms carry the session's own token (csrf_token)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request, str(form.get("csrf", ""))):
        raise Problem(400, "页面已过期，请重新提交")
    sid = page_session_id(request)
    if sid is not None:
        revoke_session(sid)  # the cookie's token is dead on the server, not only forgotten by this browser
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
    now, cal, today = datetime.now(UTC), load_calendar(session), today_local()
    return [{"case": _deadline_case(session, r), "case_type": r.case_type,
             "case_id": r.case_id, "label": r.label, "due_at": local_iso(r.due_at), "overdue": r.due_at < now,
             "countdown": countdown(cal, today, r.due_at, r.status),
             "paused": r.status == "paused", "provisional": r.provisional, "department": r.department_code}
            for r in session.exec(query.order_by(col(DeadlineRow.due_at)))]


def _deadline_case(session: SessionDep, deadline: DeadlineRow) -> str:
    """The title of the case a deadline belongs to (the same words as on its page)."""
    kind = KIND_OF_CASE_TYPE.get(deadline.case_type)
    row = session.get(kind.model, deadline.case_id) if kind else None
    if kind is None or row is None:
        return f"{CASE_ZH.get(deadline.case_type, '案件')} {deadline.case_id}"
    return kind.title(session, row)


def _workspace_links(actor: Actor) -> list[tuple[str, str]]:
    """What this user may start from the workspace: registering cases, keeping calendars, users."""
    links = [(f"/staff/{c.kind}/new", c.label) for c in CREATE_FORMS.values() if c.open_to(actor.role)]
    if may(actor.role, Capability.read_all_cases):
        links.append(("/staff/integrity-reports", "诚信建设情况报送汇总"))
    if may(actor.role, Capability.keep_calendar):
        links.append(("/admin/calendar", "工作日历"))
    if may(actor.role, Capability.manage_accounts):
        links.append(("/admin", "单位与用户"))
    if may(actor.role, Capability.read_sharing):
        links.append(("/admin/sharing", "归集共享"))
    return links


@router.get("/staff", response_class=HTMLResponse)
def staff_home(request: Request, session: SessionDep) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    waiting = my_queue(session, actor)
    answered = {(CASE_KINDS[w["kind"]].case_type, w["id"], w["deadline"]) for w in waiting if w["deadline"]}
    # a deadline a step of 等待我处理 answers is shown there once; the rest bind me while others act
    items = [i for i in work_queue(session, actor) if (i["case_type"], i["case_id"], i["label"]) not in answered]
    return templates.TemplateResponse(request, "pages/staff.html.j2", {
        "actor": actor, "items": items, "overdue": [i for i in items if i["overdue"]],
        "waiting": waiting, "kinds": KIND_OF_CASE_TYPE,
        "links": _workspace_links(actor), "roles": ROLE_LABELS,
        "department_name": department_names(session).get(actor.department or "", actor.department),
        "csrf": csrf_token(request)})


def _not_found(request: Request, what: str) -> Response:
    return templates.TemplateResponse(request, "pages/not_found.html.j2", {"what": what}, status_code=404)


def _case(session: SessionDep, kind: CaseKind, case_id: int, actor: Actor) -> tuple[Any, dict[str, Any]]:
    """The case's row and the API's staff view of it, if this staff member may read it in full (department
    staff: their own department's cases only)."""
    row = session.get(kind.model, case_id)
    if row is None or not kind.reads(actor, row):
        raise Problem(404, f"{kind.label} {case_id} 不存在")
    case = {**kind.read(**{kind.id_param: case_id}, session=session, actor=actor),
            "departments": department_names(session)}  # the choices of a department picker, by name
    return row, case


def _done_text(kind: CaseKind, case: dict[str, Any], done: str | None) -> str | None:
    """The success banner's words for `?done=`, looked up in the catalogue (the query text is never shown)."""
    if not done:
        return None
    if done == "new":
        create = CREATE_FORMS.get(kind.kind)
        return create.label if create else None
    if done in evidence.DONE:
        return evidence.DONE[done]
    key, _, choice = done.partition(":")
    action = kind.action(key)
    if action is None:
        return None
    button = next((f.name for f in action.fields if f.kind == "buttons"), "")
    return action.chosen(case, {button: choice}) or kind.label_of(action)


def _case_page(request: Request, session: SessionDep, kind: CaseKind, case_id: int, actor: Actor,
               form: dict[str, str] | None = None, action_key: str | None = None,
               errors: dict[str, str] | None = None, status: int = 200, done: str | None = None) -> Response:
    """The case as the API shows it to this staff member, with a form for each action open to them now."""
    row, case = _case(session, kind, case_id, actor)
    facts, _ = case_facts(session, kind.case_type, row)
    actions = kind.offered(actor, facts, row)
    return templates.TemplateResponse(request, "pages/staff_case.html.j2", {
        "kind": kind, "case": case, "title": kind.title(session, row),
        "facts": [(k, v) for k, v in kind.facts(case, session) if v],
        "countdowns": _countdowns(session, case["deadlines"]),
        "done": _done_text(kind, case, done),
        "who": lambda h: who_zh(kind.case_type, h["role"], h["actor"]),
        "actions": actions, "form": form or {}, "failed": action_key, "errors": errors or {},
        "csrf": csrf_token(request), "nonce": secrets.token_urlsafe(12),
        **evidence.for_staff(session, kind.case_type, case_id, actor)}, status_code=status)


def _countdowns(session: SessionDep, deadlines: list[dict[str, Any]]) -> dict[str, str | None]:
    cal, today = load_calendar(session), today_local()
    return {d["key"]: countdown(cal, today, d["due_at"], d["status"]) for d in deadlines}


@router.get("/staff/{kind_name}/new", response_class=HTMLResponse)
def new_case_form(request: Request, kind_name: str, session: SessionDep) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    create = CREATE_FORMS.get(kind_name)
    if create is None or not create.open_to(actor.role):
        return _not_found(request, "表单")
    return _new_case_page(request, session, create, actor, {}, {}, 200)


def _new_case_page(request: Request, session: SessionDep, create: CreateForm, actor: Actor, form: dict[str, str],
                   errors: dict[str, str], status: int, nonce: str | None = None) -> Response:
    return templates.TemplateResponse(request, "pages/staff_new.html.j2", {
        "create": create, "fields": create.fields(department_names(session), actor.role), "form": form,
        "errors": errors, "csrf": csrf_token(request), "nonce": nonce or secrets.token_urlsafe(12)},
        status_code=status)


@router.post("/staff/{kind_name}/new", response_class=HTMLResponse)
async def new_case(request: Request, kind_name: str, session: SessionDep, client: ClientDep) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    create = CREATE_FORMS.get(kind_name)
    if create is None:
        raise Problem(404, "未找到")
    form = await checked_form(request)
    fields = create.fields(department_names(session), actor.role)
    values, _ = form_values(fields, form)
    try:
        refuse_unless_filled(input_errors(fields, form))
        response = await create.endpoint(body=create.body.model_validate(values), actor=actor, session=session,
                                         client=client, idempotency_key=form.get("nonce") or None)
    except (Problem, ValidationError) as err:
        session.rollback()
        # the first click of a double click is still registering: the form keeps its nonce, so sending it
        # again returns that first case instead of registering a second one
        busy = isinstance(err, Problem) and err.status == 409
        return _new_case_page(request, session, create, actor, form, form_errors(err, {f.name for f in fields}),
                              err.status if isinstance(err, Problem) else 422, form.get("nonce") if busy else None)
    created = json.loads(response.body)
    return RedirectResponse(f"/staff/{kind_name}/{created['id']}?done=new", status_code=303)


@router.get("/staff/{kind_name}/{case_id}", response_class=HTMLResponse)
def staff_case(request: Request, kind_name: str, case_id: CaseId, session: SessionDep,
               done: str | None = None) -> Response:
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    kind = CASE_KINDS.get(kind_name)
    if kind is None:
        return _not_found(request, "页面")
    try:
        return _case_page(request, session, kind, case_id, actor, done=done)
    except Problem:  # not there, or another department's: the same answer, so nothing leaks
        return _not_found(request, f"{kind.label} {case_id}")


@router.post("/staff/{kind_name}/{case_id}/{action_key}", response_class=HTMLResponse)
async def staff_action(request: Request, kind_name: str, case_id: CaseId, action_key: str, session: SessionDep,
                       client: ClientDep) -> Response:
    """The same endpoint and workflow Update as the API; a refusal comes back on the page, input kept."""
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    kind = CASE_KINDS.get(kind_name)
    action = kind.action(action_key) if kind else None
    if kind is None or action is None:
        raise Problem(404, "未找到")
    form = await checked_form(request)
    if actor.role not in kind.rules[action.action].roles:
        raise Problem(403, "当前角色无权执行此操作")
    if form.get("confirmed") == "back":  # 返回修改 on the confirmation page: the form again, as it was filled in
        return _case_page(request, session, kind, case_id, actor, form, action.key)
    values, path = form_values(action.fields, form)
    try:
        refuse_unless_filled(input_errors(action.fields, form))
        args: dict[str, Any] = {kind.id_param: case_id, **path}
        if action.takes_files:
            values[FILES_FIELD] = await store_posted(request, actor)
        if action.body is not None:
            args["body"] = action.body.model_validate(values)
        if action.needs_confirmation(form) and form.get("confirmed") != "1":
            return _confirm_page(request, session, kind, case_id, actor, action, form)
        await action.endpoint(**args, actor=actor, session=session, client=client,
                              idempotency_key=form.get("nonce") or None)
    except (Problem, ValidationError) as err:
        if isinstance(err, Problem) and err.status in (403, 404):
            raise
        session.expire_all()
        errors = form_errors(err, {f.name for f in action.fields})
        if action.takes_files and FILES_FIELD not in errors and await posted_files(request):
            errors[FILES_FIELD] = "未能办理，所选文件未使用：请改正后重新选择文件"
        return _case_page(request, session, kind, case_id, actor, form, action.key, errors, 422)
    return RedirectResponse(f"/staff/{kind.kind}/{case_id}?done={action.done_key(form)}", status_code=303)


def _confirm_page(request: Request, session: SessionDep, kind: CaseKind, case_id: int, actor: Actor,
                  action: StaffAction, form: dict[str, str]) -> Response:
    """请确认: what an action that cannot be undone will do, before it is done. The form comes back as hidden
    fields (its CSRF token and nonce too), so confirming sends the very same request once more, with
    `confirmed=1`; nothing has been sent to the workflow yet."""
    row, case = _case(session, kind, case_id, actor)
    answers = [(f.label, f.options(case).get(form[f.name], form[f.name]) if f.kind in ("select", "buttons")
                else form[f.name]) for f in action.fields if form.get(f.name, "").strip()]
    return templates.TemplateResponse(request, "pages/staff_confirm.html.j2", {
        "kind": kind, "case_id": case_id, "title": kind.title(session, row), "action": action,
        "label": kind.label_of(action), "chosen": action.chosen(case, form), "answers": answers,
        "hidden": {k: v for k, v in form.items() if k != "confirmed"}})
