"""归集共享 pages: the public list of what subordinate platforms reported (marked with their source), and the
admins' page of receiving platforms (backlog, failures, receipts) and subordinate senders (keys), with the
forms that register them. A key's secret is shown once, on the page that answers the form that made it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api.deps import SessionDep
from api.pages.form_errors import form_errors
from api.pages.session import checked_form, csrf_token, page_actor
from api.pages.templating import templates
from api.problems import Problem
from api.routes.sharing import delivery_rows, foreign_items, platform_out
from api.schemas.sharing import PlatformIn, PlatformKeyIn, PlatformOut, SenderIn
from api.services.sharing import (
    add_platform,
    add_sender,
    change_platform_key,
    issue_key,
    platform_by_id,
    platform_states,
    retire_key,
    sender_by_code,
    senders,
    set_platform_active,
)
from api.validation import CaseId
from domain.capabilities import Capability, may
from domain.messages import Actor
from domain.record import SEVERITIES
from domain.settings import get_settings
from store.models import Sender, SenderKey

router = APIRouter(include_in_schema=False)
DONE = {"platform": "已登记接收平台", "key": "已更换推送密钥", "paused": "已暂停向该平台推送",
        "resumed": "已恢复向该平台推送", "retired": "已停用该密钥"}
CHECKBOXES = ("commitments", "all_changes")


@router.get("/shared", response_class=HTMLResponse)
def shared_page(request: Request, session: SessionDep,
                page: Annotated[int, Query(ge=1, le=100_000)] = 1) -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/shared.html.j2",
                                      {"listing": foreign_items(session, page, 20), "page": page})


def _sharing_page(request: Request, session: Session, actor: Actor, *, message: str | None = None,
                  errors: dict[str, str] | None = None, which: str | None = None,
                  form: dict[str, str] | None = None, status: int = 200) -> Response:
    return templates.TemplateResponse(request, "pages/admin_sharing.html.j2", {
        "platforms": [PlatformOut.of(s) for s in platform_states(session)], "senders": senders(session),
        "severities": SEVERITIES, "may_manage": may(actor.role, Capability.manage_sharing), "message": message,
        "errors": errors or {}, "which": which, "form": form or {}, "csrf": csrf_token(request)},
        status_code=status)


@router.get("/admin/sharing", response_class=HTMLResponse)
def sharing_home(request: Request, session: SessionDep, done: str = "") -> Response:
    """`done` picks a fixed confirmation: nothing from the URL is echoed into the page."""
    actor = page_actor(request, Capability.read_sharing)
    if not isinstance(actor, Actor):
        return actor
    return _sharing_page(request, session, actor, message=DONE.get(done))


def _platform_body(form: dict[str, str]) -> dict[str, object]:
    body: dict[str, object] = {k: v.strip() for k, v in form.items() if k != "csrf" and k not in CHECKBOXES}
    body["record_severities"] = [v for v in form.get("record_severities", "").split("\n") if v]
    for name in CHECKBOXES:
        body[name] = form.get(name) == "yes"
    return body


@router.post("/admin/sharing/platforms", response_class=HTMLResponse)
async def sharing_add_platform(request: Request, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_sharing)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    try:
        add_platform(session, PlatformIn.model_validate(_platform_body(form)), actor)
    except (ValidationError, Problem) as err:
        session.rollback()
        form.pop("secret", None)
        return _sharing_page(request, session, actor, errors=form_errors(err), which="platform", form=form,
                             status=422)
    return RedirectResponse("/admin/sharing?done=platform", status_code=303)


def _platform_page(request: Request, session: Session, actor: Actor, platform_id: int, *,
                   message: str | None = None, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    platform_by_id(session, platform_id)
    return templates.TemplateResponse(request, "pages/admin_platform.html.j2", {
        "p": platform_out(session, platform_id), "deliveries": delivery_rows(session, platform_id),
        "may_manage": may(actor.role, Capability.manage_sharing), "message": message, "errors": errors or {},
        "csrf": csrf_token(request)}, status_code=status)


@router.get("/admin/sharing/platforms/{platform_id}", response_class=HTMLResponse)
def sharing_platform(request: Request, platform_id: CaseId, session: SessionDep, done: str = "") -> Response:
    actor = page_actor(request, Capability.read_sharing)
    if not isinstance(actor, Actor):
        return actor
    return _platform_page(request, session, actor, platform_id, message=DONE.get(done))


@router.post("/admin/sharing/platforms/{platform_id}/key", response_class=HTMLResponse)
async def sharing_platform_key(request: Request, platform_id: CaseId, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_sharing)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    try:
        change_platform_key(session, platform_id, PlatformKeyIn.model_validate(
            {k: v.strip() for k, v in form.items() if k != "csrf"}), actor)
    except (ValidationError, Problem) as err:
        session.rollback()
        return _platform_page(request, session, actor, platform_id, errors=form_errors(err), status=422)
    return RedirectResponse(f"/admin/sharing/platforms/{platform_id}?done=key", status_code=303)


@router.post("/admin/sharing/platforms/{platform_id}/active", response_class=HTMLResponse)
async def sharing_platform_active(request: Request, platform_id: CaseId, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_sharing)
    if not isinstance(actor, Actor):
        return actor
    active = (await checked_form(request)).get("active") == "true"
    set_platform_active(session, platform_id, active, actor)
    return RedirectResponse(f"/admin/sharing/platforms/{platform_id}?done={'resumed' if active else 'paused'}",
                            status_code=303)


def _key_issued(request: Request, sender: Sender, key: SenderKey, first: bool) -> Response:
    """The one page that shows the secret: answered to the form directly, never redirected to by URL."""
    return templates.TemplateResponse(request, "pages/admin_sender_key.html.j2",
                                      {"sender": sender, "key": key, "first": first,
                                       "base_url": get_settings().public_base_url}, status_code=201,
                                      headers={"Cache-Control": "no-store"})


@router.post("/admin/sharing/senders", response_class=HTMLResponse)
async def sharing_add_sender(request: Request, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_sharing)
    if not isinstance(actor, Actor):
        return actor
    form = await checked_form(request)
    try:
        body = SenderIn.model_validate({k: v.strip() for k, v in form.items() if k != "csrf"})
        sender, key = add_sender(session, body.code, body.name, actor)
    except (ValidationError, Problem) as err:
        session.rollback()
        return _sharing_page(request, session, actor, errors=form_errors(err), which="sender", form=form,
                             status=422)
    return _key_issued(request, sender, key, first=True)


@router.post("/admin/sharing/senders/{code}/keys", response_class=HTMLResponse)
async def sharing_new_key(request: Request, code: str, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_sharing)
    if not isinstance(actor, Actor):
        return actor
    await checked_form(request)
    sender = sender_by_code(session, code)
    return _key_issued(request, sender, issue_key(session, sender, actor), first=False)


@router.post("/admin/sharing/senders/{code}/keys/{key_id}/retire", response_class=HTMLResponse)
async def sharing_retire_key(request: Request, code: str, key_id: str, session: SessionDep) -> Response:
    actor = page_actor(request, Capability.manage_sharing)
    if not isinstance(actor, Actor):
        return actor
    await checked_form(request)
    try:
        retire_key(session, sender_by_code(session, code), key_id, actor)
    except Problem as err:
        return _sharing_page(request, session, actor, errors={"form": err.detail}, which="senders",
                             status=err.status)
    return RedirectResponse("/admin/sharing?done=retired", status_code=303)
