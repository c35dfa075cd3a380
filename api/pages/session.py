"""The staff session of the pages: who is signed in (a session cookie holding a signed token), the CSRF token
bound to that session, and the check every staff page makes before it shows or changes anything."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.auth import actor_from_token, session_id
from api.pages.templating import templates
from api.problems import Problem
from domain.capabilities import Capability, may
from domain.messages import Actor
from domain.settings import get_settings

SESSION, CSRF = "cx_session", "cx_csrf"


def login_csrf_ok(request: Request, submitted: str) -> bool:
    """Before login there is no session: the login form's token is double-submitted (cookie and field)."""
    expected = request.cookies.get(CSRF, "")
    return bool(expected) and hmac.compare_digest(expected, submitted)


def page_session_id(request: Request) -> str | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        return session_id(token)
    except Problem:
        return None


def csrf_token(request: Request) -> str:
    """The signed-in session's CSRF token: an HMAC of its session id, so a token taken from another
    session (or from before a logout) is worthless here."""
    sid = page_session_id(request)
    if sid is None:
        return ""
    return hmac.new(get_settings().secret_key.encode(), f"csrf:{sid}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, submitted: str) -> bool:
    expected = csrf_token(request)
    return bool(expected) and hmac.compare_digest(expected, submitted)


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form, once its CSRF token is this session's."""
    form: dict[str, str] = {}
    for k, v in (await request.form()).multi_items():  # a field sent more than once (checkboxes): one per line
        form[k] = f"{form[k]}\n{v}" if k in form else str(v)
    if not csrf_ok(request, form.get("csrf", "")):
        raise Problem(400, "页面已过期，请刷新后重新提交")
    return form


def page_actor(request: Request, capability: Capability) -> Actor | Response:
    """The signed-in staff member if their role has `capability`; else the login redirect or a 404 page."""
    actor = session_actor(request)
    if actor is None:
        return RedirectResponse("/login", status_code=303)
    if not may(actor.role, capability):
        return templates.TemplateResponse(request, "pages/not_found.html.j2", {"what": "页面"}, status_code=404)
    return actor


def session_actor(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        return actor_from_token(token)
    except Problem:
        return None


def secure_cookies() -> bool:
    """Cookies travel only over HTTPS wherever the site is served over HTTPS."""
    return get_settings().public_base_url.startswith("https://")


def with_csrf_cookie(response: Response, token: str) -> Response:
    response.set_cookie(CSRF, token, httponly=True, samesite="strict", secure=secure_cookies(), max_age=8 * 3600)
    return response
