"""Admin pages: departments and users (admin), and the working-day calendar (admin, credit office) — an
override, or a pasted State Council holiday notice, is previewed with every open deadline it moves
("此变更将影响 N 个未到期时限") before it is saved; saving re-projects the open deadlines and their parties
are told (../shared/spec/processes.md §1)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, select
from temporalio.client import Client
from temporalio.service import RPCError

from api.accounts import ROLE_LABELS, DepartmentIn, UserIn, create_department, create_user, list_users, set_user_active
from api.deps import ClientDep, SessionDep
from api.notice_import import preview as notice_preview
from api.pages.form_errors import form_errors
from api.pages.session import checked_form, csrf_token, page_actor
from api.pages.templating import templates
from api.problems import Problem
from api.routes import calendar, calendar_notices
from api.validation import CaseId
from domain.calendar import TZ
from domain.capabilities import Capability
from domain.messages import CASE_TYPE_ZH as CASE_ZH
from domain.messages import Actor
from domain.profiles import available_profiles, regulation_zh
from domain.settings import get_settings
from store.models import Department

router = APIRouter(include_in_schema=False)
DONE = {"department": "已添加单位", "user": "已添加账号", "enabled": "已启用账号", "disabled": "已停用账号"}
CALENDAR_KINDS = {"holiday": "放假（不计工作日）", "workday": "调休上班（计工作日）",
                  "year_confirmed": "该年度节假日安排已全部录入"}


def _clean(form: dict[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in form.items() if v.strip()}


def _admin_page(request: Request, session: SessionDep, message: str | None = None, errors: dict[str, str] | None = None,
                which: str | None = None, form: dict[str, str] | None = None, status: int = 200) -> Response:
    departments = list(session.exec(select(Department).order_by(col(Department.code))))
    return templates.TemplateResponse(request, "pages/admin.html.j2", {
        "departments": departments, "users": list_users(session), "roles": ROLE_LABELS, "message": message,
        "profiles": {name: regulation_zh(name) for name in available_profiles()},
        "default_profile": get_settings().default_profile,
        "errors": errors or {}, "which": which, "form": form or {}, "csrf": csrf_token(request)},
        status_code=status)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, session: SessionDep, done: str = "") -> Response:
    """`done` picks a fixed confirmation: nothing from the URL is echoed into the page."""
    actor = page_actor(request, Capability.manage_accounts)
    if not isinstance(actor, Actor):
        return actor
    return _admin_page(request, session, message=DONE.get(done))


@router.post("/admin/departments", response_class=HTMLResponse)
async def admin_add_department(request: Request, session: SessionDep) -> Response:
    return await _add_from_form(request, session, "department", DepartmentIn, create_department)


@router.post("/admin/users", response_class=HTMLResponse)
async def admin_add_user(request: Request, session: SessionDep) -> Response:
    return await _add_from_form(request, session, "user", UserIn, create_user, secret="password")


async def _add_from_form(request: Request, session: SessionDep, which: str, model: type[BaseModel],
                         create: Callable[[Session, Any, str], object], secret: str | None = None) -> Response:
    """One admin form: validate, create, confirm — or the same page with Chinese messages (a password is
    never echoed back into it)."""
    actor = page_actor(request, Capability.manage_accounts)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    try:
        create(session, model.model_validate(_clean(form)), actor.username)
    except (ValidationError, Problem) as err:
        session.rollback()
        if secret:
            form.pop(secret, None)
        return _admin_page(request, session, errors=form_errors(err), which=which, form=form, status=422)
    return RedirectResponse(f"/admin?done={which}", status_code=303)


@router.post("/admin/users/{user_id}/active", response_class=HTMLResponse)
async def admin_user_active(request: Request, user_id: CaseId, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_accounts)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    try:
        user = set_user_active(session, user_id, form.get("active") == "true", actor.username)
    except Problem as err:
        return _admin_page(request, session, errors={"form": err.detail}, which="users", status=err.status)
    return RedirectResponse(f"/admin?done={'enabled' if user.active else 'disabled'}", status_code=303)


def _calendar_page(request: Request, session: SessionDep, actor: Actor, *, form: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, preview: dict[str, Any] | None = None,
                   message: str | None = None, progress: str | None = None, status: int = 200,
                   notice: dict[str, Any] | None = None) -> Response:
    """`notice`: the notice form's text, its check (`preview`), its errors and the digest of the checked text."""
    return templates.TemplateResponse(request, "pages/admin_calendar.html.j2", {
        "overrides": calendar.overrides(session, actor)["items"], "kinds": CALENDAR_KINDS, "form": form or {},
        "errors": errors or {}, "preview": preview, "message": message, "progress": progress,
        "csrf": csrf_token(request), "nonce": secrets.token_urlsafe(12), "case_labels": CASE_ZH,
        "notice": notice or {}}, status_code=status)


@router.get("/admin/calendar", response_class=HTMLResponse)
async def calendar_page(request: Request, session: SessionDep, client: ClientDep,
                        version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                        affected: Annotated[int | None, Query(ge=0, le=10**9)] = None) -> Response:
    actor = page_actor(request, Capability.keep_calendar)
    if not isinstance(actor, Actor):
        return actor
    message = progress = None
    if version is not None:
        message = (f"已保存为日历版本 {version}：{affected or 0} 个未到期时限已按新日历重新计算，"
                   "时限变动的案件已记录并通知相关方")
        progress = await _reprojection_line(client, version)
    return _calendar_page(request, session, actor, message=message, progress=progress)


async def _reprojection_line(client: Client, version: int) -> str:
    """One line on what the version's re-planning run has done; the page still shows if the engine is away."""
    try:
        p = await asyncio.wait_for(calendar.reprojection_status(client, version), 5)
    except (TimeoutError, RPCError):
        p = None
    if p is None:
        return "重新计算进度暂时无法查询，请稍后刷新本页"
    if not p.replanned:
        return "正在按新日历重新计算未到期时限，请稍后刷新本页"
    line = f"重新计算进度：{p.reprojected} 个未到期时限已按第 {version} 版日历重新计算，其中 {p.moved} 个时限变动"
    if p.woken:
        line += f"；{p.woken} 个案件已调整计时"
    if p.waiting and p.next_wake_at:
        line += f"；{p.waiting} 个案件的提醒提前，将于 {p.next_wake_at.astimezone(TZ):%Y-%m-%d %H:%M} 起调整计时"
    return line


@router.post("/admin/calendar", response_class=HTMLResponse)
async def calendar_change(request: Request, session: SessionDep, client: ClientDep) -> Response:
    """First submit (`step=preview`) shows what would move; the confirm button (`step=save`) saves — only
    the change that was previewed: edited after the preview, it is previewed again."""
    actor = page_actor(request, Capability.keep_calendar)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    try:
        body = calendar.OverrideIn.model_validate(_clean(form))
        calendar.require_reason(body)
        if form.get("step") != "save" or form.get("previewed") != f"{body.date.isoformat()}|{body.kind}":
            return _calendar_page(request, session, actor, form=form,
                                  preview=calendar.preview(body, session, actor))
        response = await calendar.add(body, session, client, actor, form.get("nonce") or None)
    except (ValidationError, Problem) as err:
        session.rollback()
        return _calendar_page(request, session, actor, form=form, errors=form_errors(err), status=422)
    result = json.loads(response.body)
    return RedirectResponse(f"/admin/calendar?version={result['version']}&affected={result['affected']}",
                            status_code=303)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@router.post("/admin/calendar/notice", response_class=HTMLResponse)
async def calendar_notice(request: Request, session: SessionDep, client: ClientDep) -> Response:
    """Paste (`step=preview`) → check every day read, what was not read and the deadlines it moves → import
    (`step=save`) — only the text that was checked: edited after the check, it is checked again."""
    actor = page_actor(request, Capability.keep_calendar)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    text = form.get("text", "")
    shown: dict[str, Any] = {"text": text}
    if not text.strip():
        return _calendar_page(request, session, actor, notice={**shown, "errors": ["请粘贴通知全文"]}, status=422)
    try:
        body = calendar_notices.NoticeIn.model_validate({"text": text})
    except ValidationError as err:
        message = form_errors(err).get("text", "通知文本无效")
        return _calendar_page(request, session, actor, notice={**shown, "errors": [message]}, status=422)
    checked = notice_preview(session, body.text)
    shown |= {"preview": checked, "checked": _digest(body.text), "errors": checked["errors"]}
    if checked["errors"]:
        return _calendar_page(request, session, actor, notice=shown, status=422)
    if form.get("step") != "save" or form.get("checked") != shown["checked"]:
        return _calendar_page(request, session, actor, notice=shown)
    try:
        response = await calendar_notices.notice_save(body, session, client, actor, form.get("nonce") or None)
    except Problem as err:
        session.rollback()
        return _calendar_page(request, session, actor, notice={**shown, "errors": [err.detail]}, status=err.status)
    result = json.loads(response.body)
    return RedirectResponse(f"/admin/calendar?version={result['version']}&affected={result['affected']}",
                            status_code=303)
