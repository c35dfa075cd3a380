"""Follow by e-mail (no account): the form on a public commitment, record or department page, the
confirmation mail (double opt-in), and the confirm and unsubscribe links.

The answer to a follow request is the same whether the address is new, waiting for confirmation or already
following (a confirmation mail each time; confirming again changes nothing), so the form tells nobody who
follows what. Requests are limited per client and per address. The change mails themselves are queued by
activities/followers.py after each public change."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from activities.notify import deliver_now, queue_notice_sync
from api import ratelimit
from api.pages.templating import templates
from api.problems import Problem
from api.ratelimit import Limit
from api.validation import email_address
from domain import follow_links
from domain.messages import CaseRef, NoticeRequest
from store.db import get_engine, session_scope
from store.models import Commitment, Department, Follower, Outbox, Record

router = APIRouter(include_in_schema=False)

FOLLOW_CLIENT = Limit("follow_client", 20, 3600, "关注申请过于频繁")  # requests per client address per hour
FOLLOW_ADDRESS = Limit("follow_address", 5, 3600, "向该邮箱发送的确认邮件过多")  # confirmation mails per address
CONFIRM_TEMPLATE = "follow_confirm"
LINK_KEPT = "（确认链接已发送，出于安全考虑此处不保存）"


def target_label(session: Session, target_type: str, target_id: str) -> str | None:
    """How a page names what is followed ("此承诺" is not enough in a mail); None if not public."""
    if target_type == "commitment" and target_id.isdigit():
        c = session.get(Commitment, int(target_id))
        return f"政务承诺“{c.title}”（编号 {c.id}）" if c is not None and c.state != "draft" else None
    if target_type == "record" and target_id.isdigit():
        r = session.get(Record, int(target_id))
        return f"失信记录（编号 {r.id}）" if r is not None and r.public else None
    if target_type == "department":
        d = session.get(Department, target_id)
        return f"单位“{d.name}”的诚信档案" if d is not None else None
    return None


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, f"pages/{name}.html.j2", context, status_code=status)


def _bad_link(request: Request) -> HTMLResponse:
    return _page(request, "follow_done", {"title": "链接无效或已过期", "ok": False}, status=400)


@router.get("/follow", response_class=HTMLResponse)
def follow_form(request: Request, target_type: str = "", target_id: str = "") -> HTMLResponse:
    with Session(get_engine()) as session:
        label = target_label(session, target_type, target_id[:32])
    if label is None:
        return _page(request, "not_found", {"what": "要关注的信息"}, status=404)
    return _page(request, "follow_form", {"label": label, "target_type": target_type, "target_id": target_id,
                                          "email": "", "errors": {}})


def _upsert(target_type: str, target_id: str, email: str) -> tuple[int, str]:
    """The follower row, with a new confirm nonce (older confirm links stop working). An unsubscribed follow
    waits for confirmation again; a confirmed one stays as it is."""
    now = datetime.now(UTC)
    digest = follow_links.email_hash(email)
    for _ in range(3):
        try:
            with session_scope("api") as session:
                row = session.exec(select(Follower).where(
                    Follower.target_type == target_type, Follower.target_id == target_id,
                    Follower.email_hash == digest)).first()
                if row is None:
                    row = Follower(target_type=target_type, target_id=target_id, email=email, email_hash=digest,
                                   confirm_nonce="", unsubscribe_nonce=secrets.token_hex(16), created_at=now)
                if row.unsubscribed_at is not None:
                    row.unsubscribed_at, row.confirmed_at = None, None
                row.confirm_nonce = secrets.token_hex(16)
                session.add(row)
                session.flush()
                assert row.id is not None
                return row.id, row.confirm_nonce
        except IntegrityError:  # the same request twice at once: the other inserted the row, update it
            continue
    raise Problem(503, "请稍后再试")


def _scrub(outbox_id: int, url: str) -> None:
    with session_scope("api") as session:
        row = session.get(Outbox, outbox_id)
        if row is not None:
            row.text, row.html = row.text.replace(url, LINK_KEPT), row.html.replace(url, LINK_KEPT)
            session.add(row)


async def _send_confirmation(follower_id: int, nonce: str, email: str, label: str) -> None:
    """Handed to SMTP at once (nobody waits for a workflow here); the row stays in the outbox without the
    link, which confirms only for the address's owner."""
    url = follow_links.confirm_url(follower_id, nonce)
    req = NoticeRequest(case=CaseRef(case_type="follower", case_id=follower_id), event_key=f"confirm:{nonce}",
                        template=CONFIRM_TEMPLATE, recipients=[f"email:{email}"], at=datetime.now(UTC),
                        context={"followed": label, "confirm_url": url,
                                 "valid_days": follow_links.LIFETIMES[follow_links.CONFIRM].days})
    for q in await asyncio.to_thread(queue_notice_sync, req, True):
        try:
            await deliver_now(q.outbox_id, "api-follow-confirm")
        finally:
            await asyncio.to_thread(_scrub, q.outbox_id, url)


@router.post("/follow", response_class=HTMLResponse)
async def follow(request: Request) -> Response:
    form = await request.form()
    target_type, target_id = str(form.get("target_type", "")), str(form.get("target_id", ""))[:32]
    raw = str(form.get("email", "")).strip()
    with Session(get_engine()) as session:
        label = target_label(session, target_type, target_id)
    if label is None:
        return _page(request, "not_found", {"what": "要关注的信息"}, status=404)
    context = {"label": label, "target_type": target_type, "target_id": target_id, "email": raw[:254]}
    try:
        email = email_address(raw)
    except ValueError as exc:
        message = "请填写电子邮箱" if not raw else str(exc)
        return _page(request, "follow_form", {**context, "errors": {"email": message}}, status=400)
    try:
        ratelimit.take(request, FOLLOW_CLIENT)
        ratelimit.take_subject(FOLLOW_ADDRESS, follow_links.email_hash(email))
    except Problem as refused:
        return _page(request, "follow_form", {**context, "errors": {"form": refused.detail}}, status=429)
    follower_id, nonce = await asyncio.to_thread(_upsert, target_type, target_id, email)
    await _send_confirmation(follower_id, nonce, email, label)
    token = follow_links.sign(follow_links.SENT, follower_id, nonce)
    return RedirectResponse(f"/follow/sent?token={token}", status_code=303)


def _row(purpose: str, token: str, nonce_of: str) -> Follower | None:
    found = follow_links.verify(purpose, token[:1000])
    if found is None:
        return None
    with Session(get_engine()) as session:
        row = session.get(Follower, found[0])
    return row if row is not None and secrets.compare_digest(getattr(row, nonce_of), found[1]) else None


def _label_of(row: Follower) -> str:
    with Session(get_engine()) as session:
        return target_label(session, row.target_type, row.target_id) or \
            f"{follow_links.TARGET_ZH.get(row.target_type, '')}（编号 {row.target_id}）"


@router.get("/follow/sent", response_class=HTMLResponse)
def sent(request: Request, token: str = "") -> HTMLResponse:
    """What happens next. Only the browser that asked has this link; without it the page says the same
    without the address."""
    row = _row(follow_links.SENT, token, "confirm_nonce")
    return _page(request, "follow_sent", {"email": row.email if row else None,
                                          "label": _label_of(row) if row else None,
                                          "valid_days": follow_links.LIFETIMES[follow_links.CONFIRM].days})


@router.get("/follow/confirm", response_class=HTMLResponse)
def confirm(request: Request, token: str = "") -> HTMLResponse:
    row = _row(follow_links.CONFIRM, token, "confirm_nonce")
    if row is None or row.unsubscribed_at is not None:
        return _bad_link(request)
    if row.confirmed_at is None:  # confirming again changes nothing
        with session_scope("api") as session:
            fresh = session.get(Follower, row.id)
            if fresh is not None and fresh.confirmed_at is None:
                fresh.confirmed_at = datetime.now(UTC)
                session.add(fresh)
    return _page(request, "follow_done", {"title": "关注成功", "ok": True, "confirmed": True,
                                          "label": _label_of(row), "path": _public_path(row)})


def _unsubscribe(request: Request, token: str) -> HTMLResponse:
    row = _row(follow_links.UNSUBSCRIBE, token, "unsubscribe_nonce")
    if row is None:
        return _bad_link(request)
    with session_scope("api") as session:
        fresh = session.get(Follower, row.id)
        if fresh is not None and fresh.unsubscribed_at is None:  # a second click changes nothing
            fresh.unsubscribed_at = datetime.now(UTC)
            fresh.confirm_nonce = secrets.token_hex(16)  # an old confirmation link must not follow again
            session.add(fresh)
    return _page(request, "follow_done", {"title": "已取消关注", "ok": True, "confirmed": False,
                                          "label": _label_of(row), "path": _public_path(row)})


@router.get("/follow/unsubscribe", response_class=HTMLResponse)
def unsubscribe(request: Request, token: str = "") -> HTMLResponse:
    """One click from the mail: done, and said so."""
    return _unsubscribe(request, token)


@router.post("/follow/unsubscribe", response_class=HTMLResponse)
def unsubscribe_one_click(request: Request, token: str = "") -> HTMLResponse:
    """RFC 8058: the mail program's own unsubscribe button posts to the List-Unsubscribe address."""
    return _unsubscribe(request, token)


def _public_path(row: Follower) -> str:
    return {"commitment": "/commitments/", "record": "/records/", "department": "/departments/"}.get(
        row.target_type, "/") + row.target_id
